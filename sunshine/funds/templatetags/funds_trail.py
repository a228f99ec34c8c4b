"""`{% household_payments household %}`: the 资金到户 section of the registry household page, fed by the funds
selectors (the reader's scope and masking), so the registry view needs no knowledge of the funds app."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from sunshine.funds import selectors
from sunshine.funds.views_funds import _payment_row, can_see_funds

register = template.Library()
SHOWN = 50


@register.inclusion_tag("funds/_household_payments.html", takes_context=True)
def household_payments(context: dict[str, Any], household: Any) -> dict[str, Any]:
    reader = context["request"].user
    qs = selectors.household_payments(reader, household)
    shown = list(qs[:SHOWN])
    rows = [_payment_row(reader, p) for p in shown]
    complete = len(shown) < SHOWN   # then the count and the total are the page's own (no more queries)
    return {"rows": rows, "count": len(rows) if complete else qs.count(),
            "total": sum((p.amount for p in shown), selectors.ZERO) if complete else selectors.payment_total(qs),
            "fund_links": can_see_funds(reader),
            "more_url": reverse("payment_list") + "?" + urlencode({"household_no": household.household_no})}
