"""Form fields every app's filter forms share.

`DivisionFilterField` is the one region picker: a select grouped by the level below the reader's
division (township → its villages for a county reader), so nobody ever types a 12-digit code. The
reader's own village is the only choice of a village clerk and is preselected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import LEVEL_ORDER, DivisionLevel

if TYPE_CHECKING:
    from sunshine.core.models import User

EMPTY_LABEL = _("请选择")
ALL_LABEL = _("全部(本辖区)")


def division_choices(reader: User) -> list[tuple[str, Any]]:
    """Choices for the reader's region picker: two levels below the reader's division, grouped."""
    from sunshine.core.models import Division

    own = reader.division if reader.is_authenticated else None
    if own is None:
        return [("", EMPTY_LABEL)]
    if own.level == DivisionLevel.VILLAGE:
        return [(own.code, own.name)]
    index = LEVEL_ORDER.index(DivisionLevel(own.level))
    child_level = LEVEL_ORDER[index + 1]
    grandchild_level = LEVEL_ORDER[index + 2] if index + 2 < len(LEVEL_ORDER) else None
    children = list(Division.objects.filter(parent=own, level=child_level).order_by("code")
                    .values_list("code", "name"))
    grand: dict[str, list[tuple[str, str]]] = {}
    if grandchild_level is not None:
        rows = (Division.objects.filter(code__startswith=own.prefix, level=grandchild_level)
                .order_by("code").values_list("code", "name", "parent_id"))
        for code, name, parent in rows:
            grand.setdefault(parent, []).append((code, name))
    choices: list[tuple[str, Any]] = [("", ALL_LABEL)]
    for code, name in children:
        group = [(code, _("%(name)s(全部)") % {"name": name})]
        group += [(g_code, f"{name} · {g_name}") for g_code, g_name in grand.get(code, [])]
        choices.append((name, group))
    return choices


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them (True: the bare name; False: left out)."""
    return mark_safe("".join(  # noqa: S308 — each attribute is escaped by format_html
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items() if value is not False))


class PickerSelect(forms.Select):
    """The same HTML as Django's select.html (and our select_option.html), written in Python: the picker of a
    county or province reader has hundreds of options, and a template include per option made it the
    costliest part of every list page."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                label = EMPTY_LABEL if option["label"] == "---------" else option["label"]
                parts.append(format_html('\n  <option value="{}"{}>{}</option>\n', option["value"],
                                         _attrs(option["attrs"]), label))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every part above is escaped by format_html


class DivisionFilterField(forms.ChoiceField):
    """A division picker limited to the reader's scope; call `bind(reader)` in the form's __init__."""

    widget = PickerSelect

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("区划"))
        kwargs.setdefault("required", False)
        super().__init__(choices=[("", ALL_LABEL)], **kwargs)

    def bind(self, reader: User) -> None:
        self.choices = division_choices(reader)
        if reader.is_authenticated and reader.division is not None \
                and reader.division.level == DivisionLevel.VILLAGE:
            self.initial = reader.division_id


def bind_division_fields(form: forms.Form, reader: User) -> None:
    """Bind every DivisionFilterField of a form to the reader (forms call this from __init__)."""
    for field in form.fields.values():
        if isinstance(field, DivisionFilterField):
            field.bind(reader)
