"""脱贫认定: the stored results of the latest official assessment runs of the year (sunshine.assessment).

Nothing is re-assessed here: each household (village, key county) counts with its result in the newest official
run of the year that assessed it, so the cockpit shows what `sunshine assess` decided and stored. What-if runs
never count. A criterion's state is read from the stored criteria JSON by its text (``"H-INC": "pass"``), the same
on SQLite and PostgreSQL.
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from sunshine.assessment.choices import HOUSEHOLD_CRITERIA, CriterionState, Result
from sunshine.assessment.choices import Kind as RunKind
from sunshine.assessment.models import AssessmentRun, CountyAssessment, HouseholdAssessment, VillageAssessment
from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, statement
from sunshine.dashboard.indicators.params import codes_table
from sunshine.registry.models import Household

SOURCES = frozenset({"assessment"})


def _latest(result: type, subject: str, kind: RunKind, year: int) -> tuple[str, list[Any]]:
    """A derived table ``(subject_id, run_id)``: each subject's newest official run of the year and kind."""
    sql = statement(
        f"(SELECT x.{subject} AS subject_id, MAX(x.run_id) AS run_id FROM {{result}} x"
        " JOIN {run} r ON r.id = x.run_id WHERE r.kind = %s AND r.year = %s AND r.official = %s"
        f" GROUP BY x.{subject})",
        result=result, run=AssessmentRun,
    )
    return sql, [kind, year, True]


def _passed(code: str) -> str:
    """The LIKE pattern of a criterion stored as passed in the criteria JSON's text."""
    return f'%"{code}": "{CriterionState.PASS}"%'


def criteria_pass(year: int) -> Query:
    """Per §1 criterion: assessed households passing it / assessed households (each household's latest run).

    One pass over the results counts every criterion per village (a column each); the small per-village table
    is then turned into one row per criterion — seven times faster on a province than testing each
    (household, criterion) pair."""
    latest, latest_params = _latest(HouseholdAssessment, "household_id", RunKind.HOUSEHOLDS, year)
    codes = list(HOUSEHOLD_CRITERIA)
    table, code_params = codes_table(codes)
    sums = ", ".join(f"SUM(CASE WHEN t.txt LIKE %s THEN 1 ELSE 0 END) AS s{i}" for i in range(len(codes)))
    pick = " ".join(f"WHEN %s THEN a.s{i}" for i in range(len(codes)))
    sql = statement(
        f"SELECT a.village, c.code, CASE c.code {pick} END, a.n"
        f" FROM (SELECT t.village, {sums}, COUNT(*) AS n FROM ("
        "  SELECT h.village_id AS village, CAST(x.criteria AS TEXT) AS txt"
        f"  FROM {latest} l JOIN {{result}} x ON x.run_id = l.run_id AND x.household_id = l.subject_id"
        "  JOIN {household} h ON h.id = x.household_id) t GROUP BY t.village) a"
        f" CROSS JOIN {table} c",
        result=HouseholdAssessment, household=Household,
    )
    return sql, [*codes, *map(_passed, codes), *latest_params, *code_params]


def households_meeting(year: int) -> Query:
    """Assessed households meeting all of §1 / assessed households."""
    latest, params = _latest(HouseholdAssessment, "household_id", RunKind.HOUSEHOLDS, year)
    sql = statement(
        "SELECT h.village_id, '', SUM(CASE WHEN x.result = %s THEN 1 ELSE 0 END), COUNT(*)"
        f" FROM {latest} l JOIN {{result}} x ON x.run_id = l.run_id AND x.household_id = l.subject_id"
        " JOIN {household} h ON h.id = x.household_id GROUP BY h.village_id",
        result=HouseholdAssessment, household=Household,
    )
    return sql, [Result.MEETS, *params]


