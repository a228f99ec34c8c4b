"""Rules on the flow of money from a fund to projects (funds.md §3): F-DELAY, F-IDLE, F-OVERSPEND.

F-DELAY      a fund issued on or before T − 90 days whose allocations dated ≤ T total less than its amount;
             one finding per fund, with the idle amount
F-IDLE       a project whose allocations dated ≤ T − 90 days total more than its spending (expenditures +
             payments naming it) dated ≤ T; one finding per project, with the gap
F-OVERSPEND  a project whose spending dated ≤ T exceeds its budget; with the excess
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt

from sunshine.engine.funds.rules.base import CTE, Context, finding, project, spending_cte, text


def delay(ctx: Context) -> list[CTE]:
    days = ctx.params.funds_delay_days
    allocated = f"""  SELECT fund_no, sum({ctx.fen('amount')}) AS fen
  FROM allocations
  WHERE date <= {ctx.today}
  GROUP BY fund_no"""
    judged = f"""  SELECT f.fund_no, f.document_no, f.division_code, f.issued_date, {ctx.fen('f.amount')} AS fen,
         coalesce(a.fen, 0) AS allocated
  FROM funds AS f LEFT JOIN allocated AS a ON a.fund_no = f.fund_no
  WHERE f.issued_date <= {ctx.days_before(days)} AND f.amount IS NOT NULL"""
    explanation = (
        "'资金' || j.fund_no || CASE WHEN j.document_no IS NULL THEN '' ELSE '(' || j.document_no || ')' END || "
        f"'于' || {text('j.issued_date')} || '下达' || {ctx.money('j.fen')} || '元,截至{ctx.check_text}已拨付' || "
        f"{ctx.money('j.allocated')} || '元,' || {ctx.money('j.fen - j.allocated')} || "
        f"'元下达超过{days}天仍未拨付到项目'")
    result = f"""  SELECT {finding("F-DELAY", ctx, key="j.fund_no", division_code="j.division_code",
                            amount=ctx.yuan("j.fen - j.allocated"), explanation=explanation)}
  FROM judged AS j
  WHERE j.allocated < j.fen"""
    return [("allocated", allocated), ("judged", judged), ("finding", result)]


def idle(ctx: Context) -> list[CTE]:
    days = ctx.params.funds_idle_days
    before = (ctx.check_date - dt.timedelta(days=days)).isoformat()
    allocated = f"""  SELECT a.project_no, sum({ctx.fen('a.amount')}) AS fen, min(f.division_code) AS fund_division
  FROM allocations AS a LEFT JOIN funds AS f ON f.fund_no = a.fund_no
  WHERE a.date <= {ctx.days_before(days)}
  GROUP BY a.project_no"""
    projects = """  SELECT project_no, min(name) AS name, min(division_code) AS division_code
  FROM projects
  GROUP BY project_no"""
    explanation = (
        f"{project('j')} || '截至{before}已拨付' || {ctx.money('j.fen')} || '元,截至{ctx.check_text}支出' || "
        f"{ctx.money('j.spent')} || '元,' || {ctx.money('j.fen - j.spent')} || '元拨付超过{days}天仍未使用'")
    judged = """  SELECT a.project_no, p.name, coalesce(p.division_code, a.fund_division) AS division_code, a.fen,
         coalesce(s.fen, 0) AS spent
  FROM allocated AS a LEFT JOIN spending AS s ON s.project_no = a.project_no
  LEFT JOIN project_names AS p ON p.project_no = a.project_no"""
    result = f"""  SELECT {finding("F-IDLE", ctx, key="j.project_no", division_code="j.division_code",
                            amount=ctx.yuan("j.fen - j.spent"), explanation=explanation)}
  FROM judged AS j
  WHERE j.fen > j.spent"""
    return [("allocated", allocated), spending_cte(ctx), ("project_names", projects), ("judged", judged),
            ("finding", result)]


def overspend(ctx: Context) -> list[CTE]:
    judged = f"""  SELECT p.project_no, p.name, p.division_code, {ctx.fen('p.budget')} AS budget, s.fen AS spent
  FROM projects AS p JOIN spending AS s ON s.project_no = p.project_no
  WHERE p.budget IS NOT NULL"""
    explanation = (f"{project('j')} || '预算' || {ctx.money('j.budget')} || '元,截至{ctx.check_text}支出' || "
                   f"{ctx.money('j.spent')} || '元,超出预算' || {ctx.money('j.spent - j.budget')} || '元'")
    result = f"""  SELECT {finding("F-OVERSPEND", ctx, key="j.project_no", division_code="j.division_code",
                            amount=ctx.yuan("j.spent - j.budget"), explanation=explanation)}
  FROM judged AS j
  WHERE j.spent > j.budget"""
    return [spending_cte(ctx), ("judged", judged), ("finding", result)]
