"""M-EDGE (policy-rules.md §5) outside the registry, as common table expressions.

Two sources: a monitored household (table ``monitored``, the checked year) whose per-capita income is below the
monitoring line (unknown income: no warning); and a 低保 head outside the registry (a C-DIBAO-MISSING signal),
always M-EDGE, because a 低保 household's income is below the 低保 line, itself below the monitoring line. A 低保
head who is the head of a monitored household (in scope; same ID hash) is merged into that household's row; the
others are subject 'outside', one row per head ID hash (per name and division when the finding has no plain ID).
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.assessment.rules import CTE
from sunshine.engine.dialect import Dialect
from sunshine.engine.monitoring.rules import MonitoringRules

DIBAO_MISSING = "C-DIBAO-MISSING"


def edge_ctes(rules: MonitoringRules, *, year: int, prefix: str | None, d: Dialect, signals: bool,
              monitored: bool) -> list[CTE]:
    """``monitored_warned`` (when ``monitored``) and ``outside_warned`` (when ``signals``)."""
    year = int(year)
    ctes: list[CTE] = []
    if monitored:
        scope = f" AND {d.starts_with('division_code', prefix)}" if prefix else ""
        ctes.append(("monitored_rows", f"""  SELECT monitored_key, number, division_code, head_name,
         NULLIF(head_id_hash, '') AS head_id_hash, per_capita_income,
         coalesce({d.fen('per_capita_income')} < {rules.line_cents_ceiling}, FALSE) AS below_line
  FROM monitored
  WHERE year = {year}{scope}"""))
    if signals:
        scope = f" AND {d.starts_with('village_code', prefix)}" if prefix else ""
        ctes.append(("outside_heads", f"""  SELECT id_hash, alt_key, min(id_order) AS id_order, min(name) AS name,
         min(village_code) AS village_code, min(region_code) AS region_code,
         {d.string_agg('explanation', ';', 'explanation')} AS dibao_text
  FROM (SELECT NULLIF(id_hash, '') AS id_hash, id_order, name, village_code, region_code, explanation,
               CASE WHEN id_hash IS NULL OR id_hash = ''
                    THEN coalesce(name, '') || '@' || coalesce(village_code, '') END AS alt_key
        FROM signals
        WHERE year = {year} AND rule = '{DIBAO_MISSING}' AND household_key IS NULL{scope}) AS s
  GROUP BY id_hash, alt_key"""))
    if monitored:
        join, dibao = ("LEFT JOIN outside_heads AS o ON o.id_hash = m.head_id_hash",
                       "o.dibao_text") if signals else ("", "CAST(NULL AS VARCHAR)")
        ctes.append(("monitored_warned", f"""  SELECT m.*, {dibao} AS dibao_text
  FROM monitored_rows AS m
  {join}
  WHERE m.below_line OR {dibao} IS NOT NULL"""))
    if signals:
        merged = ("\n  WHERE o.id_hash IS NULL\n     OR NOT EXISTS (SELECT 1 FROM monitored_rows AS m "
                  "WHERE m.head_id_hash = o.id_hash)") if monitored else ""
        ctes.append(("outside_warned", f"""  SELECT o.*
  FROM outside_heads AS o{merged}"""))
    return ctes


def edge_texts(rules: MonitoringRules, d: Dialect, alias: str, *, with_income: bool) -> tuple[str, str]:
    """(explanation, signals_text) of an M-EDGE row ``alias`` (monitored_warned or outside_warned)."""
    line = rules.line_text
    dibao = (f"CASE WHEN {alias}.dibao_text IS NOT NULL THEN {alias}.dibao_text || "
             f"',该户来自民政低保名单,低保家庭收入低于低保标准,亦低于监测线{line}元' END")
    dibao_sig = (f"CASE WHEN {alias}.dibao_text IS NOT NULL THEN 'edge:dibao:' || {{id}} || ':' || "
                 f"{alias}.dibao_text END")
    if not with_income:
        return f"{dibao} || '。'", dibao_sig.format(id=f"coalesce({alias}.id_hash, {alias}.alt_key)")
    income = d.decimal_text(f"{alias}.per_capita_income")
    below = f"CASE WHEN {alias}.below_line THEN '监测户人均可支配收入' || {income} || '元,低于监测线{line}元' END"
    explanation = f"concat_ws(';', {below}, {dibao}) || '。'"
    signals_text = (f"concat_ws('|', CASE WHEN {alias}.below_line THEN 'edge:monitored:' || {income} END, "
                    f"{dibao_sig.format(id=f'{alias}.head_id_hash')})")
    return explanation, signals_text
