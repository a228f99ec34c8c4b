"""Micro-credit rules (扶贫小额信贷, funds.md §5): L-LIMIT, L-INELIGIBLE, L-OVERDUE.

L-LIMIT       a loan issued in the run's year (loan_date ≤ T) outside the policy: amount > loan_max (50000), or
              due_date later than loan_date + loan_max_years (3), or guarantee other than 免担保; or a loan
              whose due_date lies in the run's year (when an extension is granted) extended to a date later than
              due_date + loan_extension_years (1)
L-INELIGIBLE  a loan issued in the run's year whose borrower (by id_hash) was not registered (§2: an active
              member of a 未脱贫/已脱贫/返贫 household that year, or one who left it on or after loan_date), or
              aged < 18 or > 65 on loan_date (by ``members.birth_date``; unknown: not judged)
L-OVERDUE     at T, outstanding principal > 0 and T later than the due date (extended_due_date if present, else
              due_date) by more than loan_overdue_risk_days (0); severity 'warning' when more than
              loan_overdue_warning_days (90) days, else 'risk' (funds.md §5's words)

Outstanding principal on day d = amount − Σ principal repaid on or before d; a loan renewed (续贷: a loan whose
renewal_of names it) counts as repaid on the renewal's loan_date. "n years after" compares dates as
year·10000 + month·100 + day, so that 29 February + 1 year is 28 February on both engines without any date
arithmetic of a dialect. A finding's division is its household's village (the latest registry year up to the
run's year, from ``household_years`` or ``members``).
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt

from sunshine.engine.dialect import label_of
from sunshine.engine.funds.catalogue import RISK, WARNING
from sunshine.engine.funds.rules.base import CTE, Context, date_literal, finding, masked, person_year_cte, text
from sunshine.engine.funds.tables import GUARANTEES, NO_GUARANTEE, labels


def date_key(day: str) -> str:
    """A date as the integer yyyymmdd: adding n·10000 is 'n years later' (29 Feb + 1 year is after 28 Feb)."""
    return f"(year({day}) * 10000 + month({day}) * 100 + day({day}))"


def loan_cte(ctx: Context, where: str = "TRUE", name: str = "loan") -> CTE:
    """``loan``: the loans with their due date (the extension's when there is one) and amount in fen."""
    return (name, f"""  SELECT l.loan_no, l.household_no, l.id_hash, l.name, l.bank, l.loan_date, l.due_date,
         l.extended_due_date, coalesce(l.extended_due_date, l.due_date) AS due,
         {ctx.fen('l.amount')} AS fen, l.annual_rate, l.guarantee, l.renewal_of
  FROM loans AS l
  WHERE {where}""")


def renewed_cte(until: dt.date) -> CTE:
    """``renewed``: per loan renewed on or before ``until``, the first renewal's loan_date (it is repaid then)."""
    return ("renewed", f"""  SELECT renewal_of AS loan_no, min(loan_date) AS renewed_on
  FROM loans
  WHERE renewal_of IS NOT NULL AND loan_date IS NOT NULL AND loan_date <= {date_literal(until)}
  GROUP BY renewal_of""")


def home_ctes(ctx: Context, only: str) -> list[CTE]:
    """``home``: per household of ``only`` (a CTE with household_no), its village in the latest registry year up
    to the run's (household_years, else members; the smaller code on a tie)."""
    year = int(ctx.year)
    rows = f"""  SELECT f.household_no, f.year, f.village_code
  FROM (SELECT household_no, year, village_code FROM household_years WHERE year <= {year}
        UNION ALL
        SELECT household_no, year, village_code FROM members WHERE year <= {year}) AS f
  JOIN (SELECT DISTINCT household_no FROM {only}) AS w ON w.household_no = f.household_no
  WHERE f.village_code IS NOT NULL"""
    home = """  SELECT r.household_no, min(r.village_code) AS village_code
  FROM home_rows AS r
  JOIN (SELECT household_no, max(year) AS year FROM home_rows GROUP BY household_no) AS m
    ON m.household_no = r.household_no AND m.year = r.year
  GROUP BY r.household_no"""
    return [("home_rows", rows), ("home", home)]


def _issued(ctx: Context) -> str:
    """Loans the run judges at issue: issued in the run's year, on or before T."""
    return (f"l.loan_date >= {date_literal(dt.date(int(ctx.year), 1, 1))} AND l.loan_date <= {ctx.today}")


def _who(name: str) -> str:
    return f"CASE WHEN {name} IS NULL OR {name} = '' THEN '' ELSE '(' || {masked(name)} || ')' END"


def limit(ctx: Context) -> list[CTE]:
    p = ctx.params
    max_fen = int(p.loan_max * 100)
    years, extension = int(p.loan_max_years), int(p.loan_extension_years)
    guarantee = label_of("l.guarantee", labels(GUARANTEES))
    reasons = ", ".join([
        f"CASE WHEN l.issued AND l.fen > {max_fen} THEN '贷款金额' || {ctx.money('l.fen')} || '元,超过上限"
        f"{p.loan_max.normalize():f}元' END",
        f"CASE WHEN l.issued AND {date_key('l.due_date')} > {date_key('l.loan_date')} + "
        f"{years * 10000} THEN '到期日' || {text('l.due_date')} || ',期限超过{years}年' END",
        f"CASE WHEN l.issued AND l.guarantee <> '{NO_GUARANTEE}' THEN '担保方式为' || {guarantee} || ',不是免担保' END",
        f"CASE WHEN {date_key('l.extended_due_date')} > {date_key('l.due_date')} + "
        f"{extension * 10000} THEN '展期至' || {text('l.extended_due_date')} || ',超过原到期日' || "
        f"{text('l.due_date')} || '后{extension}年' END",
    ])
    judged = f"""  SELECT l.*, concat_ws(';', {reasons}) AS reasons
  FROM (SELECT l.*, {_issued(ctx)} AS issued FROM loan AS l) AS l"""
    explanation = (f"'贷款' || j.loan_no || {_who('j.name')} || '于' || {text('j.loan_date')} || '发放' || "
                   f"{ctx.money('j.fen')} || '元:' || j.reasons")
    result = f"""  SELECT {finding("L-LIMIT", ctx, key="j.loan_no", household_no="j.household_no", id_hash="j.id_hash",
                            division_code="h.village_code", amount=ctx.yuan("j.fen"), explanation=explanation)}
  FROM judged AS j LEFT JOIN home AS h ON h.household_no = j.household_no
  WHERE j.reasons <> ''"""
    # An extension (展期) is granted when the loan falls due: it is judged in the year of the original due date.
    due_this_year = (f"l.extended_due_date IS NOT NULL AND year(l.due_date) = {int(ctx.year)} "
                     f"AND l.loan_date <= {ctx.today}")
    return [loan_cte(ctx, f"({_issued(ctx)}) OR ({due_this_year})"), *home_ctes(ctx, "loan"), ("judged", judged),
            ("finding", result)]


def ineligible(ctx: Context) -> list[CTE]:
    p = ctx.params
    born = """  SELECT m.id_hash, min(m.birth_date) AS birth_date
  FROM members AS m JOIN (SELECT DISTINCT id_hash FROM loan) AS w ON w.id_hash = m.id_hash
  WHERE m.birth_date IS NOT NULL
  GROUP BY m.id_hash"""
    age = ctx.dialect.int_div(f"({date_key('l.loan_date')} - {date_key('b.birth_date')})", "10000")
    judged = f"""  SELECT l.loan_no, l.household_no, l.id_hash, coalesce(l.name, y.registry_name) AS name, l.loan_date,
         l.fen, {age} AS age,
         NOT coalesce(y.active_registered, FALSE) AND NOT coalesce(y.left_registered >= l.loan_date, FALSE)
           AS unregistered
  FROM loan AS l LEFT JOIN person_year AS y ON y.id_hash = l.id_hash AND y.year = {int(ctx.year)}
  LEFT JOIN born AS b ON b.id_hash = l.id_hash
  WHERE l.id_hash IS NOT NULL"""
    young, old = int(p.loan_min_age), int(p.loan_max_age)
    reasons = ", ".join([
        f"CASE WHEN j.unregistered THEN '该借款人{int(ctx.year)}年度不是建档立卡户在册成员' END",
        f"CASE WHEN j.age < {young} THEN '放款时' || {text('j.age')} || '岁,未满{young}周岁' "
        f"WHEN j.age > {old} THEN '放款时' || {text('j.age')} || '岁,超过{old}周岁' END",
    ])
    explanation = (f"'贷款' || j.loan_no || '于' || {text('j.loan_date')} || '向' || {masked('j.name')} || '发放' || "
                   f"{ctx.money('j.fen')} || '元,' || concat_ws(',', {reasons})")
    result = f"""  SELECT {finding("L-INELIGIBLE", ctx, key="j.loan_no", household_no="j.household_no",
                            id_hash="j.id_hash", division_code="h.village_code", amount=ctx.yuan("j.fen"),
                            explanation=explanation)}
  FROM judged AS j LEFT JOIN home AS h ON h.household_no = j.household_no
  WHERE j.unregistered OR coalesce(j.age < {young} OR j.age > {old}, FALSE)"""
    return [loan_cte(ctx, _issued(ctx)), person_year_cte(ctx, only="loan"), ("born", born), ("judged", judged),
            *home_ctes(ctx, "loan"), ("finding", result)]


def overdue(ctx: Context) -> list[CTE]:
    p = ctx.params
    repaid = f"""  SELECT r.loan_no, sum({ctx.fen('r.principal')}) AS fen
  FROM loan_repayments AS r JOIN loan AS l ON l.loan_no = r.loan_no
  WHERE r.date <= {ctx.today} AND r.principal IS NOT NULL
  GROUP BY r.loan_no"""
    judged = f"""  SELECT l.*, l.fen - coalesce(p.fen, 0) AS outstanding, datediff('day', l.due, {ctx.today}) AS days
  FROM loan AS l LEFT JOIN repaid AS p ON p.loan_no = l.loan_no
  LEFT JOIN renewed AS r ON r.loan_no = l.loan_no
  WHERE r.loan_no IS NULL"""
    extended = (f"CASE WHEN j.extended_due_date IS NULL THEN '' "
                f"ELSE '(展期至' || {text('j.extended_due_date')} || ')' END")
    bank = "CASE WHEN j.bank IS NULL OR j.bank = '' THEN '' ELSE '在' || j.bank END"
    explanation = (f"'贷款' || j.loan_no || {_who('j.name')} || '于' || {text('j.loan_date')} || {bank} || '放款' || "
                   f"{ctx.money('j.fen')} || '元,到期日' || {text('j.due_date')} || {extended} || "
                   f"',截至{ctx.check_text}尚欠本金' || {ctx.money('j.outstanding')} || '元,逾期' || "
                   f"{text('j.days')} || '天'")
    severity = f"CASE WHEN j.days > {int(p.loan_overdue_warning_days)} THEN '{WARNING}' ELSE '{RISK}' END"
    result = f"""  SELECT {finding("L-OVERDUE", ctx, severity=severity, key="j.loan_no", household_no="j.household_no",
                            id_hash="j.id_hash", division_code="h.village_code", amount=ctx.yuan("j.outstanding"),
                            explanation=explanation)}
  FROM judged AS j LEFT JOIN home AS h ON h.household_no = j.household_no
  WHERE j.outstanding > 0 AND j.days > {int(p.loan_overdue_risk_days)}"""
    where = f"l.loan_date <= {ctx.today} AND coalesce(l.extended_due_date, l.due_date) IS NOT NULL"
    return [loan_cte(ctx, where), renewed_cte(ctx.check_date), ("repaid", repaid), ("judged", judged),
            *home_ctes(ctx, "loan"), ("finding", result)]
