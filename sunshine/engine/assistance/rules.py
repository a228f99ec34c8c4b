"""The SQL of each R-* rule (services.md §5), written once in DuckDB's dialect and finished for the backend's.

``rule_sql(code, …)`` is a pure function of the year, the check date T, the two policy numbers and the
division; it returns one statement yielding the FINDINGS columns in a fixed order. Dates derived from T are
computed here and written as literals, so no date arithmetic depends on the dialect:

R-NOCADRE    a registered household (未脱贫, 返贫, or 已脱贫 with exit_year ≥ Y − 2) with no pairing covering T
R-OVERLOAD   a cadre with more than max_households distinct households paired at T
R-NOVISIT    a registered household whose last visit on or before T is before T − visit_days (or none):
             visited exactly visit_days before T is on time
R-NOTEAM     a 省定经济薄弱村 with no first secretary (第一书记) of a work team covering T
R-NOMEASURE  a household whose latest official assessment of Y (highest run_id) fails, with no measure of Y
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.assistance.catalogue import RULES
from sunshine.engine.comparison.rules.base import CTE, text
from sunshine.engine.dialect import DUCKDB, Dialect, in_list, string_literal

__all__ = ["FINDING_TYPES", "Params", "default_check_date", "rule_sql"]

FINDING_TYPES = {
    "rule": "VARCHAR", "severity": "VARCHAR", "year": "INTEGER", "subject": "VARCHAR", "key": "VARCHAR",
    "household_no": "VARCHAR", "cadre_no": "VARCHAR", "division_code": "VARCHAR", "explanation": "VARCHAR",
}
ORDER = ("key",)
FIRST_SECRETARY = "first_secretary"
FAILS = "fails"


@dataclass(frozen=True)
class Params:
    """The policy numbers the rules read (sunshine.policy.parameters: assistance_max_households,
    assistance_visit_days)."""

    max_households: int = 10
    visit_days: int = 90

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Params:
        data = data or {}
        return cls(max_households=int(data.get("assistance_max_households", cls.max_households)),
                   visit_days=int(data.get("assistance_visit_days", cls.visit_days)))


@dataclass(frozen=True)
class Context:
    year: int
    check_date: dt.date
    params: Params
    division_prefix: str | None = None
    dialect: Dialect = DUCKDB

    @property
    def today(self) -> str:
        return f"DATE '{self.check_date.isoformat()}'"

    def days_before(self, days: int) -> str:
        return f"DATE '{(self.check_date - dt.timedelta(days=days)).isoformat()}'"

    def in_division(self, column: str) -> str:
        return self.dialect.starts_with(column, self.division_prefix) if self.division_prefix else "TRUE"

    def covers(self, alias: str) -> str:
        """The row's start_date..end_date (inclusive; NULL end: open) covers T."""
        return (f"{alias}.start_date <= {self.today} AND "
                f"({alias}.end_date IS NULL OR {alias}.end_date >= {self.today})")


def default_check_date(year: int, today: dt.date | None = None) -> dt.date:
    """31 December of the year, or today if earlier."""
    today = today or dt.date.today()
    return min(dt.date(int(year), 12, 31), today)


def finding(code: str, ctx: Context, **columns: str) -> str:
    rule = RULES[code]
    given = {"rule": string_literal(code), "severity": string_literal(rule.severity), "year": str(int(ctx.year)),
             "subject": string_literal(rule.subject), **columns}
    return ",\n         ".join(f"CAST({given.get(name, 'NULL')} AS {sql_type}) AS {name}"
                               for name, sql_type in FINDING_TYPES.items())


def registered_cte(ctx: Context) -> CTE:
    """``registered``: the households R-NOCADRE and R-NOVISIT judge."""
    exited_since = int(ctx.year) - 2
    return ("registered", f"""  SELECT household_no, division_code, status
  FROM households
  WHERE status IN {in_list((v.IN_POVERTY, v.RETURNED))}
     OR (status = '{v.EXITED}' AND exit_year >= {exited_since})""")


def covering_cte(ctx: Context) -> CTE:
    return ("covering", f"""  SELECT DISTINCT p.cadre_no, p.household_no
  FROM pairings AS p
  WHERE {ctx.covers('p')}""")


def no_cadre(ctx: Context) -> list[CTE]:
    explanation = f"'户编号 ' || r.household_no || ':截至 {ctx.check_date.isoformat()} 无结对帮扶责任人'"
    return [registered_cte(ctx), covering_cte(ctx), ("finding", f"""  SELECT {finding(
        "R-NOCADRE", ctx, key="r.household_no", household_no="r.household_no", division_code="r.division_code",
        explanation=explanation)}
  FROM registered AS r LEFT JOIN (SELECT DISTINCT household_no FROM covering) AS c
    ON c.household_no = r.household_no
  WHERE c.household_no IS NULL""")]


