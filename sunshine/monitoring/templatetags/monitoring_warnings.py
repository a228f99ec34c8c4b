"""``{% household_warnings household %}``: the warnings of a household and the measures recorded on them, on the
registry's household page, through the monitoring selectors (the reader's scope) and masking."""

from __future__ import annotations

from typing import Any

from django import template

from sunshine.monitoring import display, selectors, workflow

register = template.Library()
SHOWN = 20


def with_measures(reader: Any, warnings: list[Any], on: Any) -> list[dict[str, Any]]:
    """Warning items, each with its measures (one query for all of them)."""
    measures = selectors.measures_of_warnings([w.pk for w in warnings])
    return [display.warning_item(reader, w, on) | {
        "measures": [display.measure_item(reader, m) for m in measures[w.pk]]} for w in warnings]


@register.inclusion_tag("monitoring/warning_household_panel.html", takes_context=True)
def household_warnings(context: dict[str, Any], household: Any) -> dict[str, Any]:
    reader = context["user"]
    qs = selectors.household_warnings(reader, household.pk)
    shown = list(qs[:SHOWN])
    total = len(shown) if len(shown) < SHOWN else qs.count()  # counted only when there may be more
    return {"household": household, "warnings": with_measures(reader, shown, workflow.today()), "total": total}
