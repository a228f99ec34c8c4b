"""What every form that calls a service shares, and the base of the scoped list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from sunshine.core.fields import DivisionFilterField, bind_division_fields


class ServiceErrorsMixin:
    """Shows a service's ValidationError on the fields it names.

    `nested_error_prefixes` maps a service's nested names ("overrides.income_line") onto the form's
    parameter fields ("p_income_line"); an error on a name the form lacks is shown above the form,
    prefixed with that name so that nothing is lost."""

    nested_error_prefixes: tuple[str, ...] = ()

    def apply_service_errors(self, error: ValidationError) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        for field, messages in error.message_dict.items():
            name = field
            for prefix in self.nested_error_prefixes:
                if field.startswith(prefix + "."):
                    name = "p_" + field[len(prefix) + 1:]
            target = name if name in fields else None
            for message in messages:
                shown = message if target or field == NON_FIELD_ERRORS else f"{field}: {message}"
                self.add_error(target, shown)  # type: ignore[attr-defined]


class ScopedFilterForm(forms.Form):
    """A list's filters with the one region picker (township → village within the reader's area); ``_data``
    gives the valid filters and leaves out the invalid ones (the list then shows the field's error)."""

    division = DivisionFilterField()

    def __init__(self, *args: Any, reader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        if reader is not None:
            bind_division_fields(self, reader)

    def _data(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
