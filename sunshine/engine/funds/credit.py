"""The computed standards of funds.md §5–6 as one statement each on DuckDB or Spark: the interest subsidy (贴息)
per loan and year, and the dividends (分红) per asset, year and household or village. Set-based: no loop per
day, loan or household — repayment dates cut a loan's life into intervals of constant outstanding principal,
window functions give each interval its principal, and shares are floored and topped up by rank.

Interest subsidy for loan L and year Y (funds.md §5): Σ over the days d of Y with loan_date ≤ d < the day L is
fully repaid (the first day its repayments reach the amount, or a renewal's loan_date) and d ≤ due
(extended_due_date if present, else due_date) of outstanding(d) × annual_rate ÷ 360, rounded half-up to the fen
once, at the end. Precision: exact. The sum is kept as the integer Σ fen × days × rate·10⁶ (annual_rate is
DECIMAL(9, 6), so rate·10⁶ is a whole number) in a 128-bit integer (DuckDB HUGEINT, Spark DECIMAL(38, 0)), and
the subsidy in fen is ⌊(sum + 180·10⁶) / (360·10⁶)⌋ by integer division. One row per loan outstanding on some
day of Y (subsidy 0.00 when every such day was overdue).

Dividends for an operating asset and year Y with income I (funds.md §6; assets whose household_ratio is unknown
are left out): the household pool ⌊I × household_ratio⌋ fen, the village pool the rest, split equally among
the asset's villages (its ``villages`` list, else its own division) with the remaining fen one each in
division-code order. The household pool goes to the eligible households of those villages (household_years of
Y: 未脱贫 or 返贫, or 已脱贫 with exit_year ≥ Y − keep_years), weight 1 (按户; also when the method is unknown)
or active_members (按人; counted from ``members`` when empty); each gets ⌊pool × weight / Σweight⌋ and the
leftover fen go one each by largest remainder, ties to the smaller 户编号. Rows of 0.00 are left out; a pool no
household (village) can take is not distributed.

``computed_standards`` turns both into the ``standards`` table F-OVER reads (loan_interest_subsidy per loan_no,
dividend per household_no summed over the assets)."""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.dialect import DUCKDB, Dialect, in_list
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.rules.base import CTE, Context, date_literal
from sunshine.engine.funds.rules.loans import home_ctes, loan_cte, renewed_cte
from sunshine.engine.funds.tables import (
    DIVIDENDS,
    OPERATING,
    PER_PERSON,
    STANDARDS,
    SUBSIDY,
)

__all__ = ["computed_standards", "dividends_sql", "subsidy_sql"]

FAR = "DATE '9999-12-31'"
RATE_SCALE = 1_000_000          # annual_rate·10⁶ is whole (DECIMAL(9, 6))
DAYS_PER_YEAR = 360             # 贴息 = principal × annual_rate ÷ 360 per day
SUBSIDY_ITEM, DIVIDEND_ITEM = "loan_interest_subsidy", "dividend"


def wide(dialect: Dialect) -> str:
    """An exact 128-bit integer type: HUGEINT on DuckDB (whose DECIMAL // is a DOUBLE), DECIMAL(38, 0) on Spark
    (whose DIV of decimals is exact)."""
    return "DECIMAL(38, 0)" if dialect.name == "spark" else "HUGEINT"


def _context(year: int, params: Params | Mapping[str, Any] | None, division_prefix: str | None,
             dialect: Dialect) -> Context:
    if division_prefix is not None and not division_prefix.isdigit():
        raise ValueError(f"a division prefix is digits only: {division_prefix!r}")
    resolved = params if isinstance(params, Params) else Params.from_mapping(params)
    return Context(year=int(year), check_date=dt.date(int(year), 12, 31), params=resolved,
                   division_prefix=division_prefix or None, dialect=dialect)


