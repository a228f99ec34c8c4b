"""The assessment API: runs (list, summary, start) and one run's household results, read through the selectors
(the reader's scope) and started through services.run_assessment (role, scope, validation)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from sunshine.assessment import selectors
from sunshine.assessment.choices import CriterionState, Kind, Result
from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import run_assessment
from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, PageQuery, paginate

router = Router(tags=["assessment 脱贫认定"])

KindSlug = Literal[tuple(Kind.values)]
ResultSlug = Literal[tuple(Result.values)]
StateSlug = Literal[tuple(CriterionState.values)]
D_KIND = "评估对象:" + " · ".join(f"{v}={label}" for v, label in Kind.choices)
D_RESULT = "结果:" + " · ".join(f"{v}={label}" for v, label in Result.choices)
D_STATE = "指标状态:" + " · ".join(f"{v}={label}" for v, label in CriterionState.choices)


class AssessmentRunOut(Schema):
    id: int
    kind: KindSlug = Field(..., description=D_KIND)
    year: int
    division_code: str = Field(..., description="评估范围(区划代码)")
    division_name: str
    standard_version: str = Field(..., description="政策标准版本")
    official: bool = Field(..., description="正式评估;false 为模拟测算")
    parameters: dict[str, Any] = Field(..., description="所用参数")
    overrides: dict[str, Any] = Field(..., description="模拟调整的参数")
    counts: dict[str, int] = Field(..., description="各结果户(村、县)数;为您管辖范围内的部分")
    created_by: str | None = Field(None, description="执行人用户名")
    created_at: dt.datetime
    seconds: float


class AssessmentRunPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AssessmentRunOut]


class AssessmentRunQuery(PageQuery):
    kind: KindSlug | None = Field(None, description=D_KIND)
    year: int | None = Field(None, description="年度")
    official: bool | None = Field(None, description="true 只列正式评估,false 只列模拟测算")


class RunIn(Schema):
    kind: KindSlug = Field(..., description=D_KIND)
    year: int = Field(..., ge=2000, le=2100, description="年度")
    division_code: str | None = Field(None, description="评估范围(区划代码);默认为您的管辖区划")
    standard_version: str | None = Field(None, description="政策标准版本;默认按年度和区划自动选择")
    overrides: dict[str, float | int | str] = Field(default_factory=dict, description="模拟调整的参数(仅模拟测算)")
    official: bool = Field(True, description="正式评估;调整参数时须为 false")


class HouseholdResultOut(Schema):
    household_no: str = Field(..., description="户编号")
    head_name: str | None = Field(None, description="户主姓名(评估年度)")
    village_code: str
    result: ResultSlug = Field(..., description=D_RESULT)
    criteria: dict[str, StateSlug] = Field(..., description="各项指标 → " + D_STATE)
    per_capita_income: float | None = Field(None, description="人均可支配收入(元)")
    active_members: int
    explanation: str


class HouseholdResultPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdResultOut]


class HouseholdResultQuery(PageQuery):
    result: ResultSlug | None = Field(None, description=D_RESULT)
    criterion: str | None = Field(None, max_length=12, description="指标代码,如 H-INC")
    state: StateSlug | None = Field(None, description=D_STATE + "(与 criterion 一起使用)")


def run_out(reader: Any, run: AssessmentRun) -> dict[str, Any]:
    return {
        "id": run.pk, "kind": run.kind, "year": run.year, "division_code": run.division_id,
        "division_name": run.division.name, "standard_version": run.standard_version, "official": run.official,
        "parameters": run.parameters, "overrides": run.overrides, "counts": selectors.result_counts(reader, run),
        "created_by": run.created_by.username if run.created_by else None, "created_at": run.created_at,
        "seconds": run.seconds,
    }


@router.get("/runs", response={200: AssessmentRunPage, **READ_ERRORS}, summary="评估批次列表(您的管辖范围)")
def list_runs(request: Any, filters: Query[AssessmentRunQuery]) -> dict[str, Any]:
    qs = selectors.visible_runs(request.auth)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.official is not None:
        qs = qs.filter(official=filters.official)
    count, rows = paginate(qs, filters.page, filters.page_size)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [run_out(request.auth, r) for r in rows]}


@router.post("/runs", response={201: AssessmentRunOut, **ERROR_RESPONSES},
             summary="执行评估(同步;正式评估限县级管理、省级分析、系统管理员)")
def create_run(request: Any, payload: RunIn) -> Status[dict[str, Any]]:
    run = run_assessment(actor=request.auth, **payload.model_dump())
    return Status(201, run_out(request.auth, run))


@router.get("/runs/{run_id}", response={200: AssessmentRunOut, **READ_ERRORS}, summary="评估批次概要")
def get_run(request: Any, run_id: int) -> dict[str, Any]:
    return run_out(request.auth, selectors.get_run(request.auth, run_id))


@router.get("/runs/{run_id}/households", response={200: HouseholdResultPage, **READ_ERRORS},
            summary="农户评估结果(您的管辖范围内;可筛选、分页)")
def list_household_results(request: Any, run_id: int, filters: Query[HouseholdResultQuery]) -> dict[str, Any]:
    run = selectors.get_run(request.auth, run_id)
    if run.kind != Kind.HOUSEHOLDS:
        qs = selectors.scoped_results(request.auth, run).none()
    else:
        qs = selectors.scoped_results(request.auth, run, result=filters.result, criterion=filters.criterion,
                                      state=filters.state if filters.criterion else None)
    count, rows = paginate(qs, filters.page, filters.page_size)
    items = [{
        "household_no": r.household.household_no, "head_name": r.head_name, "village_code": r.household.village_id,
        "result": r.result, "criteria": r.criteria, "active_members": r.active_members, "explanation": r.explanation,
        "per_capita_income": None if r.per_capita_income is None else float(r.per_capita_income),
    } for r in rows]
    return {"count": count, "page": filters.page, "page_size": filters.page_size, "items": items}
