"""Project rules (funds.md §4): P-OVERDUE, P-NOANNOUNCE, P-NOBENEFIT.

P-OVERDUE     status 实施 and planned_end < T
P-NOANNOUNCE  status 实施 or later without an approval announcement (立项公告) that ran at least the standard
              period (10 days) and ended before the project's first spending (before T when it has not spent);
              or 验收 more than 10 days before T with no result announcement (结果公告) since
P-NOBENEFIT   status 验收, category industry / employment / asset_income, and no project_beneficiaries row names
              a household registered in the project's year or the run's year

An announcement's period is start_date..end_date inclusive, or ``days`` days from start_date, or the standard
period when neither is given; it has run the standard period when it lasts at least that many days. The date of
验收 is ``accepted_date`` (the library's signed transition), or 实际完工 actual_end when that is unknown.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from sunshine.engine.dialect import in_list, label_of
from sunshine.engine.funds.rules.base import CTE, Context, finding, households_cte, project, spending_cte, text
from sunshine.engine.funds.tables import (
    ACCEPTED,
    APPROVAL,
    BENEFIT_CATEGORIES,
    CATEGORIES,
    IMPLEMENTING,
    PROJECT_STATUSES,
    RESULT,
    STARTED_STATUSES,
    labels,
)


def overdue(ctx: Context) -> list[CTE]:
    explanation = (f"{project()} || '计划于' || {text('p.planned_end')} || '完工,截至{ctx.check_text}仍在实施'")
    result = f"""  SELECT {finding("P-OVERDUE", ctx, key="p.project_no", division_code="p.division_code",
                            explanation=explanation)}
  FROM projects AS p
  WHERE p.status = '{IMPLEMENTING}' AND p.planned_end < {ctx.today}"""
    return [("finding", result)]


def no_announcement(ctx: Context) -> list[CTE]:
    days = ctx.params.announcement_days
    periods = f"""  SELECT project_no, kind, start_date,
         coalesce(end_date, start_date + (coalesce(days, {days}) - 1)) AS end_date,
         CASE WHEN end_date IS NOT NULL THEN end_date >= start_date + {days - 1}
              WHEN days IS NOT NULL THEN days >= {days} ELSE TRUE END AS full_period
  FROM announcements
  WHERE start_date IS NOT NULL AND start_date <= {ctx.today}"""
    accepted = "coalesce(p.accepted_date, p.actual_end)"
    checked = f"""  SELECT p.project_no,
         max(CASE WHEN a.kind = '{APPROVAL}' AND a.full_period
                   AND (a.end_date < s.first_date OR (s.first_date IS NULL AND a.end_date <= {ctx.today}))
                  THEN 1 ELSE 0 END) AS approval_ok,
         max(CASE WHEN a.kind = '{RESULT}' AND a.start_date >= {accepted} THEN 1 ELSE 0 END) AS result_ok
  FROM projects AS p LEFT JOIN spending AS s ON s.project_no = p.project_no
  LEFT JOIN periods AS a ON a.project_no = p.project_no
  GROUP BY p.project_no"""
    judged = f"""  SELECT p.project_no, p.name, p.division_code, p.status, s.first_date, {accepted} AS accepted_on,
         p.status IN {in_list(STARTED_STATUSES)} AND c.approval_ok = 0 AS no_approval,
         coalesce(p.status = '{ACCEPTED}' AND {accepted} < {ctx.days_before(days)} AND c.result_ok = 0, FALSE)
           AS no_result
  FROM projects AS p JOIN checked AS c ON c.project_no = p.project_no
  LEFT JOIN spending AS s ON s.project_no = p.project_no"""
    status = label_of("j.status", labels(PROJECT_STATUSES))
    approval = (f"CASE WHEN j.no_approval THEN '已进入' || {status} || '阶段,' || CASE WHEN j.first_date IS NULL "
                f"THEN '截至{ctx.check_text}' ELSE '首笔支出(' || {text('j.first_date')} || ')前' END || "
                f"'无公示期满{days}天的立项公告' END")
    result_text = (f"CASE WHEN j.no_result THEN '已于' || {text('j.accepted_on')} || "
                   f"'验收,超过{days}天仍未发布结果公告' END")
    explanation = f"{project('j')} || concat_ws(';', {approval}, {result_text})"
    result = f"""  SELECT {finding("P-NOANNOUNCE", ctx, key="j.project_no", division_code="j.division_code",
                            explanation=explanation)}
  FROM judged AS j
  WHERE j.no_approval OR j.no_result"""
    return [spending_cte(ctx), ("periods", periods), ("checked", checked), ("judged", judged), ("finding", result)]


def no_benefit(ctx: Context) -> list[CTE]:
    beneficiaries = f"""  SELECT b.project_no, count(DISTINCT b.household_no) AS households,
         count(DISTINCT CASE WHEN h.household_no IS NOT NULL THEN b.household_no END) AS registered
  FROM project_beneficiaries AS b
  JOIN projects AS p ON p.project_no = b.project_no
  LEFT JOIN households AS h ON h.household_no = b.household_no AND h.registered
    AND (h.year = {int(ctx.year)} OR h.year = p.year)
  GROUP BY b.project_no"""
    category = label_of("p.category", labels(CATEGORIES))
    explanation = (f"{category} || {project()} || '已验收,' || CASE WHEN coalesce(b.households, 0) = 0 "
                   "THEN '未登记受益户' ELSE '登记受益户' || "
                   f"{text('b.households')} || '户,均不是建档立卡户' END")
    result = f"""  SELECT {finding("P-NOBENEFIT", ctx, key="p.project_no", division_code="p.division_code",
                            explanation=explanation)}
  FROM projects AS p LEFT JOIN beneficiaries AS b ON b.project_no = p.project_no
  WHERE p.status = '{ACCEPTED}' AND p.category IN {in_list(BENEFIT_CATEGORIES)} AND coalesce(b.registered, 0) = 0"""
    return [households_cte(ctx), ("beneficiaries", beneficiaries), ("finding", result)]
