from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def yes_no(value: bool | None) -> str:
    return {True: "是", False: "否"}.get(value, "未填")


# One number format everywhere: thousands separators, two decimals for money, percentages with %.
def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def money(value: Any) -> str:
    """12,345.60 (yuan); empty for a missing value."""
    number = _number(value)
    return "" if number is None else f"{number:,.2f}"


@register.filter
def num(value: Any) -> str:
    """12,345 for counts; decimals kept (up to two) when the value has them."""
    number = _number(value)
    if number is None:
        return ""
    if float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A share given as 0–1 shown as 12.3%."""
    number = _number(value)
    return "" if number is None else f"{number * 100:.{int(digits)}f}%"


@register.filter
def person(user: Any) -> str:
    """A user as people know them: the name, never the login (the login only when no name is set)."""
    if user is None:
        return ""
    return getattr(user, "full_name", "") or getattr(user, "username", "") or str(user)


@register.filter
def masked_for(text: Any, reader: Any) -> str:
    """Free text (objections, notes, explanations) with ID numbers and phones masked for readers
    whose role may not see them in full."""
    from sunshine.core.scope import show_text

    return show_text(reader, "" if text is None else str(text))
