"""监测预警: the early warnings of the year (sunshine.monitoring), by code, state, overdue and escalation.

A warning carries several codes (a JSON list); it counts once under each of them, found by its text
(``"M-EDGE"``) so that one statement serves SQLite and PostgreSQL. Overdue as monitoring.workflow.is_overdue:
still 待核实 after the verification deadline. Escalated: raised to 乡镇督办 or 县级督办 (monitoring.escalation).
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import params, register
from sunshine.dashboard.indicators.base import Direction, Indicator, Query, Target, labels, statement
from sunshine.dashboard.indicators.params import codes_table
from sunshine.monitoring.choices import EscalationLevel, WarningCode, WarningStatus
from sunshine.monitoring.models import EarlyWarning

SOURCES = frozenset({"monitoring"})


def warnings_by_code(year: int) -> Query:
    codes, params = codes_table(list(WarningCode.values))
    return (
        statement(f"SELECT w.division_id, c.code, COUNT(*), NULL FROM {{warning}} w JOIN {codes} c"
                  " ON CAST(w.codes AS TEXT) LIKE '%%\"' || c.code || '\"%%'"
                  " WHERE w.year = %s GROUP BY w.division_id, c.code", warning=EarlyWarning),
        [*params, year],
    )


def warnings_by_state(year: int) -> Query:
    return (
        statement("SELECT w.division_id, w.status, COUNT(*), NULL FROM {warning} w WHERE w.year = %s"
                  " GROUP BY w.division_id, w.status", warning=EarlyWarning),
        [year],
    )


def warnings_overdue(year: int) -> Query:
    return (
        statement("SELECT w.division_id, '', COUNT(*), NULL FROM {warning} w"
                  " WHERE w.year = %s AND w.status = %s AND w.deadline < %s GROUP BY w.division_id",
                  warning=EarlyWarning),
        [year, WarningStatus.PENDING, params.today()],
    )


def warnings_escalated(year: int) -> Query:
    return (
        statement("SELECT w.division_id, w.escalation, COUNT(*), NULL FROM {warning} w"
                  " WHERE w.year = %s AND w.escalation <> %s GROUP BY w.division_id, w.escalation",
                  warning=EarlyWarning),
        [year, EscalationLevel.VILLAGE],
    )


register(Indicator(
    code="warnings_by_code", name=_("预警数(按类型)"), unit=_("条"), section=Section.MONITORING,
    query=warnings_by_code, keys=labels(WarningCode), sources=SOURCES,
    description=_("当年预警按预警类型分列;一条预警有多个类型时各计一次"),
))
register(Indicator(
    code="warnings_by_state", name=_("预警数(按状态)"), unit=_("条"), section=Section.MONITORING,
    query=warnings_by_state, keys=labels(WarningStatus), sources=SOURCES,
    description=_("当年预警按核实和帮扶状态分列"),
))
register(Indicator(
    code="warnings_overdue", name=_("逾期未核实预警数"), unit=_("条"), section=Section.MONITORING,
    query=warnings_overdue, direction=Direction.DOWN, target=Target(value=Decimal(0)), sources=SOURCES, headline=True,
    description=_("超过核实期限仍待核实的预警"),
))
register(Indicator(
    code="warnings_escalated", name=_("升级督办预警数"), unit=_("条"), section=Section.MONITORING,
    query=warnings_escalated, direction=Direction.DOWN,
    keys={level.value: level.label for level in (EscalationLevel.TOWNSHIP, EscalationLevel.COUNTY)},
    sources=SOURCES, description=_("因逾期升级到乡镇或县级督办的预警"),
))
