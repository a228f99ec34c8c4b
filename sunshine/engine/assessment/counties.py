"""Key-county assessment (policy-rules.md §3) as one SQL statement over a snapshot.

The households and villages of the counties are assessed in the same statement (the CTEs of
households.py and villages.py), then counted per county (the first six digits of a code):

K-HH   registered households meeting §1 ÷ registered households ≥ county household share. Registered =
       every status but 已销户: 未脱贫, 已脱贫 and 返贫 (a returned household is a poor household again).
       A household whose §1 result is incomplete does not count as meeting.
K-VIL  省定经济薄弱村 meeting V-INC ÷ 省定经济薄弱村 ≥ county village share (pass when the county has none).

A criterion is 'missing' rather than 'fail' when counting the incomplete households (villages with an
empty collective income) as meeting would reach the share, and when the county has no household (no
village) rows at all for the year.

Output columns (one row per county, ordered by division_code): division_code, year,
registered_households, households_meeting, households_incomplete, household_share (double or NULL),
weak_villages, weak_villages_meeting, weak_villages_missing, village_share (double or NULL),
k_hh, k_vil (ranks), result (rank), households_short (list of household_no not meeting), villages_short (list of weak
village codes not meeting V-INC), explanation.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.assessment.households import household_ctes
from sunshine.engine.assessment.rules import CTE, Rules, share_text, with_clause
from sunshine.engine.assessment.villages import village_ctes
from sunshine.engine.dialect import DUCKDB, Dialect, decimal_literal, rank


def county_ctes(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
                households: str = "households", members: str = "members", villages: str = "villages",
                counties: str | None = "counties") -> list[CTE]:
    """``counties`` names the table listing the counties to assess; None assesses every county that has
    households or villages in the snapshot."""
    d = dialect
    year = int(year)
    if division_prefix is not None and len(division_prefix) > 6:
        raise ValueError("a county assessment covers whole counties: the prefix has at most 6 digits")
    ctes = household_ctes(rules, year=year, division_prefix=division_prefix, dialect=d,
                          households=households, members=members)
    ctes += village_ctes(rules, year=year, division_prefix=division_prefix, dialect=d, villages=villages)
    if counties is not None:
        scope = f" WHERE {d.starts_with('division_code', division_prefix)}" if division_prefix else ""
        county_list = f"  SELECT DISTINCT division_code, substr(division_code, 1, 6) AS county6 FROM {counties}{scope}"
    else:
        county_list = """  SELECT DISTINCT county6 || '000000' AS division_code, county6 FROM (
    SELECT substr(village_code, 1, 6) AS county6 FROM household_results
    UNION SELECT substr(division_code, 1, 6) FROM village_results
  ) AS present"""
    county_households = f"""  SELECT substr(village_code, 1, 6) AS county6, count(*) AS registered_households,
         CAST(sum(CASE WHEN result = 0 THEN 1 ELSE 0 END) AS BIGINT) AS households_meeting,
         CAST(sum(CASE WHEN result = 1 THEN 1 ELSE 0 END) AS BIGINT) AS households_incomplete,
         {d.list_agg('household_no', 'household_no', "result <> 0")} AS households_short
  FROM household_results
  GROUP BY substr(village_code, 1, 6)"""
    county_villages = f"""  SELECT substr(division_code, 1, 6) AS county6, count(*) AS villages,
         CAST(sum(CASE WHEN weak_village THEN 1 ELSE 0 END) AS BIGINT) AS weak_villages,
         CAST(sum(CASE WHEN weak_village AND v_inc = 0 THEN 1 ELSE 0 END) AS BIGINT) AS weak_villages_meeting,
         CAST(sum(CASE WHEN weak_village AND v_inc = 1 THEN 1 ELSE 0 END) AS BIGINT) AS weak_villages_missing,
         {d.list_agg('division_code', 'division_code', "weak_village AND v_inc <> 0")} AS villages_short
  FROM village_results
  GROUP BY substr(division_code, 1, 6)"""
    hh_share, vil_share = decimal_literal(rules.county_household_share), decimal_literal(rules.county_village_share)
    county_counts = """  SELECT c.division_code, c.county6,
         coalesce(h.registered_households, 0) AS registered_households,
         coalesce(h.households_meeting, 0) AS households_meeting,
         coalesce(h.households_incomplete, 0) AS households_incomplete,
         h.households_short, coalesce(v.villages, 0) AS villages,
         coalesce(v.weak_villages, 0) AS weak_villages,
         coalesce(v.weak_villages_meeting, 0) AS weak_villages_meeting,
         coalesce(v.weak_villages_missing, 0) AS weak_villages_missing, v.villages_short
  FROM county_list AS c
  LEFT JOIN county_households AS h ON h.county6 = c.county6
  LEFT JOIN county_villages AS v ON v.county6 = c.county6"""
    county_states = f"""  SELECT *,
    CASE WHEN registered_households = 0 THEN 1
         WHEN households_meeting >= {hh_share} * registered_households THEN 0
         WHEN households_meeting + households_incomplete >= {hh_share} * registered_households THEN 1
         ELSE 2 END AS hh_state,
    CASE WHEN villages = 0 THEN 1
         WHEN weak_villages = 0 THEN 0
         WHEN weak_villages_meeting >= {vil_share} * weak_villages THEN 0
         WHEN weak_villages_meeting + weak_villages_missing >= {vil_share} * weak_villages THEN 1
         ELSE 2 END AS vil_state
  FROM county_counts"""
    empty = d.empty_string_list()
    county_results = f"""  SELECT division_code, {year} AS year, registered_households, households_meeting,
         households_incomplete,
         CASE WHEN registered_households > 0 THEN households_meeting / CAST(registered_households AS DOUBLE) END
           AS household_share,
         weak_villages, weak_villages_meeting, weak_villages_missing,
         CASE WHEN weak_villages > 0 THEN weak_villages_meeting / CAST(weak_villages AS DOUBLE) END AS village_share,
         {rank('hh_state')} AS k_hh, {rank('vil_state')} AS k_vil, {rank('greatest(hh_state, vil_state)')} AS result,
         coalesce(households_short, {empty}) AS households_short,
         coalesce(villages_short, {empty}) AS villages_short,
         {_explanation(rules, d)} AS explanation
  FROM county_states"""
    return ctes + [
        ("county_list", county_list), ("county_households", county_households),
        ("county_villages", county_villages), ("county_counts", county_counts), ("county_states", county_states),
        ("county_results", county_results),
    ]


def _explanation(rules: Rules, d: Dialect) -> str:
    hh_line, vil_line = share_text(rules.county_household_share), share_text(rules.county_village_share)
    n = d.int_text
    households = f"""CASE WHEN registered_households = 0 THEN '无建档立卡户数据'
           ELSE '建档立卡户(未脱贫、已脱贫、返贫)' || {n('registered_households')} || '户中达标'
                || {n('households_meeting')} || '户,占'
                || {d.percent_text('households_meeting', 'registered_households')} || '%,'
                || CASE hh_state WHEN 0 THEN '不低于' ELSE '低于' END || '标准{hh_line}'
                || CASE WHEN households_incomplete > 0
                        THEN ',其中' || {n('households_incomplete')} || '户缺数据' ELSE '' END END"""
    villages = f"""CASE WHEN villages = 0 THEN '无村年度数据'
           WHEN weak_villages = 0 THEN '无省定经济薄弱村'
           ELSE '省定经济薄弱村' || {n('weak_villages')} || '个中村集体经济收入达标'
                || {n('weak_villages_meeting')} || '个,占'
                || {d.percent_text('weak_villages_meeting', 'weak_villages')} || '%,'
                || CASE vil_state WHEN 0 THEN '不低于' ELSE '低于' END || '标准{vil_line}'
                || CASE WHEN weak_villages_missing > 0
                        THEN ',其中' || {n('weak_villages_missing')} || '个缺数据' ELSE '' END END"""
    return f"""CASE greatest(hh_state, vil_state) WHEN 0 THEN '达标:' WHEN 1 THEN '缺数据:' ELSE '未达标:' END
         || {households} || ';' || {villages} || '。'"""


def county_sql(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
               households: str = "households", members: str = "members", villages: str = "villages",
               counties: str | None = "counties") -> str:
    """One statement assessing the key counties of ``year`` against §3 (households and villages included)."""
    ctes = county_ctes(rules, year=year, division_prefix=division_prefix, dialect=dialect, households=households,
                       members=members, villages=villages, counties=counties)
    return f"{with_clause(ctes)}\nSELECT * FROM county_results ORDER BY division_code"
