"""脱贫认定: the stored results of the latest official assessment runs of the year (sunshine.assessment).

Nothing is re-assessed here: each household (village, key county) counts with its result in the newest official
run of the year that assessed it, so the cockpit shows what `sunshine assess` decided and stored. What-if runs
never count. A village criterion's state is read from the stored criteria JSON by its text (``"V-INC": "pass"``),
the same on SQLite and PostgreSQL; the households' (a province's 750,000 results) by their key, as each database
reads JSON fastest (``_criterion_states``).
"""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from sunshine.assessment.choices import HOUSEHOLD_CRITERIA, CriterionState, Result
from sunshine.assessment.choices import Kind as RunKind
from sunshine.assessment.models import AssessmentRun, CountyAssessment, HouseholdAssessment, VillageAssessment
from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, statement
from sunshine.dashboard.indicators.params import codes_table
from sunshine.dashboard.indicators.prepared import prepare
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


CRITERIA = list(HOUSEHOLD_CRITERIA)


def household_results(year: int) -> Query:
    """Per village and result: the households in their newest official run of the year (``n``) and, a column
    each (``s0``…), those passing each §1 criterion: one pass over the results (and the criteria JSON's text)
    for both household indicators and every criterion — seven times faster on a province than testing each
    (household, criterion) pair."""
    state, paths = _criterion_states(CRITERIA)
    sums = ", ".join(f"SUM(CASE WHEN {state} = %s THEN 1 ELSE 0 END) AS s{i}" for i in range(len(CRITERIA)))
    # "No newer official run of the year assessed the household" rather than a join with each household's
    # MAX(run_id): PostgreSQL estimates an anti-join well, and the join of two columns with an aggregate at a
    # hundredth of its size (a nested loop of index look-ups over the province's households).
    sql = statement(
        f"SELECT t.village, t.result, COUNT(*) AS n, {sums} FROM ("
        " SELECT h.village_id AS village, x.result AS result, x.criteria AS criteria"
        " FROM {result} x JOIN {run} r ON r.id = x.run_id JOIN {household} h ON h.id = x.household_id"
        " WHERE r.kind = %s AND r.year = %s AND r.official = %s AND NOT EXISTS ("
        "  SELECT 1 FROM {result} y JOIN {run} s ON s.id = y.run_id WHERE y.household_id = x.household_id"
        "  AND y.run_id > x.run_id AND s.kind = %s AND s.year = %s AND s.official = %s)"
        ") t GROUP BY t.village, t.result",
        result=HouseholdAssessment, run=AssessmentRun, household=Household,
    )
    official = [RunKind.HOUSEHOLDS, year, True]
    passed = [p for path in paths for p in (path, CriterionState.PASS)]
    return sql, [*passed, *official, *official]


def _criterion_states(codes: list[str]) -> tuple[str, list[str]]:
    """The SQL reading one criterion's state from ``t.criteria`` (a flat JSON object), and each code's key.

    PostgreSQL's ``->>`` reads a jsonb key in place: four times faster on a province than matching the JSON's
    text, which PostgreSQL re-renders for every criterion tested; SQLite has json_extract."""
    if connection.vendor == "postgresql":
        return "t.criteria ->> %s", list(codes)
    return "json_extract(t.criteria, %s)", [f'$."{code}"' for code in codes]


RESULTS = prepare("household_results", household_results)


def criteria_pass(year: int) -> Query:
    """Per §1 criterion: assessed households passing it / assessed households (each household's latest run):
    the prepared per-village columns turned into one row per criterion."""
    table, code_params = codes_table(CRITERIA)
    pick = " ".join(f"WHEN %s THEN a.s{i}" for i in range(len(CRITERIA)))
    sums = ", ".join(f"SUM(t.s{i}) AS s{i}" for i in range(len(CRITERIA)))
    sql = (
        f"SELECT a.village, c.code, CASE c.code {pick} END, a.n"
        f" FROM (SELECT t.village, {sums}, SUM(t.n) AS n FROM {RESULTS.table} t GROUP BY t.village) a"
        f" CROSS JOIN {table} c"
    )
    return sql, [*CRITERIA, *code_params]


def households_meeting(year: int) -> Query:
    """Assessed households meeting all of §1 / assessed households."""
    return (f"SELECT t.village, '', SUM(CASE WHEN t.result = %s THEN t.n ELSE 0 END), SUM(t.n)"
            f" FROM {RESULTS.table} t GROUP BY t.village", [Result.MEETS])


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
    keys=dict(HOUSEHOLD_CRITERIA), uses=(RESULTS.name,), sources=SOURCES, headline=True,
    description=_("最近一次正式农户评估中各项指标达标的户数÷评估户数"),
))
register(Indicator(
    code="households_meeting", name=_("农户评估达标率"), unit="%", section=Section.ASSESSMENT,
    query=households_meeting, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    uses=(RESULTS.name,), sources=SOURCES, description=_("最近一次正式农户评估中各项均达标的户数÷评估户数"),
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
