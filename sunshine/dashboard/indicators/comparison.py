"""数据比对与核查: the findings of the one verification workflow (sunshine.comparison), whatever run raised them
(comparison C-*, funds check F-*/P-*, assistance check R-*), by the year they belong to.

A finding counts for its division (the household's village, or the county of an ID outside the registry).
Overdue as the comparison app defines it (workflow.is_overdue): still 待核实 after its verification deadline.
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.comparison.choices import RULE_CHOICES, FindingStatus
from sunshine.comparison.models import Finding
from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import params, register
from sunshine.dashboard.indicators.base import Direction, Indicator, Query, Target, labels, statement

SOURCES = frozenset({"comparison", "funds", "assistance"})


def _by(column: str, year: int) -> Query:
    return (
        statement(f"SELECT f.division_id, f.{column}, COUNT(*), NULL FROM {{finding}} f WHERE f.year = %s"
                  f" GROUP BY f.division_id, f.{column}", finding=Finding),
        [year],
    )


def findings_by_rule(year: int) -> Query:
    return _by("rule", year)


def findings_by_state(year: int) -> Query:
    return _by("status", year)


def findings_overdue(year: int) -> Query:
    return (
        statement("SELECT f.division_id, '', COUNT(*), NULL FROM {finding} f"
                  " WHERE f.year = %s AND f.status = %s AND f.deadline < %s GROUP BY f.division_id",
                  finding=Finding),
        [year, FindingStatus.PENDING, params.today()],
    )


register(Indicator(
    code="findings_by_rule", name=_("比对疑点数(按规则)"), unit=_("条"), section=Section.COMPARISON,
    query=findings_by_rule, keys=dict(RULE_CHOICES), sources=SOURCES,
    description=_("数据比对、资金项目核查和帮扶责任核查发现的疑点,按规则分列"),
))
register(Indicator(
    code="findings_by_state", name=_("比对疑点数(按核实状态)"), unit=_("条"), section=Section.COMPARISON,
    query=findings_by_state, keys=labels(FindingStatus), sources=SOURCES,
    description=_("疑点按核实和整改状态分列"),
))
register(Indicator(
    code="findings_overdue", name=_("逾期未核实疑点数"), unit=_("条"), section=Section.COMPARISON,
    query=findings_overdue, direction=Direction.DOWN, target=Target(value=Decimal(0)), sources=SOURCES, headline=True,
    description=_("超过核实期限仍待核实的疑点"),
))
