"""Rules on payments to people (一卡通, funds.md §3): F-INELIGIBLE, F-DUP, F-OVER, F-CADRE.

The payments judged are those whose period (所属期) lies in the run's year, paid on or before T; a once-ever
item (危房改造补助) is judged over every payment of it ever made to the household, flagged in the year of a
payment of the group. A payee's household is the registry's for the period's year (by id_hash), else the
户编号 the payment states.

F-INELIGIBLE  an item that needs a registered household paid to a person who was not an active member of a
              registered household (未脱贫 · 已脱贫 · 返贫) in the period's year when paid; or any payment paid
              after the payee's death (deaths dataset, or 成员状态 死亡 with 变动日期 < paid_date)
F-DUP         two or more payments with the same person (household, loan — by the item's unit), item and period;
              one finding per group, listing the payments
F-OVER        the payments of one person (household, loan) for one item and period total more than the standard
              (computed items: the standards table's amount + 0.01 元; not judged for an item and year the table
              has no row for)
F-CADRE       the payee's household that year contains a person on village_cadres of the same village whose term
              covers paid_date (优亲厚友, for review)
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine import vocabulary as v
from sunshine.engine.dialect import label_of
from sunshine.engine.funds.params import HOUSEHOLD, LOAN, ONCE, PERSON
from sunshine.engine.funds.rules.base import (
    CTE,
    Context,
    finding,
    households_cte,
    item_label,
    items_cte,
    masked,
    once_items,
    paid_to,
    pay_columns,
    payee_cte,
    payment_owner,
    period_text,
    person_year_cte,
    registered,
    text,
    year_filter,
)
from sunshine.engine.funds.tables import CADRE_POSITIONS, labels

DECEASED = "deceased"


def ineligible(ctx: Context) -> list[CTE]:
    """Only payments that may be flagged are looked at closely: an item needing registration paid to someone
    who is not an active member of a registered household that year, or a payee with a death record."""
    died = f"""  SELECT id_hash, min(death_date) AS death_date
  FROM (SELECT id_hash, death_date FROM deaths WHERE id_hash IS NOT NULL AND death_date IS NOT NULL
        UNION ALL
        SELECT id_hash, change_date AS death_date FROM members
        WHERE member_status = '{DECEASED}' AND change_date IS NOT NULL AND id_hash IS NOT NULL) AS d
  GROUP BY id_hash"""
    active = f"""  SELECT DISTINCT id_hash FROM members
  WHERE year = {int(ctx.year)} AND id_hash IS NOT NULL AND member_status = '{v.MEMBER_ACTIVE}'
    AND {registered('household_status')}"""
    pay = f"""  SELECT {pay_columns(ctx)}
  FROM payments AS p LEFT JOIN items AS i ON i.code = p.item
  LEFT JOIN active AS a ON a.id_hash = p.id_hash LEFT JOIN died AS d ON d.id_hash = p.id_hash
  WHERE {year_filter(ctx)}
    AND ((coalesce(i.needs_registered, FALSE) AND a.id_hash IS NULL) OR coalesce(d.death_date < p.paid_date, FALSE))"""
    judged = """  SELECT p.*, d.death_date, coalesce(d.death_date < p.paid_date, FALSE) AS after_death,
         coalesce(i.needs_registered, FALSE) AND NOT p.active_registered
           AND NOT coalesce(p.left_registered >= p.paid_date, FALSE) AS unregistered
  FROM payee AS p LEFT JOIN items AS i ON i.code = p.item LEFT JOIN died AS d ON d.id_hash = p.id_hash"""
    joins, owner = payment_owner("p")
    explanation = (f"{paid_to(ctx)} || "
                   f"CASE WHEN p.after_death THEN ',该人员已于' || {text('p.death_date')} || '死亡' "
                   f"ELSE ',该人员' || {text('p.period_year')} || "
                   "'年度不是建档立卡户在册成员,不符合该项目发放条件' END")
    result = f"""  SELECT {finding("F-INELIGIBLE", ctx, key="p.payment_no", household_no="p.household_no",
                            id_hash="p.id_hash", division_code=owner, amount=ctx.yuan("p.fen"),
                            explanation=explanation)}
  FROM judged AS p
  {joins}
  WHERE p.after_death OR p.unregistered"""
    return [items_cte(ctx), ("died", died), ("active", active), ("pay", pay), person_year_cte(ctx, only="pay"),
            payee_cte(), ("judged", judged), households_cte(ctx), ("finding", result)]


def _unit_rows(ctx: Context, *, lean: bool = False) -> str:
    """Payments of a known item with the key of its unit (person id_hash, household 户编号, loan 编号) and the
    period they are grouped by ('' for a once-ever item). Only household items need the registry (the payee's
    household), so only they are joined to it. ``lean``: only what the grouping reads."""
    own = (f"p.item, TRY_CAST(substr(p.period, 1, 4) AS INTEGER) AS period_year, {ctx.fen('p.amount')} AS fen"
           if lean else pay_columns(ctx))
    columns = f"{own}, i.standard_fen, CASE WHEN i.period = '{ONCE}' THEN '' ELSE p.period END AS group_period"
    where = year_filter(ctx, all_years_for_once=True)
    return f"""SELECT {columns}, CASE i.unit WHEN '{PERSON}' THEN p.id_hash WHEN '{LOAN}' THEN p.loan_no END AS unit_key
    FROM payments AS p JOIN items AS i ON i.code = p.item AND i.unit <> '{HOUSEHOLD}'
    WHERE {where}
    UNION ALL
    SELECT {columns}, coalesce(substr(y.pick, 2), p.household_no) AS unit_key
    FROM payments AS p JOIN items AS i ON i.code = p.item AND i.unit = '{HOUSEHOLD}'
    LEFT JOIN person_year AS y ON y.id_hash = p.id_hash AND y.year = TRY_CAST(substr(p.period, 1, 4) AS INTEGER)
    WHERE {where}"""


def _keyed(ctx: Context, candidate: str) -> list[CTE]:
    """Two passes over the payments, so that the province-sized grouping holds integers only: ``hashed`` groups
    by a hash of (item, period, unit) and keeps the groups that ``candidate`` (over n, pos — the sum of the
    positive amounts —, lim — the smallest fixed standard, -1 for a computed item — and this_year) may flag; a
    hash shared by two groups only adds candidates, never loses one. ``keyed`` is the candidates' payments,
    grouped exactly afterwards, with the payee's household and name."""
    unit_key = "hash(u.item, u.group_period, u.unit_key)"
    having = candidate.format(n="count(*)", pos="sum(greatest(u.fen, 0))", lim="min(coalesce(u.standard_fen, -1))",
                              this_year=f"bool_or(u.period_year = {int(ctx.year)})")
    hashed = f"""  SELECT {unit_key} AS h
  FROM ({_unit_rows(ctx, lean=True)}) AS u
  WHERE u.unit_key IS NOT NULL
  GROUP BY {unit_key}
  HAVING {having}"""
    candidates = f"""  SELECT u.*
  FROM ({_unit_rows(ctx)}) AS u JOIN hashed AS c ON c.h = {unit_key}"""
    keyed = """  SELECT c.payment_no, c.id_hash, c.fen, c.period_year, c.period, c.item, c.project_no, c.fund_no,
         c.unit_key, c.group_period, i.period AS period_kind, i.unit, i.standard_fen, i.standard_text,
         coalesce(substr(y.pick, 2), c.stated_household) AS household_no,
         coalesce(c.name, y.registry_name) AS payee_name
  FROM candidates AS c JOIN items AS i ON i.code = c.item
  LEFT JOIN person_year AS y ON y.id_hash = c.id_hash AND y.year = c.period_year"""
    return [items_cte(ctx), person_year_cte(ctx, all_years=bool(once_items(ctx))), ("hashed", hashed),
            ("candidates", candidates), ("keyed", keyed)]


