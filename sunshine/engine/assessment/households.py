"""Household exit assessment (policy-rules.md §1) as one SQL statement over a snapshot.

Every criterion is first a state rank: 0 pass, 1 missing (缺数据), 2 fail; the household's result is the
worst of its six (0 meets, 1 incomplete, 2 fails). Members are reduced per household in two aggregates:
ranks and counts over every active member (plain, cheap aggregates), and explanation texts over the few
members that have something to say (ordered string aggregation on a small set).

Households and members are joined on ``household_key`` (an integer: grouping and joining on it is about
a fifth cheaper than on the 14-character household_no).

Output columns (one row per household of the year not 已销户; ordered by household_no unless asked not to):
household_no, year, active_members, per_capita_income decimal(18,2) (NULL when it
cannot be computed), h_inc, h_food, h_water, h_edu, h_med, h_house (ranks: 0 pass, 1 missing, 2 fail),
result (0 meets, 1 incomplete, 2 fails), explanation. ``assess_households`` turns ranks into their words.
The ``household_results`` CTE also carries household_key, village_code and status (for the county SQL).
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import CTE, Rules, amount_text, with_clause
from sunshine.engine.dialect import (
    DUCKDB,
    Dialect,
    in_list,
    label_of,
    rank,
    yes_no_state,
)

# Members are named oldest first (unknown birth dates last), then by name; the text itself breaks the
# remaining ties, so the order never depends on the engine.
LAST_DAY = "9999-12-31"
MEMBER_ORDER = "born, name"
OUTPUT_COLUMNS = ("household_no", "year", "active_members", "per_capita_income", *v.HOUSEHOLD_CRITERIA.values(),
                  "result", "explanation")


def household_ctes(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
                   households: str = "households", members: str = "members") -> list[CTE]:
    """The common table expressions ending in ``household_results`` (see the module docstring)."""
    d = dialect
    year = int(year)
    scope = f" AND {d.starts_with('village_code', division_prefix)}" if division_prefix else ""
    income_columns = ", ".join(col for col, _, _ in v.INCOME_ITEMS)
    hh_input = f"""  SELECT household_key, household_no, village_code, status, {income_columns},
         food_clothing_secure, water_safe,
         NULLIF(housing_grade, '') AS housing_grade, NULLIF(renovation_status, '') AS renovation_status
  FROM {households}
  WHERE year = {year} AND status IN {in_list(v.REGISTERED_STATUSES)}{scope}"""

    # Members are read twice. Every active member, with few columns, for the per-household counts and
    # worst ranks (plain aggregates, cheap). Then, with names, only the members a cheap filter on the raw
    # columns lets through (not insured or unknown; or of school age, or of unknown age, and not plainly
    # at school) for the texts: the ordered string aggregation, costly, sees a few rows only. "Of school
    # age" (lo ≤ age ≤ hi on the cut-off day) is a range of birth dates: no date arithmetic for most rows.
    lo, hi = rules.school_age_min, rules.school_age_max
    cutoff = dt.date(year, rules.age_cutoff_month, rules.age_cutoff_day)
    born_after, born_by = _years_before(cutoff, hi + 1), _years_before(cutoff, lo)
    school_age = f"(birth_date > DATE '{born_after.isoformat()}' AND birth_date <= DATE '{born_by.isoformat()}')"
    active = f"(member_status IS NULL OR member_status IN {in_list(('', v.MEMBER_ACTIVE))})"
    completed = f"education_level IN {in_list(v.COMPLETED_JUNIOR)}"
    edu_state = f"""CASE
        WHEN NOT {school_age} THEN 0
        WHEN school_status IN {in_list(v.SCHOOL_STATUSES_PASSING)} THEN 0
        WHEN school_status = '{v.NOT_IN_SCHOOL}' AND {completed} THEN 0
        WHEN birth_date IS NULL THEN 1
        WHEN school_status = '{v.DROPPED_OUT}' THEN 2
        WHEN school_status = '{v.NOT_IN_SCHOOL}' AND education_level IS NOT NULL THEN 2
        ELSE 1
      END"""
    members_of_year = f"""SELECT household_key, birth_date, NULLIF(school_status, '') AS school_status,
               NULLIF(education_level, '') AS education_level, medical_insured{{}}
        FROM {members}
        WHERE year = {year} AND {active}{{}}"""
    mem_counts = f"""  SELECT household_key, count(*) AS active_members, max({edu_state}) AS edu_state,
         max({yes_no_state("medical_insured")}) AS med_state
  FROM ({members_of_year.format("", "")}) AS m
  GROUP BY household_key"""

    worth_a_text = (f" AND (medical_insured IS NOT TRUE OR ((birth_date IS NULL OR {school_age}) AND "
                    f"(school_status IS NULL OR school_status IN "
                    f"{in_list(('', v.NOT_IN_SCHOOL, v.DROPPED_OUT, v.SUSPENDED))})))")
    age = d.age_on("birth_date", year, rules.age_cutoff_month, rules.age_cutoff_day)
    who = f"'成员' || name || CASE WHEN birth_date IS NULL THEN '' ELSE '(' || {d.int_text(age)} || '岁)' END"
    school = label_of("school_status", v.SCHOOL_STATUS_LABELS)
    education = label_of("education_level", v.EDUCATION_LEVEL_LABELS)
    candidates = members_of_year.format(", coalesce(name, '') AS name", worth_a_text)
    noted_rows = f"""    SELECT household_key, coalesce(birth_date, DATE '{LAST_DAY}') AS born, name,
      CASE
        WHEN edu_state = 0 THEN NULL
        WHEN birth_date IS NULL THEN '成员' || name || '出生日期缺数据,无法判断是否处于义务教育年龄,'
             || CASE WHEN school_status IS NULL THEN '在校生状况缺数据' ELSE '在校生状况为' || {school} END
        WHEN school_status IS NULL THEN {who} || '在校生状况缺数据'
        WHEN school_status = '{v.DROPPED_OUT}' THEN {who} || '在校生状况为辍学'
        WHEN education_level IS NULL THEN {who} || '为非在校生,文化程度缺数据'
        ELSE {who} || '为非在校生,文化程度为' || {education} || ',未完成初中'
      END AS edu_reason,
      CASE WHEN edu_noted THEN {who} || '在校生状况为休学' END AS edu_note,
      CASE med_state WHEN 2 THEN '成员' || name || '未参加基本医疗保险'
                     WHEN 1 THEN '成员' || name || '基本医疗保险缺数据' END AS med_reason
    FROM (
      SELECT *, {edu_state} AS edu_state, {yes_no_state("medical_insured")} AS med_state,
             (school_status = '{v.SUSPENDED}' AND (birth_date IS NULL OR {school_age})) AS edu_noted
      FROM ({candidates}) AS m
    ) AS ranked
    WHERE edu_state > 0 OR med_state > 0 OR edu_noted"""
    mem_texts = f"""  SELECT household_key,
         {d.string_agg('edu_reason', ';', f'{MEMBER_ORDER}, edu_reason')} AS edu_reasons,
         {d.string_agg('edu_note', ';', f'{MEMBER_ORDER}, edu_note')} AS edu_notes,
         {d.string_agg('med_reason', ';', f'{MEMBER_ORDER}, med_reason')} AS med_reasons
  FROM (
{noted_rows}
  ) AS noted
  GROUP BY household_key"""

    any_item_missing = " OR ".join(f"h.{col} IS NULL" for col, _, _ in v.INCOME_ITEMS)
    total = " ".join(f"{'+' if sign > 0 else '-'} h.{col}" for col, _, sign in v.INCOME_ITEMS).lstrip("+ ")
    hh_joined = f"""  SELECT h.*, coalesce(c.active_members, 0) AS active_members,
         CASE WHEN {any_item_missing} THEN NULL ELSE {d.fen(f"({total})")} END AS income_cents,
         coalesce(c.edu_state, 0) AS edu_state, coalesce(c.med_state, 0) AS med_state,
         t.edu_reasons, t.edu_notes, t.med_reasons
  FROM hh_input AS h
  LEFT JOIN mem_counts AS c ON c.household_key = h.household_key
  LEFT JOIN mem_texts AS t ON t.household_key = h.household_key"""

    per_capita = d.int_div("income_cents", "active_members")
    hh_states = f"""  SELECT *,
    {d.yuan(f"CASE WHEN income_cents IS NOT NULL AND active_members > 0 THEN {per_capita} END")}
      AS per_capita_income,
    CASE WHEN income_cents IS NULL OR active_members = 0 THEN 1
         WHEN {per_capita} >= {rules.income_line_cents} THEN 0 ELSE 2 END AS inc_state,
    {yes_no_state("food_clothing_secure")} AS food_state,
    {yes_no_state("water_safe")} AS water_state,
    CASE WHEN housing_grade IN {in_list(v.SAFE_HOUSING_GRADES)} OR renovation_status = '{v.RENOVATION_DONE}' THEN 0
         WHEN housing_grade IN {in_list(v.DANGEROUS_HOUSING_GRADES)} AND renovation_status IS NOT NULL THEN 2
         ELSE 1 END AS house_state
  FROM hh_joined"""

    ranks = "inc_state, food_state, water_state, edu_state, med_state, house_state"
    household_results = f"""  SELECT household_key, household_no, {year} AS year, village_code, status, active_members,
         per_capita_income,
         {rank('inc_state')} AS h_inc, {rank('food_state')} AS h_food, {rank('water_state')} AS h_water,
         {rank('edu_state')} AS h_edu, {rank('med_state')} AS h_med, {rank('house_state')} AS h_house,
         {rank(f'greatest({ranks})')} AS result,
         {_explanation(rules, d, ranks)} AS explanation
  FROM hh_states"""
    return [
        ("hh_input", hh_input), ("mem_counts", mem_counts), ("mem_texts", mem_texts), ("hh_joined", hh_joined),
        ("hh_states", hh_states), ("household_results", household_results),
    ]


def _explanation(rules: Rules, d: Dialect, ranks: str) -> str:
    line = amount_text(rules.income_line)
    income = d.decimal_text("per_capita_income")
    missing_items = ", ".join(f"CASE WHEN {col} IS NULL THEN '{label}' END" for col, label, _ in v.INCOME_ITEMS)
    renovation = label_of("renovation_status", v.RENOVATION_LABELS)
    reasons = [
        f"""CASE WHEN inc_state = 2 THEN '人均可支配收入' || {income} || '元,低于收入标准{line}元'
             WHEN inc_state = 1 AND active_members = 0 THEN '无在册成员,无法计算人均可支配收入'
             WHEN inc_state = 1 THEN concat_ws('、', {missing_items}) || '缺数据' END""",
        "CASE food_state WHEN 2 THEN '吃穿不愁为否' WHEN 1 THEN '吃穿不愁缺数据' END",
        "CASE water_state WHEN 2 THEN '饮水安全为否' WHEN 1 THEN '饮水安全缺数据' END",
        "CASE WHEN edu_state > 0 THEN edu_reasons END",
        "CASE WHEN med_state > 0 THEN med_reasons END",
        f"""CASE WHEN house_state = 0 THEN NULL
             WHEN housing_grade IS NULL AND renovation_status IS NULL THEN '住房安全等级缺数据'
             WHEN housing_grade IS NULL THEN '住房安全等级缺数据,危房改造状态为' || {renovation}
             WHEN renovation_status IS NULL THEN '住房安全等级为' || housing_grade || ',危房改造状态缺数据'
             ELSE '住房安全等级为' || housing_grade || ',危房改造状态为' || {renovation} END""",
    ]
    joined = "concat_ws(';', " + ", ".join(reasons) + ")"
    decision = f"""CASE greatest({ranks})
           WHEN 0 THEN '达标:人均可支配收入' || {income} || '元,不低于收入标准{line}元;两不愁三保障均有保障。'
           WHEN 1 THEN '缺数据:' || {joined} || '。'
           ELSE '未达标:' || {joined} || '。' END"""
    return f"CASE WHEN edu_notes IS NULL THEN {decision} ELSE {decision} || '备注:' || edu_notes || '。' END"


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (the cut-off is never 29 February: StandardParameters refuses it)."""
    return day.replace(year=day.year - years)


def household_sql(rules: Rules, *, year: int, division_prefix: str | None = None, dialect: Dialect = DUCKDB,
                  households: str = "households", members: str = "members", ordered: bool = True) -> str:
    """One statement assessing every household of ``year`` (within ``division_prefix``) against §1;
    ``ordered`` sorts the rows by household_no (a consumer that stores them can skip the sort)."""
    ctes = household_ctes(rules, year=year, division_prefix=division_prefix, dialect=dialect,
                          households=households, members=members)
    columns = ", ".join(OUTPUT_COLUMNS)
    return f"{with_clause(ctes)}\nSELECT {columns} FROM household_results{' ORDER BY household_no' if ordered else ''}"
