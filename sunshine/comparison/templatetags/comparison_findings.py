"""``{% household_findings household %}``: the comparison findings of a household, on the registry's household
page, through the comparison selectors (the reader's scope) and masking."""

from __future__ import annotations

from typing import Any

from django import template

from sunshine.comparison import display, selectors, workflow

register = template.Library()
SHOWN = 20


@register.inclusion_tag("comparison/finding_household_panel.html", takes_context=True)
def household_findings(context: dict[str, Any], household: Any) -> dict[str, Any]:
    reader = context["user"]
    qs = selectors.household_findings(reader, household.pk)
    on = workflow.today()
    shown = list(qs[:SHOWN])
    total = len(shown) if len(shown) < SHOWN else qs.count()  # counted only when there may be more
    return {"household": household, "findings": [display.finding_item(reader, f, on) for f in shown],
            "total": total}