def _listed(ctx: Context) -> CTE:
    """``listed``: for each group in ``groups``, its payments in order and who they went to."""
    return ("listed", f"""  SELECT k.item, k.unit_key, k.group_period, {ctx.joined('k.payment_no')} AS payment_nos,
         min(k.id_hash) AS first_hash, max(k.id_hash) AS last_hash, min(k.household_no) AS first_household,
         max(k.household_no) AS last_household, arg_min(k.payee_name, k.payment_no) AS payee_name,
         count(DISTINCT k.id_hash) AS persons, min(k.project_no) AS project_no, min(k.fund_no) AS fund_no
  FROM keyed AS k JOIN groups AS g
    ON g.item = k.item AND g.unit_key = k.unit_key AND g.group_period = k.group_period
  GROUP BY k.item, k.unit_key, k.group_period""")


def _group_finding(code: str, ctx: Context, *, amount: str, tail: str) -> list[CTE]:
    """``whole``: each group of ``groups`` with its listing; ``finding``: its finding (alias ``g``)."""
    whole = f"""  SELECT l.*, g.unit, g.period_kind, g.n, g.fen, g.limit_fen, g.computed, g.standard_text,
         CASE WHEN l.first_household = l.last_household THEN l.first_household END AS household_no,
         {int(ctx.year)} AS period_year
  FROM listed AS l JOIN groups AS g
    ON g.item = l.item AND g.unit_key = l.unit_key AND g.group_period = l.group_period"""
    who = (f"CASE g.unit WHEN '{PERSON}' THEN {masked('g.payee_name')} "
           f"WHEN '{HOUSEHOLD}' THEN '户编号' || g.unit_key || CASE WHEN g.persons > 1 THEN '(' || "
           f"{masked('g.payee_name')} || '等' || {text('g.persons')} || '人)' ELSE '' END "
           f"ELSE '贷款编号' || g.unit_key END")
    once = f"CASE WHEN g.period_kind = '{ONCE}' THEN '(每户限享受一次)' ELSE '' END"
    explanation = (f"{period_text('g.period_kind', 'g.group_period')} || {item_label(ctx, 'g.item')} || {once} || "
                   f"'向' || {who} || '发放' || {text('g.n')} || '笔(' || replace(g.payment_nos, ';', '、') || "
                   f"'),共' || {ctx.money('g.fen')} || '元' || {tail}")
    joins, owner = payment_owner("g")
    result = f"""  SELECT {finding(code, ctx, key="g.payment_nos", household_no="g.household_no",
                            id_hash="CASE WHEN g.first_hash = g.last_hash THEN g.first_hash END",
                            division_code=owner, amount=amount, explanation=explanation)}
  FROM whole AS g
  {joins}"""
    return [("whole", whole), ("finding", result)]