def subsidy_ctes(ctx: Context) -> list[CTE]:
    """CTEs ending in ``subsidy`` (loan_no, fen) for the loans outstanding on some day of the run's year."""
    first, last = date_literal(dt.date(ctx.year, 1, 1)), date_literal(dt.date(ctx.year, 12, 31))
    big = wide(ctx.dialect)
    events = f"""  SELECT e.loan_no, e.date, sum(e.fen) AS fen
  FROM (SELECT r.loan_no, r.date, {ctx.fen('r.principal')} AS fen
        FROM loan_repayments AS r JOIN loan AS l ON l.loan_no = r.loan_no
        WHERE r.date IS NOT NULL AND r.principal IS NOT NULL AND r.date <= {last}
        UNION ALL
        SELECT loan_no, loan_date AS date, 0 AS fen FROM loan) AS e
  GROUP BY e.loan_no, e.date"""
    # Each event starts an interval up to the day before the next one, with the principal repaid so far.
    steps = """  SELECT loan_no, date AS start_date, lead(date) OVER (PARTITION BY loan_no ORDER BY date) AS next_date,
         sum(fen) OVER (PARTITION BY loan_no ORDER BY date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           AS repaid
  FROM events"""
    repaid_on = """  SELECT s.loan_no, min(s.start_date) AS repaid_on
  FROM steps AS s JOIN loan AS l ON l.loan_no = s.loan_no
  WHERE s.repaid >= l.fen
  GROUP BY s.loan_no"""
    end = f"least(coalesce(p.repaid_on, {FAR}), coalesce(r.renewed_on, {FAR}))"
    span = f"""  SELECT l.loan_no, l.household_no, l.fen,
         CAST(l.annual_rate * CAST({RATE_SCALE} AS DECIMAL(7, 0)) AS BIGINT) AS rate,
         greatest(l.loan_date, {first}) AS lo,
         least(coalesce(l.due, {FAR}), {end} - 1, {last}) AS hi
  FROM loan AS l LEFT JOIN repaid_on AS p ON p.loan_no = l.loan_no
  LEFT JOIN renewed AS r ON r.loan_no = l.loan_no
  WHERE {end} > greatest(l.loan_date, {first})"""
    seg_lo, seg_hi = "greatest(s.start_date, p.lo)", f"least(coalesce(s.next_date - 1, {FAR}), p.hi)"
    parts = f"""  SELECT s.loan_no,
         CAST(p.fen - s.repaid AS {big}) * (datediff('day', {seg_lo}, {seg_hi}) + 1) * p.rate AS v
  FROM steps AS s JOIN span AS p ON p.loan_no = s.loan_no
  WHERE {seg_lo} <= {seg_hi}"""
    divisor = RATE_SCALE * DAYS_PER_YEAR
    subsidy = f"""  SELECT p.loan_no, p.household_no,
         CAST((coalesce(t.v, CAST(0 AS {big})) + {divisor // 2}) // {divisor} AS BIGINT) AS fen
  FROM span AS p
  LEFT JOIN (SELECT loan_no, sum(v) AS v FROM parts GROUP BY loan_no) AS t ON t.loan_no = p.loan_no"""
    where = f"l.loan_date IS NOT NULL AND l.loan_date <= {last} AND l.amount IS NOT NULL AND l.annual_rate IS NOT NULL"
    return [loan_cte(ctx, where), renewed_cte(dt.date(ctx.year, 12, 31)), ("events", events), ("steps", steps),
            ("repaid_on", repaid_on), ("span", span), ("parts", parts), ("subsidy", subsidy)]


def subsidy_sql(*, year: int, division_prefix: str | None = None, params: Params | Mapping[str, Any] | None = None,
                dialect: Dialect = DUCKDB) -> str:
    """One statement: loan_no, year, subsidy (yuan) per loan, ordered by loan_no (SUBSIDY)."""
    ctx = _context(year, params, division_prefix, dialect)
    ctes = subsidy_ctes(ctx)
    join, where = "", "TRUE"
    if ctx.division_prefix:
        ctes += home_ctes(ctx, "subsidy")
        join, where = "LEFT JOIN home AS h ON h.household_no = s.household_no", ctx.in_division("h.village_code")
    sql = (f"{with_clause(ctes)}\nSELECT s.loan_no, CAST({ctx.year} AS INTEGER) AS year, "
           f"CAST({ctx.yuan('s.fen')} AS DECIMAL(14, 2)) AS subsidy\nFROM subsidy AS s {join}\nWHERE {where}\n"
           "ORDER BY s.loan_no")
    return dialect.finish(sql)


