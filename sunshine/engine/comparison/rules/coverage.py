"""Rules where a registry member lacks a department row, or the registry and a dataset disagree
(policy-rules.md §4): C-DROPOUT, C-NOMED, C-NOPENSION, C-DIBAO-MISMATCH, C-HOUSING.

Each narrows the registry first (age, school status, dangerous houses …), resolves the dataset's qualifying
rows to members (base.resolved) and keeps the members without one: NOT EXISTS on member_key, which DuckDB
runs as a hash anti-join. A finding that rests on an absence has no evidence rows: source_rows is an empty
list and match is the dataset's key kind ('exact' or 'hashed'), the way that row would have been found.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine import vocabulary as v
from sunshine.engine.comparison.datasets import ENROLMENT, labels
from sunshine.engine.comparison.rules.base import (
    CTE,
    Context,
    active_at,
    codes,
    evidence,
    label,
    member_finding,
    resolved,
    text,
    who,
)
from sunshine.engine.dialect import label_of, string_literal

AT_SCHOOL = (ENROLMENT["在读"], ENROLMENT["送教上门"])


def _absent(code: str, ctx: Context, dataset: str, *, people: str, where: str, explanation: str,
            extra: list[CTE] | None = None) -> list[CTE]:
    """Members of ``people`` without a resolved row of ``dataset`` satisfying ``where``."""
    found = resolved(ctx, dataset, where=where, people=people)
    result = f"""  SELECT {member_finding(code, ctx, dataset, explanation, a=None)}
  FROM {people} AS r
  WHERE NOT EXISTS (SELECT 1 FROM found AS f WHERE f.member_key = r.member_key)"""
    return [*(extra or []), ("found", found), ("finding", result)]


def no_medical(ctx: Context) -> list[CTE]:
    return _absent(
        "C-NOMED", ctx, "medical_insurance", people="registry",
        where=f"d.year = {ctx.year} AND d.insured_status = 'insured'",
        explanation=f"'{label('medical_insurance')}数据中无' || {who()} || '{ctx.year}年度的参保记录'",
    )


def no_pension(ctx: Context) -> list[CTE]:
    age = ctx.age("birth_date")
    candidates = f"""  SELECT *, {age} AS age
  FROM registry
  WHERE school_status = '{v.NOT_IN_SCHOOL}' AND birth_date IS NOT NULL AND {age} >= {ctx.params.pension_age_min}"""
    return _absent(
        "C-NOPENSION", ctx, "pension_insurance", people="candidates", where="d.insured_status = 'insured'",
        extra=[("candidates", candidates)],
        explanation=(f"{who()} || '(' || {text('r.age')} || '岁,非在校生)在{label('pension_insurance')}"
                     "数据中无参保记录'"),
    )


def dropout(ctx: Context) -> list[CTE]:
    """Flagged when no row says 在读 or 送教上门, or a row says 辍学; the evidence is the rows that do not
    say 在读 / 送教上门 (辍学, 休学)."""
    p = ctx.params
    age = ctx.age("birth_date")
    candidates = f"""  SELECT *, {age} AS age
  FROM registry
  WHERE birth_date IS NOT NULL AND {age} BETWEEN {p.school_age_min} AND {p.school_age_max}
    AND (education_level IS NULL OR education_level NOT IN {codes(v.COMPLETED_JUNIOR)})"""
    rows = resolved(ctx, "students", columns=("enrolment_status",), people="candidates")
    status = f"""  SELECT member_key, bool_or(enrolment_status IN {codes(AT_SCHOOL)}) AS at_school,
         bool_or(enrolment_status = 'dropped_out') AS dropped,
         min(enrolment_status) AS other_status
  FROM matched
  GROUP BY member_key"""
    grouped = f"""  SELECT member_key, {evidence(ctx, 'students')}
  FROM matched
  WHERE enrolment_status IS NULL OR enrolment_status NOT IN {codes(AT_SCHOOL)}
  GROUP BY member_key"""
    other = label_of("s.other_status", labels("students", "enrolment_status"))
    explanation = (f"{who()} || '(' || {text('r.age')} || '岁)' || CASE "
                   "WHEN s.dropped THEN '学籍状态为辍学' "
                   "WHEN s.member_key IS NULL THEN '不在学籍在校生名单中,且无送教上门记录' "
                   f"ELSE '学籍状态为' || {other} || ',不在读且无送教上门记录' END")
    columns = member_finding("C-DROPOUT", ctx, "students", explanation,
                             source_rows=f"coalesce(a.source_rows, {ctx.dialect.empty_list('BIGINT')})",
                             match=f"coalesce(a.match, {string_literal(ctx.kind('students'))})")
    result = f"""  SELECT {columns}
  FROM candidates AS r
  LEFT JOIN status AS s ON s.member_key = r.member_key
  LEFT JOIN grouped AS a ON a.member_key = r.member_key
  WHERE s.member_key IS NULL OR s.dropped OR NOT s.at_school"""
    return [("candidates", candidates), ("matched", rows), ("status", status), ("grouped", grouped),
            ("finding", result)]


def dibao_mismatch(ctx: Context) -> list[CTE]:
    """享受低保 = 否 with an active 低保 row (the rows are the evidence), or 是 without one (no evidence).
    An unknown 享受低保 gives no finding."""
    rows = resolved(ctx, "dibao", columns=("start_date",),
                    where=f"d.aid_type = 'dibao' AND {active_at(ctx, 'd.start_date', 'd.end_date')}")
    grouped = f"""  SELECT member_key, {evidence(ctx, 'dibao')}, min(start_date) AS start_date
  FROM matched
  GROUP BY member_key"""
    roll = label("dibao")
    says_no = (f"'建档立卡登记' || {who()} || '未享受低保,但{roll}数据显示其自' || {text('a.start_date')} || "
               "'起享受低保'")
    says_yes = f"'建档立卡登记' || {who()} || '享受低保,但{roll}数据中无其在{ctx.check_text}有效的低保记录'"
    result = f"""  SELECT {member_finding("C-DIBAO-MISMATCH", ctx, "dibao", says_no)}
  FROM registry AS r JOIN grouped AS a ON a.member_key = r.member_key
  WHERE r.receives_dibao = FALSE
  UNION ALL
  SELECT {member_finding("C-DIBAO-MISMATCH", ctx, "dibao", says_yes, a=None)}
  FROM registry AS r
  WHERE r.receives_dibao = TRUE AND NOT EXISTS (SELECT 1 FROM grouped AS a WHERE a.member_key = r.member_key)"""
    return [("matched", rows), ("grouped", grouped), ("finding", result)]


def housing(ctx: Context) -> list[CTE]:
    """Households (through their head) with a C/D house not 已改造 whose head has no row in
    housing_renovation; an unknown renovation status counts as not renovated."""
    heads = f"""  SELECT *
  FROM registry
  WHERE relation = 'head' AND housing_grade IN {codes(v.DANGEROUS_HOUSING_GRADES)}
    AND (renovation_status IS NULL OR renovation_status <> '{v.RENOVATION_DONE}')"""
    status = label_of("r.renovation_status", v.RENOVATION_LABELS)
    explanation = ("'户主' || coalesce(r.name, '') || '家住房安全等级为' || r.housing_grade || '级,' || "
                   "CASE WHEN r.renovation_status IS NULL THEN '危房改造状态缺数据' "
                   f"ELSE '危房改造状态为' || {status} END"
                   f" || ',{label('housing_renovation')}数据中无该户主的改造记录'")
    return _absent("C-HOUSING", ctx, "housing_renovation", people="heads", where="TRUE",
                   extra=[("heads", heads)], explanation=explanation)
