"""12317举报: the grievances registered in the year (sunshine.grievance), for the division they concern (所涉区划),
by category and state. Overdue as grievance.selectors.overdue_q: still 登记 after the acceptance deadline, or
still open after acceptance past the conclusion deadline.
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import params, register
from sunshine.dashboard.indicators.base import Direction, Indicator, Query, Target, labels, statement
from sunshine.grievance.choices import AWAITING_ACCEPTANCE, AWAITING_CONCLUSION, Category, State
from sunshine.grievance.models import Grievance

SOURCES = frozenset({"grievance"})


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(["%s"] * len(values))


def _year(year: int) -> list[dt.date]:
    return [dt.date(year, 1, 1), dt.date(year, 12, 31)]


def _by(column: str, year: int) -> Query:
    return (
        statement(f"SELECT g.division_id, g.{column}, COUNT(*), NULL FROM {{grievance}} g"
                  f" WHERE g.registered_on >= %s AND g.registered_on <= %s GROUP BY g.division_id, g.{column}",
                  grievance=Grievance),
        _year(year),
    )


def grievances_by_category(year: int) -> Query:
    return _by("category", year)


def grievances_by_state(year: int) -> Query:
    return _by("state", year)


def grievances_overdue(year: int) -> Query:
    on = params.today()
    return (
        statement("SELECT g.division_id, '', COUNT(*), NULL FROM {grievance} g"
                  " WHERE g.registered_on >= %s AND g.registered_on <= %s"
                  f" AND ((g.state IN ({_in(AWAITING_ACCEPTANCE)}) AND g.accept_by < %s)"
                  f"  OR (g.state IN ({_in(AWAITING_CONCLUSION)}) AND g.conclude_by < %s))"
                  " GROUP BY g.division_id", grievance=Grievance),
        [*_year(year), *AWAITING_ACCEPTANCE, on, *AWAITING_CONCLUSION, on],
    )


register(Indicator(
    code="grievances_by_category", name=_("12317举报数(按类别)"), unit=_("件"), section=Section.GRIEVANCE,
    query=grievances_by_category, keys=labels(Category), sources=SOURCES,
    description=_("当年登记的举报按反映类别分列"),
))
register(Indicator(
    code="grievances_by_state", name=_("12317举报数(按状态)"), unit=_("件"), section=Section.GRIEVANCE,
    query=grievances_by_state, keys=labels(State), sources=SOURCES,
    description=_("当年登记的举报按办理状态分列"),
))
register(Indicator(
    code="grievances_overdue", name=_("逾期未办理举报数"), unit=_("件"), section=Section.GRIEVANCE,
    query=grievances_overdue, direction=Direction.DOWN, target=Target(value=Decimal(0)), sources=SOURCES,
    description=_("超过受理或办结期限仍未受理或办结的举报"),
))