def overload(ctx: Context) -> list[CTE]:
    limit = int(ctx.params.max_households)
    counted = ("counted", """  SELECT cadre_no, count(DISTINCT household_no) AS households
  FROM covering GROUP BY cadre_no""")
    explanation = (f"'干部编号 ' || n.cadre_no || ':截至 {ctx.check_date.isoformat()} 结对 ' || "
                   f"{text('n.households')} || ' 户,超过 {limit} 户'")
    return [covering_cte(ctx), counted, ("finding", f"""  SELECT {finding(
        "R-OVERLOAD", ctx, key="n.cadre_no", cadre_no="n.cadre_no", division_code="c.division_code",
        explanation=explanation)}
  FROM counted AS n LEFT JOIN cadres AS c ON c.cadre_no = n.cadre_no
  WHERE n.households > {limit}""")]


def no_visit(ctx: Context) -> list[CTE]:
    days = int(ctx.params.visit_days)
    last = ("last_visit", f"""  SELECT household_no, max(date) AS last_date
  FROM visits WHERE date <= {ctx.today} GROUP BY household_no""")
    explanation = (f"'户编号 ' || r.household_no || CASE WHEN l.last_date IS NULL THEN ':无走访记录' "
                   f"ELSE ':最近一次走访 ' || {text('l.last_date')} || ',距 {ctx.check_date.isoformat()} "
                   f"超过 {days} 天' END")
    return [registered_cte(ctx), last, ("finding", f"""  SELECT {finding(
        "R-NOVISIT", ctx, key="r.household_no", household_no="r.household_no", division_code="r.division_code",
        explanation=explanation)}
  FROM registered AS r LEFT JOIN last_visit AS l ON l.household_no = r.household_no
  WHERE l.last_date IS NULL OR l.last_date < {ctx.days_before(days)}""")]


def no_team(ctx: Context) -> list[CTE]:
    led = ("led", f"""  SELECT DISTINCT t.division_code
  FROM work_teams AS t
  WHERE t.role = '{FIRST_SECRETARY}' AND {ctx.covers('t')}""")
    explanation = (f"'省定经济薄弱村 ' || w.division_code || ':截至 {ctx.check_date.isoformat()} "
                   f"无有第一书记的驻村工作队'")
    return [led, ("finding", f"""  SELECT {finding(
        "R-NOTEAM", ctx, key="w.division_code", division_code="w.division_code", explanation=explanation)}
  FROM (SELECT DISTINCT division_code FROM villages WHERE weak_village) AS w
  LEFT JOIN led AS l ON l.division_code = w.division_code
  WHERE l.division_code IS NULL""")]


def no_measure(ctx: Context) -> list[CTE]:
    latest = ("latest", """  SELECT a.household_no, a.result
  FROM assessments AS a
  JOIN (SELECT household_no, max(run_id) AS run_id FROM assessments WHERE official GROUP BY household_no) AS m
    ON m.household_no = a.household_no AND m.run_id = a.run_id
  WHERE a.official""")
    measured = ("measured", f"""  SELECT DISTINCT household_no FROM measures WHERE year = {int(ctx.year)}""")
    explanation = (f"'户编号 ' || l.household_no || ':{int(ctx.year)} 年度最新正式评估未达标,"
                   f"本年度无帮扶措施'")
    return [latest, measured, ("finding", f"""  SELECT {finding(
        "R-NOMEASURE", ctx, key="l.household_no", household_no="l.household_no", division_code="h.division_code",
        explanation=explanation)}
  FROM latest AS l LEFT JOIN measured AS m ON m.household_no = l.household_no
  LEFT JOIN households AS h ON h.household_no = l.household_no
  WHERE l.result = '{FAILS}' AND m.household_no IS NULL""")]


BUILDERS: dict[str, Callable[[Context], list[CTE]]] = {
    "R-NOCADRE": no_cadre,
    "R-OVERLOAD": overload,
    "R-NOVISIT": no_visit,
    "R-NOTEAM": no_team,
    "R-NOMEASURE": no_measure,
}
assert list(BUILDERS) == list(RULES), "builders must follow the catalogue order"  # noqa: S101


def rule_sql(code: str, *, year: int, check_date: dt.date | None = None,
             params: Params | Mapping[str, Any] | None = None, division_prefix: str | None = None,
             dialect: Dialect = DUCKDB) -> str:
    """One statement giving the findings of rule ``code``, ordered by key."""
    if code not in BUILDERS:
        raise KeyError(f"unknown rule {code!r}")
    if division_prefix is not None and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only: {division_prefix!r}")
    resolved = params if isinstance(params, Params) else Params.from_mapping(params)
    ctx = Context(year=int(year), check_date=check_date or default_check_date(year), params=resolved,
                  division_prefix=division_prefix or None, dialect=dialect)
    ctes = BUILDERS[code](ctx)
    order = ", ".join(f"{column} NULLS LAST" for column in ORDER)
    sql = (f"{with_clause(ctes)}\nSELECT {', '.join(FINDING_TYPES)} FROM finding "
           f"WHERE {ctx.in_division('division_code')} ORDER BY {order}")
    return dialect.finish(sql)
