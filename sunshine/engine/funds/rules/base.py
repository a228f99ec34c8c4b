"""The pieces every funds rule is built from: the context (year, check date, parameters, dialect), the subsidy
items as a table, the registry facts of payees, the spending of projects, and the projection of a finding.

A rule is a list of common table expressions ending in ``finding``, which yields FINDING_TYPES; rule_sql adds
the division filter and the fixed order. Rules are written once, in DuckDB SQL; the Spark dialect translates
the finished statement. Dates derived from the check date (T − 90 days) are computed here and written as
literals, so that no date arithmetic depends on the dialect. Money is summed as BIGINT fen (exact and fast)
and turned back into yuan for output.

Names in explanations are masked (张*三) as public notices mask them; ID numbers never reach the engine."""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import amount_text
from sunshine.engine.comparison.rules.base import CTE, text
from sunshine.engine.dialect import DUCKDB, Dialect, in_list, string_literal
from sunshine.engine.funds.catalogue import RULES
from sunshine.engine.funds.params import MONTH, ONCE, YEAR, Params

__all__ = ["CTE", "FINDING_TYPES", "ORDER", "Context", "finding", "text"]

FINDING_TYPES = {
    "rule": "VARCHAR", "severity": "VARCHAR", "year": "INTEGER", "subject": "VARCHAR", "key": "VARCHAR",
    "household_no": "VARCHAR", "id_hash": "VARCHAR", "division_code": "VARCHAR", "amount": "DECIMAL(18, 2)",
    "explanation": "VARCHAR",
}
ORDER = ("key", "household_no", "id_hash")


@dataclass(frozen=True)
class Context:
    """Everything a rule's SQL depends on."""

    year: int
    check_date: dt.date
    params: Params
    division_prefix: str | None = None
    dialect: Dialect = DUCKDB

    @property
    def today(self) -> str:
        return date_literal(self.check_date)

    def days_before(self, days: int) -> str:
        return date_literal(self.check_date - dt.timedelta(days=days))

    @property
    def check_text(self) -> str:
        return self.check_date.isoformat()

    def fen(self, yuan: str) -> str:
        return self.dialect.fen(yuan)

    def yuan(self, fen: str) -> str:
        return self.dialect.yuan(fen)

    def money(self, fen: str) -> str:
        """Fen as the text of yuan: 400000 → '4000.00'."""
        return text(self.yuan(fen))

    def in_division(self, column: str) -> str:
        return self.dialect.starts_with(column, self.division_prefix) if self.division_prefix else "TRUE"

    def joined(self, expr: str, separator: str = ";") -> str:
        """The group's values of ``expr`` in ascending order joined with ``separator``."""
        return f"array_to_string({self.dialect.sorted_list(expr)}, {string_literal(separator)})"


