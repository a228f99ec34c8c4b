"""In/Out schemas of the cases API. Explicit fields only: ID numbers and phones arrive here already masked for
masked roles (sunshine.workflow.display)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from sunshine.core.api import PageQuery
from sunshine.workflow.choices import CaseStatus, CaseType, ChangeKind, Decision, ObjectionStatus, Step

TypeSlug = Literal[tuple(CaseType.values)]  # type: ignore[valid-type]
StatusSlug = Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
StepSlug = Literal[tuple(Step.values)]  # type: ignore[valid-type]
DecisionSlug = Literal[tuple(Decision.values)]  # type: ignore[valid-type]
ChangeSlug = Literal[tuple(ChangeKind.values)]  # type: ignore[valid-type]
ObjectionSlug = Literal[tuple(ObjectionStatus.values)]  # type: ignore[valid-type]


def _described(pairs: Any) -> str:
    return " · ".join(f"{v}={label}" for v, label in pairs)


D_TYPE = "案件类型:" + _described(CaseType.choices)
D_STATUS = "状态:" + _described(CaseStatus.choices)
D_STEP = "步骤:" + _described(Step.choices)
D_DECISION = "结论:" + _described(Decision.choices)


class CaseOut(Schema):
    id: int
    case_type: TypeSlug = Field(..., description=D_TYPE)
    case_type_label: str
    year: int
    status: StatusSlug = Field(..., description=D_STATUS)
    status_label: str
    step: StepSlug | None = Field(None, description="当前步骤(办结后为空)。" + D_STEP)
    step_label: str
    awaiting_role: str | None = Field(None, description="当前步骤由哪个角色办理")
    household_no: str | None = Field(None, description="户编号(建档立卡农户,或纳入后新建的户)")
    monitored_id: int | None = Field(None, description="监测户(档外)")
    name: str = Field(..., description="户主或申请人姓名")
    id_number: str = Field(..., description="户主或申请人身份证号(按角色脱敏)")
    division_code: str
    division_name: str
    change_kind: ChangeSlug | None = None
    source: str = Field(..., description="来源:manual 手工发起 · assessment 评估结果 · warning 监测预警")
    source_ref: str
    adjustment_id: int | None = None
    notice_start: dt.date | None = None
    notice_end: dt.date | None = None
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[CaseOut]


class StepOut(Schema):
    index: int
    step: StepSlug
    label: str
    role: str
    state: Literal["done", "current", "pending"]


class ActionOut(Schema):
    id: int
    step: StepSlug
    step_label: str
    index: int
    decision: DecisionSlug = Field(..., description=D_DECISION)
    decision_label: str
    note: str
    attachment: bool = Field(..., description="是否附有扫描件(签字页)")
    actor: str
    at: dt.datetime
    assessment_run_id: int | None = Field(None, description="审定时依据的评估批次")


class ObjectionOut(Schema):
    id: int
    submitted_at: dt.datetime
    name: str
    contact: str = Field(..., description="联系方式(按角色脱敏)")
    content: str
    status: ObjectionSlug
    status_label: str
    handled_by: str | None = None
    handled_at: dt.datetime | None = None
    resolution: str


class EligibilityOut(Schema):
    ok: bool = Field(..., description="标注脱贫:最新正式评估达标时为 true;其他类型总为 true")
    result: str | None = Field(None, description="meets 达标 · fails 未达标 · incomplete 缺数据;无评估时为空")
    run_id: int | None = None
    standard_version: str
    criteria: dict[str, str]
    explanation: str
    message: str


class CaseFindingOut(Schema):
    id: int
    rule: str
    year: int
    status: str
    explanation: str


class CaseDetailOut(CaseOut):
    reason: str
    steps: list[StepOut]
    actions: list[ActionOut]
    objections: list[ObjectionOut]
    eligibility: EligibilityOut
    findings: list[CaseFindingOut] = Field(..., description="纳入案件:该户或户主的比对发现")
    payload: dict[str, Any] = Field(..., description="申请内容(身份证号按角色脱敏)")
    registry_changes: list[dict[str, Any]] = Field(..., description="批准后对建档立卡的变更")
    may_act: bool = Field(..., description="您现在能否办理当前步骤")


class CaseQuery(PageQuery):
    status: StatusSlug | None = Field(None, description=D_STATUS)
    case_type: TypeSlug | None = Field(None, description=D_TYPE)
    division: str | None = Field(None, description="区划代码:其中的案件")
    year: int | None = None
    step: StepSlug | None = Field(None, description="当前步骤")
    q: str | None = Field(None, description="户编号(或其开头)、监测户编号")
    adjustment: int | None = Field(None, description="年度动态调整")
    awaiting: bool = Field(False, description="只看等待我办理的案件(待办)")


class OpenIn(Schema):
    case_type: TypeSlug = Field(..., description=D_TYPE)
    year: int = Field(..., ge=2000, le=2100)
    household_no: str | None = Field(None, description="建档立卡农户的户编号")
    monitored_id: int | None = Field(None, description="档外监测户(纳入)")
    applicant: dict[str, Any] | None = Field(None, description="新申请户(纳入):name, id_number, village_code, phone")
    change_kind: ChangeSlug | None = Field(None, description="自然变更事项")
    payload: dict[str, Any] | None = Field(None, description="变更内容:member_id 与 change_date,或 member")
    reason: str = Field("", max_length=2000)


class AdvanceIn(Schema):
    step: StepSlug = Field(..., description="办理的步骤,须为案件当前步骤(防止跳步和重复提交)")
    decision: DecisionSlug = Field(..., description=D_DECISION)
    note: str = Field("", max_length=2000, description="意见;退回、不予批准时必填")


class HandleObjectionIn(Schema):
    upheld: bool = Field(..., description="true 异议成立(退回民主评议);false 异议不成立")
    resolution: str = Field(..., min_length=1, max_length=2000)
