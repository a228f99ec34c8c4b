"""Reads of the pre-aggregated values, always for a division the reader may see.

The cockpit, the report pack and the API read through these only; none of them touches the other apps'
tables, so a provincial page costs a few indexed reads whatever the size of the province.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sunshine.core.choices import LEVEL_ORDER, DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.scope import get_visible_division, in_scope
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue


@dataclass(frozen=True)
class Figure:
    """One indicator's value (and denominator, for a share) for one division, year and key."""

    value: Decimal
    denominator: Decimal | None = None

    @property
    def share(self) -> Decimal | None:
        if not self.denominator:
            return None
        return self.value / self.denominator


ZERO = Figure(Decimal(0))
Values = dict[tuple[str, str], Figure]  # (code, key) → figure


def division(reader: User, code: str) -> Division:
    """The division if the reader may see it (404 otherwise, like every scoped page)."""
    return get_visible_division(reader, code)


def values(*, reader: User, division_code: str, year: int, codes: Sequence[str] | None = None) -> Values:
    """Every stored figure of one division and year: {(code, key): Figure}; a missing one reads as 0."""
    get_visible_division(reader, division_code)
    rows = IndicatorValue.objects.filter(year=year, division_code=division_code)
    if codes:
        rows = rows.filter(code__in=codes)
    return {(r.code, r.key): Figure(r.value, r.denominator)
            for r in rows.only("code", "key", "value", "denominator")}


def children_values(*, reader: User, parent: Division, year: int, codes: Sequence[str] | None = None,
                    ) -> dict[str, Values]:
    """The figures of every child division one level below ``parent`` that the reader may see:
    {child code: {(code, key): Figure}} — the ranking and the report's per-township tables."""
    get_visible_division(reader, parent.code)
    level = DivisionLevel(parent.level)
    if level == DivisionLevel.VILLAGE:
        return {}
    child_level = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]
    rows = IndicatorValue.objects.filter(year=year, level=child_level, division_code__startswith=parent.prefix)
    rows = in_scope(rows, reader, "division_code")
    if codes:
        rows = rows.filter(code__in=codes)
    out: dict[str, Values] = {}
    for r in rows.only("division_code", "code", "key", "value", "denominator"):
        out.setdefault(r.division_code, {})[(r.code, r.key)] = Figure(r.value, r.denominator)
    return out


def level_values(*, reader: User, parent: Division, year: int, level: str, codes: Sequence[str],
                 ) -> dict[str, Values]:
    """The figures of every division at ``level`` (any depth) inside ``parent`` that the reader may see:
    {division code: {(code, key): Figure}} — the report's one row per weak village of a county, in one read."""
    get_visible_division(reader, parent.code)
    rows = IndicatorValue.objects.filter(year=year, level=level, code__in=codes,
                                         division_code__startswith=parent.prefix)
    out: dict[str, Values] = {}
    for r in in_scope(rows, reader, "division_code").only("division_code", "code", "key", "value", "denominator"):
        out.setdefault(r.division_code, {})[(r.code, r.key)] = Figure(r.value, r.denominator)
    return out


def trend(*, reader: User, division_code: str, years: Iterable[int], codes: Sequence[str]) -> dict[int, Values]:
    """The same figures over several years (the registry's years), {year: {(code, key): Figure}}."""
    get_visible_division(reader, division_code)
    out: dict[int, Values] = {year: {} for year in years}
    rows = IndicatorValue.objects.filter(division_code=division_code, year__in=list(out), code__in=codes)
    for r in rows.only("year", "code", "key", "value", "denominator"):
        out[r.year][(r.code, r.key)] = Figure(r.value, r.denominator)
    return out


def years_available() -> list[int]:
    return sorted(IndicatorValue.objects.values_list("year", flat=True).distinct())


def last_refresh(year: int) -> IndicatorRefresh | None:
    return IndicatorRefresh.objects.filter(year=year, finished_at__isnull=False).first()


def total(values_: Values, code: str, keys: Iterable[str] | None = None) -> Figure:
    """The sum over ``keys`` (default: every key) of one indicator's figures."""
    found = [f for (c, k), f in values_.items() if c == code and (keys is None or k in keys)]
    if not found:
        return ZERO
    denominators = [f.denominator for f in found if f.denominator is not None]
    return Figure(sum((f.value for f in found), Decimal(0)), sum(denominators, Decimal(0)) if denominators else None)
