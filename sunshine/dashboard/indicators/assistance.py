"""帮扶责任: pairing and visits (sunshine.assistance) of the households that need a cadre, on the year's reference
day (31 December, or today when earlier) — as assistance.coverage counts them: 未脱贫, 返贫, or 已脱贫 within
the last two years (R-NOCADRE's households). A visit counts when the household's last visit up to that day
falls within the standard's visit interval (assistance_visit_days, R-NOVISIT).
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from sunshine.assistance.models import Pairing, Visit
from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, statement
from sunshine.dashboard.indicators.params import parameter, reference_day
from sunshine.registry import choices as rc
from sunshine.registry.models import Household, HouseholdYear

SOURCES = frozenset({"assistance", "registry"})

_NEEDS_CADRE = "(hy.status IN (%s, %s) OR (hy.status = %s AND hy.exit_year >= %s))"
_PAIRED = ("(SELECT DISTINCT household_id FROM {pairing} WHERE start_date <= %s"
           " AND (end_date IS NULL OR end_date >= %s))")


def _needs_cadre(year: int) -> list[Any]:
    return [rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.RETURNED, rc.HouseholdStatus.EXITED, year - 2]


def cadre_coverage(year: int) -> Query:
    day = reference_day(year)
    return (
        statement("SELECT h.village_id, '', SUM(CASE WHEN p.household_id IS NULL THEN 0 ELSE 1 END), COUNT(*)"
                  " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
                  f" LEFT JOIN {_PAIRED} p ON p.household_id = hy.household_id"
                  f" WHERE hy.year = %s AND {_NEEDS_CADRE} GROUP BY h.village_id",
                  household_year=HouseholdYear, household=Household, pairing=Pairing),
        [day, day, year, *_needs_cadre(year)],
    )


def visits_90d(year: int) -> Query:
    day = reference_day(year)
    since, since_params = parameter(year, "assistance_visit_days", "h.village_id",
                                    convert=lambda days: day - dt.timedelta(days=int(days)), cast=None)
    return (
        statement("SELECT h.village_id, '', SUM(CASE WHEN v.household_id IS NULL THEN 0 ELSE 1 END), COUNT(*)"
                  " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
                  f" JOIN {_PAIRED} p ON p.household_id = hy.household_id"
                  " LEFT JOIN (SELECT household_id, MAX(date) AS last FROM {visit} WHERE date <= %s"
                  f"  GROUP BY household_id) v ON v.household_id = hy.household_id AND v.last >= {since}"
                  f" WHERE hy.year = %s AND {_NEEDS_CADRE} GROUP BY h.village_id",
                  household_year=HouseholdYear, household=Household, pairing=Pairing, visit=Visit),
        [day, day, day, *since_params, year, *_needs_cadre(year)],
    )


register(Indicator(
    code="cadre_coverage", name=_("帮扶干部结对覆盖率"), unit="%", section=Section.ASSISTANCE,
    query=cadre_coverage, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    sources=SOURCES, description=_("未脱贫、返贫和近两年脱贫的户中有在结对帮扶干部的户所占比例"),
))
register(Indicator(
    code="visits_90d", name=_("结对户按期走访率"), unit="%", section=Section.ASSISTANCE,
    query=visits_90d, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    sources=SOURCES, description=_("已结对的户中在走访间隔(默认90天)内有走访记录的户所占比例"),
))
