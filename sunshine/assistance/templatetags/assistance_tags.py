"""The cadre of a household on other apps' pages: the household detail ("帮扶责任人" with the last visits) and
a warning's or finding's detail (the cadre in one line). Phones are shown as the reader's role may see them."""

from __future__ import annotations

from typing import Any

from django import template

from sunshine.assistance import selectors
from sunshine.core.scope import show_phone

register = template.Library()


def _cadre(reader: Any, household: Any) -> dict[str, Any] | None:
    cadre = selectors.cadre_of(household) if household is not None else None
    if cadre is None:
        return None
    return {"cadre": cadre, "phone": show_phone(reader, cadre.phone),
            "visible": selectors.visible_cadres(reader).filter(pk=cadre.pk).exists()}


@register.inclusion_tag("assistance/_household_assistance.html", takes_context=True)
def household_assistance(context: dict[str, Any], household: Any) -> dict[str, Any]:
    reader = context["request"].user
    return {"found": _cadre(reader, household), "visits": list(selectors.last_visits(household)), "user": reader,
            "household": household}


@register.inclusion_tag("assistance/_cadre_line.html", takes_context=True)
def cadre_line(context: dict[str, Any], household: Any) -> dict[str, Any]:
    """One line (dt/dd) naming the household's cadre; nothing for a subject that is not a household."""
    reader = context["request"].user
    return {"household": household, "found": _cadre(reader, household)}
