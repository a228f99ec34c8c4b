"""What the indicator statements need besides the data: the policy parameters of the year, per region, and
the date that "overdue" is measured against.

A standard applies to a region (province, or a city or county override), so a threshold is a SQL CASE over the
row's division code, most specific region first: one statement still covers the whole province, and a county
with its own standard is judged by it. Values go in as query parameters, cast to NUMERIC so that SQLite
compares numbers, not text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone

from sunshine.dashboard.indicators.base import Query
from sunshine.policy.parameters import StandardParameters


def today() -> dt.date:
    """The date deadlines are compared with at refresh time (tests replace it)."""
    return timezone.localdate()


def reference_day(year: int) -> dt.date:
    """31 December of ``year``, or today when earlier: where a year's stock (loans, pairings) is read."""
    return min(dt.date(year, 12, 31), today())


def _region_prefix(code: str) -> str:
    for length in (12, 9, 6, 4):
        if code[length - 3:length].strip("0"):
            return code[:length]
    return code[:2]


def _standards(year: int) -> list[tuple[str, StandardParameters]]:
    """(region prefix, parameters) of the standards covering ``year``, most specific region first; among
    several for one region the newest first (as policy.selectors.standard_for chooses)."""
    from sunshine.policy.models import PolicyStandard

    rows = list(PolicyStandard.objects.filter(year_from__lte=year, year_to__gte=year)
                .order_by("-created_at", "-id").values_list("region_id", "parameters"))
    found = [(_region_prefix(region), StandardParameters.from_dict(parameters)) for region, parameters in rows]
    return sorted(found, key=lambda item: -len(item[0]))  # stable: the newest stays first within a region


def parameter(year: int, name: str, column: str,
              convert: Callable[[Any], Any] | None = None, cast: str | None = "NUMERIC") -> Query:
    """A SQL expression giving parameter ``name`` of the standard that applies to the division in ``column``
    (defaults when no standard covers it). ``convert`` turns the parameter into the value used (e.g. a number of
    days into a date); ``cast`` None leaves the value as the driver sends it (dates)."""
    convert = convert or (lambda value: value)
    value_sql = f"CAST(%s AS {cast})" if cast else "%s"
    sql: list[str] = ["CASE"]
    params: list[Any] = []
    for prefix, values in _standards(year):
        sql.append(f"WHEN {column} LIKE %s THEN {value_sql}")
        params += [prefix + "%", convert(getattr(values, name))]
    sql.append(f"ELSE {value_sql} END")
    params.append(convert(getattr(StandardParameters(), name)))
    return " ".join(sql), params


def codes_table(codes: Sequence[str]) -> Query:
    """A one-column derived table ``(code)`` listing ``codes``: to break a row down by several keys at once."""
    sql = " UNION ALL ".join("SELECT CAST(%s AS VARCHAR(40)) AS code" for _ in codes)
    return f"({sql})", list(codes)