def dividends_ctes(ctx: Context, keep_years: int) -> list[CTE]:
    """CTEs ending in ``shares`` (asset_no, household_no — NULL for a village —, division_code, fen)."""
    year, big, div = ctx.year, wide(ctx.dialect), ctx.dialect.int_div
    asset = f"""  SELECT asset_no, method,
         CAST(household_ratio * CAST({RATE_SCALE} AS DECIMAL(7, 0)) AS BIGINT) AS ratio,
         CASE WHEN villages IS NULL OR trim(villages) = '' THEN division_code ELSE villages END AS villages
  FROM assets
  WHERE status = '{OPERATING}' AND household_ratio >= 0 AND household_ratio <= 1"""
    pool = f"""  SELECT a.asset_no, a.method, i.fen AS income,
         CAST((CAST(i.fen AS {big}) * a.ratio) // {RATE_SCALE} AS BIGINT) AS household_pool
  FROM asset AS a
  JOIN (SELECT asset_no, sum({ctx.fen('income')}) AS fen FROM asset_income
        WHERE year = {year} AND income IS NOT NULL GROUP BY asset_no) AS i ON i.asset_no = a.asset_no
  WHERE i.fen > 0"""
    asset_villages = """  SELECT DISTINCT asset_no, trim(code) AS village_code
  FROM (SELECT a.asset_no, unnest(string_split(a.villages, ';')) AS code
        FROM asset AS a JOIN pool AS p ON p.asset_no = a.asset_no) AS s
  WHERE trim(code) <> ''"""
    village_pool = """  SELECT v.asset_no, v.village_code, p.income - p.household_pool AS pool,
         count(*) OVER (PARTITION BY v.asset_no) AS n,
         row_number() OVER (PARTITION BY v.asset_no ORDER BY v.village_code) AS rank
  FROM asset_villages AS v JOIN pool AS p ON p.asset_no = v.asset_no"""
    village_share = f"""  SELECT asset_no, CAST(NULL AS VARCHAR) AS household_no, village_code AS division_code,
         {div('pool', 'n')} + CASE WHEN rank <= pool - {div('pool', 'n')} * n THEN 1 ELSE 0 END AS fen
  FROM village_pool"""
    counted = f"""  SELECT household_no, count(*) AS n
  FROM members
  WHERE year = {year} AND member_status = '{v.MEMBER_ACTIVE}'
  GROUP BY household_no"""
    sharing = (f"h.status IN {in_list((v.IN_POVERTY, v.RETURNED))} "
               f"OR (h.status = '{v.EXITED}' AND h.exit_year >= {year - int(keep_years)})")
    eligible = f"""  SELECT h.household_no, min(h.village_code) AS village_code,
         max(coalesce(h.active_members, c.n, 0)) AS persons
  FROM household_years AS h LEFT JOIN counted AS c ON c.household_no = h.household_no
  WHERE h.year = {year} AND h.village_code IS NOT NULL AND ({sharing})
  GROUP BY h.household_no"""
    weighted = f"""  SELECT v.asset_no, e.household_no, e.village_code, p.household_pool AS pool,
         CAST(CASE WHEN p.method = '{PER_PERSON}' THEN e.persons ELSE 1 END AS BIGINT) AS w
  FROM asset_villages AS v JOIN eligible AS e ON e.village_code = v.village_code
  JOIN pool AS p ON p.asset_no = v.asset_no"""
    floored = f"""  SELECT w.*, t.weight, {div('w.pool * w.w', 't.weight')} AS base
  FROM weighted AS w
  JOIN (SELECT asset_no, sum(w) AS weight FROM weighted WHERE w > 0 GROUP BY asset_no) AS t
    ON t.asset_no = w.asset_no
  WHERE w.w > 0"""
    ranked = """  SELECT asset_no, household_no, village_code, base,
         pool - sum(base) OVER (PARTITION BY asset_no) AS leftover,
         row_number() OVER (PARTITION BY asset_no ORDER BY pool * w - base * weight DESC, household_no) AS rank
  FROM floored"""
    household_share = """  SELECT asset_no, household_no, village_code AS division_code,
         base + CASE WHEN rank <= leftover THEN 1 ELSE 0 END AS fen
  FROM ranked"""
    shares = """  SELECT * FROM village_share
  UNION ALL
  SELECT * FROM household_share"""
    return [("asset", asset), ("pool", pool), ("asset_villages", asset_villages), ("village_pool", village_pool),
            ("village_share", village_share), ("counted", counted), ("eligible", eligible), ("weighted", weighted),
            ("floored", floored), ("ranked", ranked), ("household_share", household_share), ("shares", shares)]


