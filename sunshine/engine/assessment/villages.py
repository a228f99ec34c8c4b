"""Village assessment (policy-rules.md §2) as one SQL statement over a snapshot.

V-INC (collective income ≥ the village line) decides the result; V-ROAD and V-CLINIC are reported
beside it and do not count. An empty collective income is 缺数据 (incomplete).

Output columns (one row per village of the year, ordered by division_code): division_code, year,
weak_village, collective_income decimal(14,2), v_inc, v_road, v_clinic (ranks: 0 pass, 1 missing, 2 fail),
result (0 meets, 1 incomplete, 2 fails), explanation.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.assessment.rules import CTE, Rules, amount_text, with_clause
from sunshine.engine.dialect import DUCKDB, Dialect, decimal_literal, rank, yes_no_state


def village_ctes(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
                 villages: str = "villages") -> list[CTE]:
    """The common table expressions ending in ``village_results``."""
    d = dialect
    year = int(year)
    scope = f" AND {d.starts_with('division_code', division_prefix)}" if division_prefix else ""
    line = decimal_literal(rules.village_income_line)
    village_states = f"""  SELECT division_code, weak_village, collective_income, two_lane_road, clinic_ok,
         CASE WHEN collective_income IS NULL THEN 1 WHEN collective_income >= {line} THEN 0 ELSE 2 END AS inc_state,
         {yes_no_state("two_lane_road")} AS road_state,
         {yes_no_state("clinic_ok")} AS clinic_state
  FROM {villages}
  WHERE year = {year}{scope}"""
    line_text = amount_text(rules.village_income_line)
    income = d.decimal_text("collective_income")
    decision = f"""CASE inc_state
           WHEN 0 THEN '达标:村集体经济收入' || {income} || '元,不低于村集体经济收入标准{line_text}元。'
           WHEN 1 THEN '缺数据:村集体经济收入缺数据。'
           ELSE '未达标:村集体经济收入' || {income} || '元,低于村集体经济收入标准{line_text}元。' END"""
    yes_no = "CASE {} WHEN 0 THEN '是' WHEN 2 THEN '否' ELSE '缺数据' END"
    infrastructure = (f"'基础设施(不计入认定):通双车道四级公路' || {yes_no.format('road_state')}"
                      f" || ',村卫生室达标' || {yes_no.format('clinic_state')} || '。'")
    village_results = f"""  SELECT division_code, {year} AS year, weak_village, collective_income,
         {rank('inc_state')} AS v_inc, {rank('road_state')} AS v_road, {rank('clinic_state')} AS v_clinic,
         {rank('inc_state')} AS result,
         {decision} || {infrastructure} AS explanation
  FROM village_states"""
    return [("village_states", village_states), ("village_results", village_results)]


def village_sql(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
                villages: str = "villages") -> str:
    """One statement assessing every village of ``year`` (within ``division_prefix``) against §2."""
    ctes = village_ctes(rules, year=year, division_prefix=division_prefix, dialect=dialect, villages=villages)
    return f"{with_clause(ctes)}\nSELECT * FROM village_results ORDER BY division_code"