def duplicate(ctx: Context) -> list[CTE]:
    groups = f"""  SELECT item, unit_key, group_period, min(unit) AS unit, min(period_kind) AS period_kind,
         count(*) AS n,
         sum(fen) AS fen, CAST(NULL AS BIGINT) AS limit_fen, FALSE AS computed,
         CAST(NULL AS VARCHAR) AS standard_text
  FROM keyed
  WHERE unit_key IS NOT NULL
  GROUP BY item, unit_key, group_period
  HAVING count(*) >= 2 AND bool_or(period_year = {int(ctx.year)})"""
    tail = (f"CASE WHEN g.period_kind = '{ONCE}' THEN ',重复享受' "
            f"WHEN g.unit = '{PERSON}' THEN ',同一人员同一项目同一期间重复发放' "
            f"WHEN g.unit = '{HOUSEHOLD}' THEN ',同一户同一项目同一期间重复发放' "
            "ELSE ',同一笔贷款同一期间重复发放' END")
    return [*_keyed(ctx, "{n} >= 2 AND {this_year}"), ("groups", groups), _listed(ctx), households_cte(ctx),
            *_group_finding("F-DUP", ctx, amount=ctx.yuan("g.fen"), tail=tail)]


def over(ctx: Context) -> list[CTE]:
    """A fixed standard from the items; a computed one from ``standards`` (0 for a key the table lacks, when it
    has rows for that item and year), allowing 0.01 元 for rounding."""
    totals = f"""  SELECT item, unit_key, group_period, min(unit) AS unit, min(period_kind) AS period_kind,
         count(*) AS n,
         sum(fen) AS fen, max(standard_fen) AS standard_fen, min(standard_text) AS standard_text,
         max(period_year) AS year
  FROM keyed
  WHERE unit_key IS NOT NULL
  GROUP BY item, unit_key, group_period
  HAVING bool_or(period_year = {int(ctx.year)})"""
    computed = f"""  SELECT item, key, year, sum({ctx.fen('amount')}) AS fen
  FROM standards
  WHERE amount IS NOT NULL
  GROUP BY item, key, year"""
    known = "  SELECT DISTINCT item, year FROM standards"
    limits = """  SELECT t.*, CASE WHEN t.standard_fen IS NOT NULL THEN t.standard_fen
                     WHEN k.item IS NOT NULL THEN coalesce(c.fen, 0) END AS limit_fen,
         t.standard_fen IS NULL AS computed
  FROM totals AS t
  LEFT JOIN computed AS c ON c.item = t.item AND c.key = t.unit_key AND c.year = t.year
  LEFT JOIN known AS k ON k.item = t.item AND k.year = t.year"""
    groups = """  SELECT * FROM limits
  WHERE limit_fen IS NOT NULL AND fen > limit_fen + CASE WHEN computed THEN 1 ELSE 0 END"""
    tail = (f"CASE WHEN g.computed THEN ',超过核定标准' || {ctx.money('g.limit_fen')} || '元' "
            "ELSE ',超过标准' || g.standard_text || '元' END")
    return [*_keyed(ctx, "{pos} > {lim} AND {this_year}"), ("totals", totals), ("computed", computed),
            ("known", known), ("limits", limits), ("groups", groups), _listed(ctx), households_cte(ctx),
            *_group_finding("F-OVER", ctx, amount=ctx.yuan("g.fen - g.limit_fen"), tail=tail)]