def _weak_villages(year: int, value: str, value_params: list[Any], denominator: str = "COUNT(*)") -> Query:
    latest, params = _latest(VillageAssessment, "village_id", RunKind.VILLAGES, year)
    sql = statement(
        f"SELECT x.village_id, '', {value}, {denominator}"
        f" FROM {latest} l JOIN {{result}} x ON x.run_id = l.run_id AND x.village_id = l.subject_id"
        " WHERE x.weak_village = %s GROUP BY x.village_id",
        result=VillageAssessment,
    )
    return sql, [*value_params, *params, True]


def weak_villages_met(year: int) -> Query:
    """省定经济薄弱村 meeting V-INC (18万) / weak villages, as the key-county assessment counts them (K-VIL)."""
    return _weak_villages(year, "SUM(CASE WHEN CAST(x.criteria AS TEXT) LIKE %s THEN 1 ELSE 0 END)",
                          [_passed("V-INC")])


def weak_village_income(year: int) -> Query:
    """The collective income of each weak village (its own row; a township's is their sum)."""
    return _weak_villages(year, "SUM(COALESCE(x.collective_income, 0))", [], denominator="NULL")


def _county_share(year: int, numerator: str, denominator: str) -> Query:
    latest, params = _latest(CountyAssessment, "county_id", RunKind.COUNTIES, year)
    sql = statement(
        f"SELECT x.county_id, '', SUM(x.{numerator}), SUM(x.{denominator})"
        f" FROM {latest} l JOIN {{result}} x ON x.run_id = l.run_id AND x.county_id = l.subject_id"
        " GROUP BY x.county_id",
        result=CountyAssessment,
    )
    return sql, params


def key_county_household_share(year: int) -> Query:
    return _county_share(year, "households_meeting", "registered_households")


def key_county_village_share(year: int) -> Query:
    return _county_share(year, "weak_villages_meeting", "weak_villages")


register(Indicator(
    code="criteria_pass", name=_("“两不愁三保障”及收入各项达标率"), unit="%", section=Section.ASSESSMENT,
    query=criteria_pass, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    keys=dict(HOUSEHOLD_CRITERIA), sources=SOURCES, headline=True,
    description=_("最近一次正式农户评估中各项指标达标的户数÷评估户数"),
))
register(Indicator(
    code="households_meeting", name=_("农户评估达标率"), unit="%", section=Section.ASSESSMENT,
    query=households_meeting, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    sources=SOURCES, description=_("最近一次正式农户评估中各项均达标的户数÷评估户数"),
))
register(Indicator(
    code="weak_villages_met", name=_("经济薄弱村集体收入达标率"), unit="%", section=Section.ASSESSMENT,
    query=weak_villages_met, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    sources=SOURCES, headline=True,
    description=_("最近一次正式村评估中村集体经济收入达到标准(18万元)的省定经济薄弱村÷省定经济薄弱村"),
))
register(Indicator(
    code="weak_village_income", name=_("经济薄弱村集体经济收入"), unit=_("元"), section=Section.ASSESSMENT,
    query=weak_village_income, kind=Kind.SUM, direction=Direction.UP,
    target=Target(parameter="village_income_line", note=_("每个薄弱村")), sources=SOURCES,
    description=_("最近一次正式村评估中省定经济薄弱村的村集体经济收入合计"),
))
register(Indicator(
    code="key_county_household_share", name=_("重点帮扶县建档立卡户达标占比"), unit="%",
    section=Section.ASSESSMENT, query=key_county_household_share, kind=Kind.SHARE, direction=Direction.UP,
    target=Target(parameter="county_household_share"), sources=SOURCES, headline=True,
    description=_("最近一次正式重点帮扶县评估中达标户数÷建档立卡户数(不含已销户)"),
))
register(Indicator(
    code="key_county_village_share", name=_("重点帮扶县经济薄弱村达标占比"), unit="%",
    section=Section.ASSESSMENT, query=key_county_village_share, kind=Kind.SHARE, direction=Direction.UP,
    target=Target(parameter="county_village_share"), sources=SOURCES,
    description=_("最近一次正式重点帮扶县评估中集体收入达标的经济薄弱村÷经济薄弱村"),
))
