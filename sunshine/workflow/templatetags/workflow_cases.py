"""``{% household_cases household %}``: a household's cases on the registry's household page, through the
workflow selectors (the reader's scope), with links to open a new one."""

from __future__ import annotations

from typing import Any

from django import template

from sunshine.workflow import selectors
from sunshine.workflow.choices import CaseType
from sunshine.workflow.views_common import case_item

register = template.Library()
SHOWN = 20


@register.inclusion_tag("workflow/household_panel.html", takes_context=True)
def household_cases(context: dict[str, Any], household: Any, year: int | None = None) -> dict[str, Any]:
    reader = context["user"]
    qs = (selectors.visible_cases(reader).filter(household=household).select_related("division", "household")
          .prefetch_related(selectors.head_names()))  # the subject's name without a query per case
    shown = list(qs[:SHOWN])
    total = len(shown) if len(shown) < SHOWN else qs.count()  # counted only when there may be more
    return {"household": household, "year": year, "cases": [case_item(c) for c in shown],
            "total": total, "can_open": reader.can_edit_registry,
            "types": [(t, label) for t, label in CaseType.choices if t != CaseType.ENTRY]}
