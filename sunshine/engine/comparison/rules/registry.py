"""Rules on the registry alone, and on 低保 households outside it (policy-rules.md §4): C-DUP, C-ID,
C-DIBAO-MISSING.

C-DUP looks for duplicates (one ID hash) across the whole registry (``registry_all``), then reports the rows
inside the division. C-ID checks every member row of the year whatever its status, on the facts the snapshot
derived from the ID (well formed, birth date, GB 11643 check digit, gender: snapshot.ID_FACTS), so no plain
ID reaches the engine.

C-DIBAO-MISSING reads the 低保 roll against the whole registry and reports one finding per head not an
active member. Scope: with a division prefix, a head is kept when the region code of the head's ID starts
with the prefix's first six digits (a county or below: the county of the ID; a province or city prefix: its
2 or 4 digits), read from head_id_region, kept in the load beside the encrypted number. A hashed load has no
plain head ID: the head is kept when one of the household's rows has a 区划代码 (division_code) starting with
the prefix. The finding names the head by hash; the app puts the plain number back for an exact load.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.comparison.catalogue import EXACT
from sunshine.engine.comparison.datasets import AID_TYPES, labels
from sunshine.engine.comparison.rules.base import CTE, Context, active_at, finding, label, member_finding, text, who
from sunshine.engine.dialect import label_of, string_literal

EARLIEST_BIRTH_YEAR = 1890


def duplicate(ctx: Context) -> list[CTE]:
    """Counted on plain aggregates over the registry's ID hashes; household numbers listed only for the
    duplicates."""
    counted = """  SELECT id_hash
  FROM registry_all
  WHERE id_hash IS NOT NULL
  GROUP BY id_hash
  HAVING count(DISTINCT household_key) > 1"""
    households = f"""  SELECT id_hash, count(DISTINCT household_key) AS households,
         {ctx.dialect.sorted_list('DISTINCT household_no')} AS household_nos
  FROM registry_all
  WHERE id_hash IN (SELECT id_hash FROM counted)
  GROUP BY id_hash"""
    explanation = (f"{who()} || '的身份证号在{ctx.year}年度同时在册于' || {text('h.households')} || "
                   "'户(户编号:' || array_to_string(h.household_nos, '、') || ')'")
    result = f"""  SELECT {member_finding("C-DUP", ctx, None, explanation, a=None)}
  FROM registry AS r JOIN households AS h ON h.id_hash = r.id_hash"""
    return [("counted", counted), ("households", households), ("finding", result)]


def invalid_id(ctx: Context) -> list[CTE]:
    """On the facts the snapshot derived from each ID (snapshot.ID_FACTS); an empty ID has no hash."""
    rows = f"""  SELECT member_key, household_key, household_no, village_code, name, id_hash, birth_date, gender,
         coalesce(id_well_formed, FALSE) AS well_formed, id_birth, id_check_ok AS check_ok, id_gender
  FROM people
  WHERE year = {ctx.year} AND {ctx.in_division('village_code')}"""
    date_ok = (f"(i.id_birth IS NOT NULL AND year(i.id_birth) >= {EARLIEST_BIRTH_YEAR} "
               f"AND i.id_birth <= {ctx.check_date})")
    gender = label_of("i.gender", labels("deaths", "gender"))
    reasons = f"""concat_ws(',',
           CASE WHEN i.id_hash IS NULL THEN '身份证号为空'
                WHEN NOT i.well_formed THEN '身份证号不是18位(前17位为数字,末位为数字或X)' END,
           CASE WHEN i.well_formed AND NOT {date_ok} THEN '身份证号中的出生日期无效' END,
           CASE WHEN i.well_formed AND NOT i.check_ok THEN '身份证号校验位错误' END,
           CASE WHEN {date_ok} AND i.birth_date <> i.id_birth
                THEN '登记的出生日期' || {text('i.birth_date')} || '与身份证号不符' END,
           CASE WHEN i.well_formed AND i.gender <> i.id_gender THEN '登记的性别' || {gender} || '与身份证号不符' END)"""
    checked = f"""  SELECT i.*, {reasons} AS reasons
  FROM id_rows AS i"""
    result = f"""  SELECT {member_finding("C-ID", ctx, None, f"{who()} || ':' || r.reasons", a=None)}
  FROM id_checked AS r
  WHERE r.reasons <> ''"""
    return [("id_rows", rows), ("id_checked", checked), ("finding", result)]


def dibao_missing(ctx: Context) -> list[CTE]:
    """One finding per head of active rows (any aid type) whose head is not an active registry member."""
    exact = ctx.kind("dibao") == EXACT
    key, head = "id_hash", "head_id_hash"
    prefix = ctx.division_prefix
    if not prefix:
        in_scope = "TRUE"
    elif exact:
        in_scope = ctx.dialect.starts_with("d.head_id_region", prefix[:6])
    else:
        in_scope = ctx.dialect.starts_with("d.division_code", prefix)
    rows = f"""  SELECT d.source_row, d.name, d.aid_type, d.start_date, d.{head} AS head,
         d.{key} = d.{head} AS is_head, {in_scope} AS in_scope
  FROM ds_dibao AS d
  WHERE d.{head} IS NOT NULL AND d.{head} <> '' AND {active_at(ctx, 'd.start_date', 'd.end_date')}
    AND NOT EXISTS (SELECT 1 FROM registry_all AS r WHERE r.{key} = d.{head})"""
    aid = labels("dibao", "aid_type")
    grouped = f"""  SELECT head, {ctx.dialect.sorted_list('source_row')} AS source_rows, min(source_row) AS first_row,
         count(*) AS n, min(start_date) AS start_date,
         min(CASE WHEN is_head THEN name END) AS head_name, arg_min(name, source_row) AS first_name,
         bool_or(aid_type = '{AID_TYPES["低保"]}') AS has_dibao, bool_or(aid_type = '{AID_TYPES["特困"]}') AS has_tekun
  FROM dibao_rows
  GROUP BY head
  HAVING bool_or(in_scope)"""
    kinds = (f"concat_ws('、', CASE WHEN a.has_dibao THEN '{aid['dibao']}' END, "
             f"CASE WHEN a.has_tekun THEN '{aid['tekun']}' END)")
    family = ("CASE WHEN a.head_name IS NOT NULL THEN '户主' || a.head_name || '家' "
              "ELSE coalesce(a.first_name, '') || '所在家庭' END")
    explanation = (f"'{label('dibao')}数据显示' || {family} || '(' || {text('a.n')} || '人)在{ctx.check_text}享受' || "
                   f"{kinds} || '(起始日期' || {text('a.start_date')} || '),该户主不是建档立卡在册成员'")
    columns = {
        "id_hash": "a.head", "name": "coalesce(a.head_name, a.first_name)",
        "dataset": "'dibao'", "source_rows": "a.source_rows", "match": string_literal(ctx.kind("dibao")),
        "explanation": explanation, "first_row": "a.first_row",
    }
    result = f"""  SELECT {finding("C-DIBAO-MISSING", ctx, **columns)}
  FROM dibao_heads AS a"""
    return [("dibao_rows", rows), ("dibao_heads", grouped), ("finding", result)]
