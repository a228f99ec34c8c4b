"""`{% household_credit household %}`: the 小额信贷和资产收益 section of the registry household page (its loans
and its dividends per year), fed by sunshine.funds.selectors_credit (the reader's scope), so the registry view
needs no knowledge of the funds app."""

from __future__ import annotations

from typing import Any

from django import template

from sunshine.funds import selectors_credit as sel

register = template.Library()
SHOWN = 20


@register.inclusion_tag("funds/loan_household.html", takes_context=True)
def household_credit(context: dict[str, Any], household: Any) -> dict[str, Any]:
    from sunshine.funds.views_credit import loan_row, today

    reader = context["request"].user
    on = today()
    loans = [loan_row(reader, loan, on) for loan in sel.household_loans(reader, household)[:SHOWN]]
    dividends = sel.household_dividends(reader, household)
    return {"loans": loans, "dividends": dividends, "village": household.village_id}
