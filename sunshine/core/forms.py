"""What every form that calls a service shares."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


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