def date_literal(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def finding(code: str, ctx: Context, **columns: str) -> str:
    """The SELECT list of a finding: the given column expressions, typed NULLs for the others."""
    rule = RULES[code]
    given = {"rule": string_literal(code), "severity": string_literal(rule.severity), "year": str(int(ctx.year)),
             "subject": string_literal(rule.subject), **columns}
    return ",\n         ".join(f"CAST({given.get(name, 'NULL')} AS {sql_type}) AS {name}"
                               for name, sql_type in FINDING_TYPES.items())


def masked(name: str) -> str:
    """张三丰 → 张*丰, 张三 → 张*, 张 → 张* (sunshine.workflow.views_common.mask_name); unknown → ''."""
    return (f"CASE WHEN {name} IS NULL OR {name} = '' THEN '' "
            f"WHEN length({name}) <= 2 THEN substr({name}, 1, 1) || '*' "
            f"ELSE substr({name}, 1, 1) || '*' || substr({name}, length({name}), 1) END")


def registered(status: str) -> str:
    """The household status of the year makes its members 'registered' (funds.md §2)."""
    return f"coalesce({status} IN {in_list(v.REGISTERED_STATUSES)}, FALSE)"


# --- subsidy items ---------------------------------------------------------------------------------------------

def items_cte(ctx: Context) -> CTE:
    """``items``: code, label, unit, period, standard_fen (NULL: computed), standard_text, needs_registered."""
    rows = []
    for i in ctx.params.subsidy_items:
        fen = "CAST(NULL AS BIGINT)" if i.standard is None else f"CAST({int(i.standard * 100)} AS BIGINT)"
        shown = "CAST(NULL AS VARCHAR)" if i.standard is None else string_literal(amount_text(i.standard))
        rows.append(f"  SELECT {string_literal(i.code)} AS code, {string_literal(i.label)} AS label, "
                    f"{string_literal(i.unit)} AS unit, {string_literal(i.period)} AS period, {fen} AS standard_fen, "
                    f"{shown} AS standard_text, {'TRUE' if i.needs_registered else 'FALSE'} AS needs_registered")
    if not rows:
        rows.append("  SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS label, "
                    "CAST(NULL AS VARCHAR) AS unit, CAST(NULL AS VARCHAR) AS period, CAST(NULL AS BIGINT) AS "
                    "standard_fen, CAST(NULL AS VARCHAR) AS standard_text, FALSE AS needs_registered WHERE 1 = 0")
    return ("items", "\n  UNION ALL\n".join(rows))


def item_label(ctx: Context, code: str) -> str:
    """The Chinese name of an item code column (an unknown code as it is)."""
    whens = " ".join(f"WHEN {string_literal(i.code)} THEN {string_literal(i.label)}"
                     for i in ctx.params.subsidy_items)
    return f"CASE {code} {whens} ELSE {code} END" if whens else code


def once_items(ctx: Context) -> list[str]:
    return [i.code for i in ctx.params.subsidy_items if i.period == ONCE]


def period_text(period_kind: str, period: str) -> str:
    """'2020年度' for a yearly item, '2020年03月' for a monthly one, '' for a once-ever one."""
    return (f"CASE {period_kind} WHEN '{YEAR}' THEN substr({period}, 1, 4) || '年度' "
            f"WHEN '{MONTH}' THEN substr({period}, 1, 4) || '年' || substr({period}, 6, 2) || '月' ELSE '' END")


# --- payments and their payees ---------------------------------------------------------------------------------

def year_filter(ctx: Context, *, all_years_for_once: bool = False, p: str = "p") -> str:
    """The payments a run judges: period in the run's year, paid on or before T (with ``all_years_for_once``,
    every payment of a once-ever item too)."""
    this_year = f"{p}.period LIKE '{int(ctx.year)}%'"
    once = once_items(ctx)
    if all_years_for_once and once:
        this_year = f"({this_year} OR {p}.item IN {in_list(once)})"
    return f"{p}.paid_date <= {ctx.today} AND {this_year}"


def pay_columns(ctx: Context, p: str = "p") -> str:
    return (f"{p}.payment_no, {p}.id_hash, {p}.name, {p}.item, {p}.period, "
            f"TRY_CAST(substr({p}.period, 1, 4) AS INTEGER) AS period_year, {ctx.fen(f'{p}.amount')} AS fen, "
            f"{p}.paid_date, {p}.project_no, {p}.fund_no, {p}.loan_no, {p}.household_no AS stated_household")


def person_year_cte(ctx: Context, *, all_years: bool = False, only: str | None = None) -> CTE:
    """``person_year``: per id_hash and year, the household a payee belongs to (an active member of a
    registered household first, then any row; the smaller 户编号 on a tie) as ``pick`` ('0'/'1'/'2' || 户编号),
    whether they were an active member of a registered household, and the latest date they left a registered
    household; over the run's year (``all_years``: every year up to it); ``only``: a CTE whose id_hash values
    are the people wanted (the registry is otherwise aggregated whole)."""
    reg = registered("m.household_status")
    years = f"m.year <= {int(ctx.year)}" if all_years else f"m.year = {int(ctx.year)}"
    restrict = f"\n  JOIN (SELECT DISTINCT id_hash FROM {only}) AS w ON w.id_hash = m.id_hash" if only else ""
    return ("person_year", f"""  SELECT m.id_hash, m.year,
         min(CASE WHEN {reg} AND m.member_status = '{v.MEMBER_ACTIVE}' THEN '0' WHEN {reg} THEN '1' ELSE '2' END
             || m.household_no) AS pick,
         coalesce(bool_or({reg} AND m.member_status = '{v.MEMBER_ACTIVE}'), FALSE) AS active_registered,
         max(CASE WHEN {reg} AND coalesce(m.member_status, '') <> '{v.MEMBER_ACTIVE}' THEN m.change_date END)
           AS left_registered,
         min(m.name) AS registry_name
  FROM members AS m{restrict}
  WHERE m.id_hash IS NOT NULL AND {years}
  GROUP BY m.id_hash, m.year""")


def payee_cte(pay: str = "pay") -> CTE:
    """``payee``: the rows of ``pay`` with the payee's household (the registry's, else the one the payment
    states), registration and name (the payment's, else the registry's)."""
    return ("payee", f"""  SELECT p.*, coalesce(substr(y.pick, 2), p.stated_household) AS household_no,
         coalesce(y.active_registered, FALSE) AS active_registered, y.left_registered,
         coalesce(p.name, y.registry_name) AS payee_name
  FROM {pay} AS p LEFT JOIN person_year AS y ON y.id_hash = p.id_hash AND y.year = p.period_year""")


def households_cte(ctx: Context) -> CTE:
    """``households``: per 户编号 and year, its village and whether it is registered."""
    return ("households", f"""  SELECT household_no, year, min(village_code) AS village_code,
         coalesce(bool_or({registered('household_status')}), FALSE) AS registered
  FROM members
  WHERE year <= {int(ctx.year)}
  GROUP BY household_no, year""")


def payment_owner(p: str = "p") -> tuple[str, str]:
    """(joins, expression): the division that owns a payment finding — the payee household's village, else the
    project's or the fund's division. Needs the ``households`` CTE."""
    joins = (f"LEFT JOIN households AS h ON h.household_no = {p}.household_no AND h.year = {p}.period_year\n"
             f"  LEFT JOIN (SELECT project_no, min(division_code) AS division_code FROM projects GROUP BY project_no)"
             f" AS pr ON pr.project_no = {p}.project_no\n"
             f"  LEFT JOIN (SELECT fund_no, min(division_code) AS division_code FROM funds GROUP BY fund_no)"
             f" AS fu ON fu.fund_no = {p}.fund_no")
    return joins, "coalesce(h.village_code, pr.division_code, fu.division_code)"


def paid_to(ctx: Context, p: str = "p") -> str:
    """'2020-03-01向张*三发放教育资助2000.00元'."""
    return (f"{text(f'{p}.paid_date')} || '向' || {masked(f'{p}.payee_name')} || '发放' || "
            f"{item_label(ctx, f'{p}.item')} || {ctx.money(f'{p}.fen')} || '元'")


# --- projects ---------------------------------------------------------------------------------------------

def project(p: str = "p") -> str:
    """'项目XM001(某某村道路硬化)' — the name left out when unknown."""
    return f"'项目' || {p}.project_no || CASE WHEN {p}.name IS NULL THEN '' ELSE '(' || {p}.name || ')' END"


# --- project spending ------------------------------------------------------------------------------------------

def spending_cte(ctx: Context, name: str = "spending") -> CTE:
    """Per project: spending dated on or before T (expenditures + payments naming the project), in fen, and the
    date of its first spending."""
    return (name, f"""  SELECT project_no, sum(fen) AS fen, min(date) AS first_date
  FROM (SELECT project_no, {ctx.fen('amount')} AS fen, date FROM expenditures WHERE date <= {ctx.today}
        UNION ALL
        SELECT project_no, {ctx.fen('amount')} AS fen, paid_date AS date FROM payments
        WHERE project_no IS NOT NULL AND paid_date <= {ctx.today}) AS s
  GROUP BY project_no""")