def dividends_sql(*, year: int, keep_years: int | None = None, division_prefix: str | None = None,
                  params: Params | Mapping[str, Any] | None = None, dialect: Dialect = DUCKDB) -> str:
    """One statement: asset_no, year, household_no, division_code, amount (DIVIDENDS), ordered by asset, village
    and household (the village's own share first)."""
    ctx = _context(year, params, division_prefix, dialect)
    keep = ctx.params.dividend_keep_years if keep_years is None else keep_years
    if isinstance(keep, bool) or not isinstance(keep, int) or not 0 <= keep <= 100:
        raise ValueError(f"keep_years must be a whole number of years, not {keep!r}")
    sql = (f"{with_clause(dividends_ctes(ctx, keep))}\n"
           f"SELECT s.asset_no, CAST({ctx.year} AS INTEGER) AS year, s.household_no, s.division_code, "
           f"CAST({ctx.yuan('s.fen')} AS DECIMAL(14, 2)) AS amount\nFROM shares AS s\n"
           f"WHERE s.fen > 0 AND {ctx.in_division('s.division_code')}\n"
           "ORDER BY s.asset_no, s.division_code, s.household_no NULLS FIRST")
    return dialect.finish(sql)


def conform_subsidy(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in SUBSIDY], schema=SUBSIDY)


def conform_dividends(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in DIVIDENDS], schema=DIVIDENDS)


def computed_standards(subsidy: pa.Table | None = None, dividends: pa.Table | None = None) -> pa.Table:
    """The ``standards`` table (sunshine.engine.funds.tables.STANDARDS) F-OVER reads: the subsidy per loan and
    year, and the dividends per household and year summed over the assets (village shares are no one's)."""
    parts = [STANDARDS.empty_table()]
    if subsidy is not None and subsidy.num_rows:
        parts.append(pa.Table.from_arrays(
            [pa.array([SUBSIDY_ITEM] * subsidy.num_rows, pa.string()), subsidy.column("loan_no"),
             subsidy.column("year").cast(pa.int32()), subsidy.column("subsidy").cast(STANDARDS.field("amount").type)],
            schema=STANDARDS))
    if dividends is not None and dividends.num_rows:
        households = dividends.filter(pc.is_valid(dividends.column("household_no")))
        summed = households.group_by(["household_no", "year"], use_threads=False).aggregate([("amount", "sum")])
        parts.append(pa.Table.from_arrays(
            [pa.array([DIVIDEND_ITEM] * summed.num_rows, pa.string()), summed.column("household_no"),
             summed.column("year").cast(pa.int32()), summed.column("amount_sum").cast(STANDARDS.field("amount").type)],
            schema=STANDARDS))
    table = pa.concat_tables(parts)
    return table.sort_by([("item", "ascending"), ("key", "ascending"), ("year", "ascending")])
