"""Household coverage by division (帮扶覆盖): for each child of a division (townships of a county, villages of a
township), the registered households of the year and how many are paired on the reference day, visited within
the visit days before it, and have a measure recorded in the year. Registered is R-NOCADRE's kind: 未脱贫,
返贫, or 已脱贫 with exit_year ≥ year − 2. Five queries whatever the size of the division."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from sunshine.assistance.models import Pairing, Visit
from sunshine.assistance.selectors import covering
from sunshine.core.models import Division
from sunshine.monitoring.models import Measure
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear


@dataclass
class CoverageRow:
    division: Division
    households: int = 0
    paired: int = 0
    visited: int = 0
    measured: int = 0

    def share(self, count: int) -> float | None:
        return count / self.households if self.households else None

    @property
    def paired_share(self) -> float | None:
        return self.share(self.paired)

    @property
    def visited_share(self) -> float | None:
        return self.share(self.visited)

    @property
    def measured_share(self) -> float | None:
        return self.share(self.measured)


def registered_q(year: int) -> Q:
    return (Q(status__in=(c.HouseholdStatus.IN_POVERTY, c.HouseholdStatus.RETURNED))
            | Q(status=c.HouseholdStatus.EXITED, exit_year__gte=year - 2))


def reference_day(year: int, today: dt.date) -> dt.date:
    """31 December of the year, or today if earlier (as the check)."""
    return min(dt.date(year, 12, 31), today)


def coverage(division: Division, *, year: int, day: dt.date, visit_days: int = 90) -> tuple[list[CoverageRow],
                                                                                           CoverageRow]:
    """Rows for the children of ``division`` (itself, for a village) and the total."""
    prefix = division.prefix
    children = list(Division.objects.filter(parent=division).order_by("code")) or [division]
    households = dict(HouseholdYear.objects.filter(registered_q(year), year=year,
                                                   household__village__code__startswith=prefix)
                      .values_list("household_id", "household__village_id"))
    ids = set(households)
    in_prefix = Q(household__village__code__startswith=prefix)
    paired = set(Pairing.objects.filter(in_prefix, covering(day)).values_list("household_id", flat=True)) & ids
    since = day - dt.timedelta(days=visit_days)
    visited = set(Visit.objects.filter(in_prefix, date__gte=since, date__lte=day)
                  .values_list("household_id", flat=True)) & ids
    measured = set(Measure.objects.filter(in_prefix, year=year).values_list("household_id", flat=True)) & ids
    rows = {child.code: CoverageRow(child) for child in children}
    total = CoverageRow(division)
    for household, village in households.items():
        row = next((r for code, r in rows.items() if village.startswith(rows[code].division.prefix)), None)
        for target in (row, total):
            if target is None:
                continue
            target.households += 1
            target.paired += household in paired
            target.visited += household in visited
            target.measured += household in measured
    return list(rows.values()), total
