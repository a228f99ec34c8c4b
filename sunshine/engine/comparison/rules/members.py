"""Rules where department rows flag a registry member (policy-rules.md §4): C-DEAD, C-PAYROLL, C-CAR,
C-BUSINESS, C-HOUSE, C-DISABLED-SUBSIDY, C-MEDCOST, C-DISASTER.

Each is the same shape: the dataset's qualifying rows resolved to registry members (base.resolved), grouped
per member into one finding whose evidence is those rows. Only what the explanation needs is aggregated, as
numbers, dates and short texts; explanations are composed after grouping, on the flagged members only.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.assessment.rules import amount_text
from sunshine.engine.comparison.datasets import labels
from sunshine.engine.comparison.rules.base import (
    CTE,
    Context,
    codes,
    evidence,
    in_year,
    label,
    member_finding,
    resolved,
    text,
    who,
)
from sunshine.engine.dialect import decimal_literal, label_of


def per_member(code: str, ctx: Context, dataset: str, *, columns: tuple[str, ...], where: str, aggregates: str,
               explanation: str, having: str | None = None) -> list[CTE]:
    """rows → one group per member (``aggregates`` over the rows, ``having`` on the group) → finding."""
    rows = resolved(ctx, dataset, columns=columns, where=where)
    having_clause = f"\n  HAVING {having}" if having else ""
    grouped = f"""  SELECT member_key, {evidence(ctx, dataset)}, {aggregates}
  FROM matched
  GROUP BY member_key{having_clause}"""
    result = f"""  SELECT {member_finding(code, ctx, dataset, explanation)}
  FROM grouped AS a JOIN registry AS r ON r.member_key = a.member_key"""
    return [("matched", rows), ("grouped", grouped), ("finding", result)]


def dead(ctx: Context) -> list[CTE]:
    return per_member(
        "C-DEAD", ctx, "deaths", columns=("death_date",), where=f"d.death_date <= {ctx.check_date}",
        aggregates="min(death_date) AS death_date",
        explanation=(f"'{label('deaths')}数据显示' || {who()} || '已于' || {text('a.death_date')} || "
                     "'死亡,仍为在册成员'"),
    )


def payroll(ctx: Context) -> list[CTE]:
    return per_member(
        "C-PAYROLL", ctx, "public_payroll", columns=("employer",), where="TRUE",
        aggregates="min(employer) AS employer",
        explanation=(f"'{label('public_payroll')}数据显示' || {who()} || '为财政供养人员' || "
                     "CASE WHEN a.employer IS NULL THEN '' ELSE '(单位:' || a.employer || ')' END"),
    )


def car(ctx: Context) -> list[CTE]:
    kinds = ("small_car", "truck")
    names = labels("vehicles", "vehicle_type")
    counts = ", ".join(f"sum(CASE WHEN vehicle_type = '{k}' THEN 1 ELSE 0 END) AS n_{k}" for k in kinds)
    listed = ", ".join(f"CASE WHEN a.n_{k} > 0 THEN '{names[k]}' || {text(f'a.n_{k}')} || '辆' END" for k in kinds)
    return per_member(
        "C-CAR", ctx, "vehicles", columns=("vehicle_type",), where=f"d.vehicle_type IN {codes(kinds)}",
        aggregates=counts,
        explanation=f"'{label('vehicles')}数据显示' || {who()} || '名下登记有' || concat_ws('、', {listed})",
    )


def business(ctx: Context) -> list[CTE]:
    threshold = ctx.params.business_capital_min
    role = label_of("a.role", labels("businesses", "role"))
    single = (f"CASE WHEN a.n = 1 AND a.company IS NOT NULL THEN '(' || a.company || "
              f"CASE WHEN a.role IS NULL THEN '' ELSE ',' || {role} END || ')' ELSE '' END")
    return per_member(
        "C-BUSINESS", ctx, "businesses", columns=("company", "role", "registered_capital"),
        where=f"d.registered_capital >= {decimal_literal(threshold)}",
        aggregates=("count(*) AS n, min(company) AS company, min(role) AS role, "
                    "CAST(max(registered_capital) AS DECIMAL(18, 2)) AS capital"),
        explanation=(f"'{label('businesses')}数据显示' || {who()} || '名下登记有' || {text('a.n')} || "
                     f"'家注册资本不低于{amount_text(threshold)}元的企业' || {single} || "
                     f"CASE WHEN a.n = 1 THEN ',注册资本' ELSE ',最高注册资本' END || {text('a.capital')} || '元'"),
    )


def house(ctx: Context) -> list[CTE]:
    return per_member(
        "C-HOUSE", ctx, "real_estate", columns=("location",), where="d.property_kind = 'commercial'",
        aggregates="count(*) AS n, min(location) AS location",
        explanation=(f"'{label('real_estate')}数据显示' || {who()} || '名下登记有商品房' || {text('a.n')} || '套' || "
                     "CASE WHEN a.n = 1 AND a.location IS NOT NULL THEN '(坐落:' || a.location || ')' ELSE '' END"),
    )


def disabled_subsidy(ctx: Context) -> list[CTE]:
    level = label_of("a.disability_level", labels("disability", "disability_level"))
    kind = label_of("a.disability_type", labels("disability", "disability_type"))
    return per_member(
        "C-DISABLED-SUBSIDY", ctx, "disability", columns=("disability_level", "disability_type"),
        where="d.disability_level IN ('level1', 'level2') AND d.care_subsidy = FALSE",
        aggregates="min(disability_level) AS disability_level, min(disability_type) AS disability_type",
        explanation=(f"'{label('disability')}数据显示' || {who()} || '为' || {level} || "
                     f"CASE WHEN a.disability_type IS NULL THEN '' ELSE {kind} END || '残疾人,未享受护理补贴'"),
    )


def medical_cost(ctx: Context) -> list[CTE]:
    """Summed over every claim of the year, but the evidence list is built for the flagged members only."""
    threshold = ctx.params.medical_cost_signal
    rows = resolved(ctx, "medical_claims", columns=("self_paid",), where=in_year(ctx, "d.visit_date"))
    totals = f"""  SELECT member_key, count(*) AS visits, CAST(sum(self_paid) AS DECIMAL(18, 2)) AS self_paid
  FROM matched
  GROUP BY member_key
  HAVING sum(self_paid) >= {decimal_literal(threshold)}"""
    grouped = f"""  SELECT member_key, {evidence(ctx, 'medical_claims')}
  FROM matched
  WHERE member_key IN (SELECT member_key FROM totals)
  GROUP BY member_key"""
    explanation = (f"'{label('medical_claims')}数据显示' || {who()} || '{ctx.year}年就诊' || {text('t.visits')} || "
                   f"'次,个人自付合计' || {text('t.self_paid')} || '元,达到预警线{amount_text(threshold)}元'")
    result = f"""  SELECT {member_finding("C-MEDCOST", ctx, "medical_claims", explanation)}
  FROM grouped AS a JOIN totals AS t ON t.member_key = a.member_key
  JOIN registry AS r ON r.member_key = a.member_key"""
    return [("matched", rows), ("totals", totals), ("grouped", grouped), ("finding", result)]


def disaster(ctx: Context) -> list[CTE]:
    return per_member(
        "C-DISASTER", ctx, "disasters", columns=("date", "disaster_type", "loss"), where=in_year(ctx, "d.date"),
        aggregates=("count(*) AS n, min(date) AS first_date, min(disaster_type) AS disaster_type, "
                    "CAST(sum(loss) AS DECIMAL(18, 2)) AS loss"),
        explanation=(f"'{label('disasters')}数据显示' || {who()} || '于' || {text('a.first_date')} || '受灾' || "
                     "CASE WHEN a.disaster_type IS NULL THEN '' ELSE '(' || a.disaster_type || ')' END || "
                     f"CASE WHEN a.n > 1 THEN ',' || '{ctx.year}年共受灾' || {text('a.n')} || '次' ELSE '' END || "
                     f"CASE WHEN a.loss IS NULL THEN '' ELSE ',损失金额合计' || {text('a.loss')} || '元' END"),
    )