def cadre(ctx: Context) -> list[CTE]:
    position = label_of("c.position", labels(CADRE_POSITIONS))
    cadre_households = f"""  SELECT m.household_no, m.year, m.member_status, m.change_date, c.id_hash AS cadre_hash,
         c.name AS cadre_name, CASE WHEN c.position IS NULL THEN '村干部' ELSE {position} END AS position,
         c.start_date, c.end_date
  FROM village_cadres AS c JOIN members AS m
    ON m.id_hash = c.id_hash AND m.village_code = c.division_code AND m.year = {int(ctx.year)}
  WHERE c.id_hash IS NOT NULL"""
    homes = "  SELECT DISTINCT household_no FROM cadre_households"
    people = f"""  SELECT DISTINCT m.id_hash
  FROM members AS m JOIN homes AS h ON h.household_no = m.household_no
  WHERE m.year = {int(ctx.year)} AND m.id_hash IS NOT NULL"""
    pay = f"""  SELECT {pay_columns(ctx)}
  FROM payments AS p LEFT JOIN people AS c ON c.id_hash = p.id_hash
  LEFT JOIN homes AS h ON h.household_no = p.household_no
  WHERE {year_filter(ctx)} AND (c.id_hash IS NOT NULL OR h.household_no IS NOT NULL)"""
    hits = f"""  SELECT p.payment_no, p.id_hash, p.household_no, p.payee_name, p.item, p.fen, p.paid_date,
         p.period_year, p.project_no, p.fund_no, count(*) AS n, bool_or(ch.cadre_hash = p.id_hash) AS self,
         min(ch.cadre_name) AS cadre_name, min(ch.position) AS position, min(ch.start_date) AS start_date
  FROM payee AS p JOIN cadre_households AS ch ON ch.household_no = p.household_no AND ch.year = p.period_year
  WHERE coalesce(ch.start_date <= p.paid_date, TRUE) AND coalesce(ch.end_date >= p.paid_date, TRUE)
    AND (ch.member_status = '{v.MEMBER_ACTIVE}' OR coalesce(ch.change_date >= p.paid_date, FALSE))
  GROUP BY p.payment_no, p.id_hash, p.household_no, p.payee_name, p.item, p.fen, p.paid_date, p.period_year,
           p.project_no, p.fund_no"""
    joins, owner = payment_owner("p")
    explanation = (
        f"{paid_to(ctx)} || ',' || CASE WHEN p.self AND p.n = 1 THEN '其本人' "
        f"ELSE '其家庭成员' || {masked('p.cadre_name')} END || '时任本村' || p.position || "
        f"CASE WHEN p.start_date IS NULL THEN '' ELSE '(任职开始' || {text('p.start_date')} || ')' END || "
        f"CASE WHEN p.n > 1 THEN ',该户共有' || {text('p.n')} || '名本村村干部' ELSE '' END")
    result = f"""  SELECT {finding("F-CADRE", ctx, key="p.payment_no", household_no="p.household_no",
                            id_hash="p.id_hash", division_code=owner, amount=ctx.yuan("p.fen"),
                            explanation=explanation)}
  FROM hits AS p
  {joins}"""
    return [("cadre_households", cadre_households), ("homes", homes), ("people", people), ("pay", pay),
            person_year_cte(ctx, only="pay"), payee_cte(), ("hits", hits), households_cte(ctx), ("finding", result)]
