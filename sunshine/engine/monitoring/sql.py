"""The monitoring statement (policy-rules.md §5): registered, monitored and outside subjects in one SELECT.

Output, one row per warned subject in a fixed order (subject, then household_no / number / head ID): subject,
year, household_key, household_no, monitored_key, number, id_hash, id_order, name, division_code, per_capita_income, one
BOOLEAN column per signal of sunshine.engine.monitoring.rules.SIGNALS, explanation, signals_text. The runner
(sunshine.engine.monitoring.run) turns the signal columns into codes, score and contributions (the WARNINGS
schema), so no dialect has to build lists of structs.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.dialect import DUCKDB, Dialect
from sunshine.engine.monitoring.edge import edge_ctes, edge_texts
from sunshine.engine.monitoring.registered import registered_ctes, registered_texts
from sunshine.engine.monitoring.rules import SIGNALS, MonitoringRules

SUBJECT_RANK = {v.REGISTERED: 0, v.MONITORED: 1, v.OUTSIDE: 2}
NULL = {"int": "CAST(NULL AS BIGINT)", "text": "CAST(NULL AS VARCHAR)", "money": "CAST(NULL AS DECIMAL(18, 2))"}
# id_order (the plain IDs' order, sunshine.engine.monitoring.schema) orders outside heads as their ID numbers did.
ORDER = ("subject_rank", "household_no", "number", "monitored_key", "id_order", "name", "division_code")


def _row(subject: str, year: int, columns: Mapping[str, str], flags: Mapping[str, str], explanation: str,
         signals_text: str) -> str:
    signal_cols = ", ".join(f"{flags.get(s, 'FALSE')} AS {s}" for s in SIGNALS)
    cols = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    return (f"'{subject}' AS subject, {SUBJECT_RANK[subject]} AS subject_rank, {year} AS year, {cols},\n"
            f"         {signal_cols},\n         {explanation} AS explanation,\n         {signals_text} AS signals_text")


def monitoring_sql(*, year: int, params: Mapping[str, Any], division_prefix: str | None = None,
                   dialect: Dialect = DUCKDB, signals: bool, monitored: bool, loans: bool = False) -> str:
    """One statement raising §5 warnings for ``year``; ``signals`` / ``monitored`` / ``loans`` (loans_overdue)
    say whether those optional tables are registered (the statement does not read a table that is absent)."""
    rules = MonitoringRules.from_mapping(params)
    d, year = dialect, int(year)
    ctes = registered_ctes(rules, year=year, prefix=division_prefix, d=d, signals=signals, loans=loans)
    ctes += edge_ctes(rules, year=year, prefix=division_prefix, d=d, signals=signals, monitored=monitored)

    explanation, signals_text = registered_texts(rules, d)
    selects = [f"""  SELECT {_row(v.REGISTERED, year, {
        "household_key": "w.household_key", "household_no": "w.household_no", "monitored_key": NULL["int"],
        "number": NULL["text"], "id_hash": NULL["text"], "id_order": NULL["int"], "name": "h.head_name",
        "division_code": "w.village_code",
        "per_capita_income": "CAST(w.per_capita_income AS DECIMAL(18, 2))",
    }, {s: f"w.{s}" for s in SIGNALS if s != "edge"}, explanation, signals_text)}
  FROM registered_warned AS w
  LEFT JOIN registered_heads AS h ON h.household_key = w.household_key
  LEFT JOIN registered_housing AS hs ON hs.household_key = w.household_key"""]
    if monitored:
        explanation, signals_text = edge_texts(rules, d, "m", with_income=True)
        selects.append(f"""  SELECT {_row(v.MONITORED, year, {
            "household_key": NULL["int"], "household_no": NULL["text"], "monitored_key": "m.monitored_key",
            "number": "m.number", "id_hash": "m.head_id_hash", "id_order": NULL["int"], "name": "m.head_name",
            "division_code": "m.division_code", "per_capita_income": "CAST(m.per_capita_income AS DECIMAL(18, 2))",
        }, {"edge": "TRUE"}, explanation, signals_text)}
  FROM monitored_warned AS m""")
    if signals:
        explanation, signals_text = edge_texts(rules, d, "o", with_income=False)
        selects.append(f"""  SELECT {_row(v.OUTSIDE, year, {
            "household_key": NULL["int"], "household_no": NULL["text"], "monitored_key": NULL["int"],
            "number": NULL["text"], "id_hash": "o.id_hash", "id_order": "o.id_order", "name": "o.name",
            "division_code": "coalesce(o.village_code, o.region_code, '')", "per_capita_income": NULL["money"],
        }, {"edge": "TRUE"}, explanation, signals_text)}
  FROM outside_warned AS o""")
    union = "\n  UNION ALL\n".join(selects)
    order = ", ".join(f"{c} ASC NULLS LAST" for c in ORDER)
    return f"{with_clause(ctes)}\nSELECT * FROM (\n{union}\n) AS warnings\nORDER BY {order}"
