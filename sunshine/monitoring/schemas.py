"""In/Out schemas of the monitoring API (warnings, their steps, monitored households). Explicit fields only: ID
numbers and phones arrive here already masked for masked roles (sunshine.monitoring.display)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from sunshine.core.api import PageQuery
from sunshine.monitoring.choices import EscalationLevel, MeasureKind, MonitoredSource, WarningCode, WarningStatus

CodeSlug = Literal[tuple(WarningCode.values)]  # type: ignore[valid-type]
StatusSlug = Literal[tuple(WarningStatus.values)]  # type: ignore[valid-type]
LevelSlug = Literal[tuple(EscalationLevel.values)]  # type: ignore[valid-type]
KindSlug = Literal[tuple(MeasureKind.values)]  # type: ignore[valid-type]
SourceSlug = Literal[tuple(MonitoredSource.values)]  # type: ignore[valid-type]
SubjectSlug = Literal["registered", "monitored", "unknown"]


def _described(pairs: object) -> str:
    return " · ".join(f"{v}={label}" for v, label in pairs)  # type: ignore[attr-defined]


D_CODE = "预警类型:" + _described(WarningCode.choices)
D_STATUS = "状态:" + _described(WarningStatus.choices)
D_LEVEL = "督办层级:" + _described(EscalationLevel.choices)
D_KIND = "措施类型:" + _described(MeasureKind.choices)
D_SOURCE = "来源:" + _described(MonitoredSource.choices)


class WarningOut(Schema):
    id: int
    year: int
    codes: list[CodeSlug] = Field(..., description=D_CODE)
    code_labels: list[str]
    score: int = Field(..., description="风险评分(0–100)")
    status: StatusSlug = Field(..., description=D_STATUS)
    status_label: str
    subject: SubjectSlug = Field(..., description="registered=建档立卡农户;monitored=档外监测户")
    household_no: str | None = Field(None, description="户编号(建档立卡农户)")
    monitored_id: int | None = Field(None, description="监测户编号(档外)")
    monitored_number: str | None = None
    name: str = Field(..., description="户主姓名")
    id_number: str = Field(..., description="档外监测户户主身份证号(按角色脱敏);建档立卡农户为空")
    division_code: str = Field(..., description="责任单位(村,或只知其县的档外人员所在县)")
    division_name: str
    explanation: str
    deadline: dt.date = Field(..., description="核实期限")
    overdue: bool = Field(..., description="待核实且已过核实期限")
    days_over: int = Field(..., description="逾期天数")
    escalation: LevelSlug = Field(..., description=D_LEVEL)
    escalation_label: str
    assigned_to: str | None = Field(None, description="帮扶责任人")
    resolution_note: str = Field(..., description="风险消除理由或转入识别程序的说明")
    resolved_on: dt.date | None = Field(None, description="办结日期")


class ContributionOut(Schema):
    signal: str = Field(..., description="风险因素代码")
    label: str
    points: int


class MeasureOut(Schema):
    id: int
    kind: KindSlug = Field(..., description=D_KIND)
    kind_label: str
    amount: Decimal | None = Field(None, description="金额(元)")
    date: dt.date
    note: str
    created_by: str | None = None


class WarningEventOut(Schema):
    id: int
    at: dt.datetime
    user: str | None = Field(None, description="操作人;系统监测为 null")
    action: str = Field(..., description="raised 等为监测产生;verify=核实;measure=帮扶措施;clear=风险消除;"
                                         "hand_over=转入识别程序;escalated=逾期督办")
    action_label: str
    from_status: StatusSlug | None = None
    to_status: StatusSlug | None = None
    note: str
    run_id: int | None = None


class WarningDetailOut(WarningOut):
    contributions: list[ContributionOut] = Field(..., description="评分构成,分值高者在前")
    measures: list[MeasureOut]
    events: list[WarningEventOut]
    next_steps: list[Literal["verify", "measure", "clear", "hand_over"]] = Field(
        ..., description="您现在可以办理的步骤")


class CodeCountOut(Schema):
    code: CodeSlug
    label: str
    count: int


class StatusCountOut(Schema):
    status: StatusSlug
    label: str
    count: int


class WarningPage(Schema):
    count: int
    page: int
    page_size: int
    by_code: list[CodeCountOut] = Field(..., description="筛选结果按预警类型计数(一条预警可有多个类型)")
    by_status: list[StatusCountOut] = Field(..., description="筛选结果按状态计数")
    items: list[WarningOut]


class WarningQuery(PageQuery):
    code: CodeSlug | None = Field(None, description=D_CODE)
    status: StatusSlug | None = Field(None, description=D_STATUS)
    year: int | None = Field(None, description="年度")
    division: str | None = Field(None, max_length=12, description="区划代码:只列该区划内的预警")
    escalation: LevelSlug | None = Field(None, description=D_LEVEL)
    overdue: bool = Field(False, description="只列逾期未核实的预警")
    score_min: int | None = Field(None, ge=0, le=100, description="风险评分不低于")
    score_max: int | None = Field(None, ge=0, le=100, description="风险评分不高于")
    mine: bool = Field(False, description="只列由我帮扶的预警")
    household_no: str | None = Field(None, max_length=30, description="户编号")


class WarningVerifyIn(Schema):
    confirmed: bool = Field(..., description="true=属实;false=不属实(办结)")
    note: str = Field(..., min_length=1, max_length=2000, description="核实情况说明")


class MeasureIn(Schema):
    kind: KindSlug = Field(..., description=D_KIND)
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="金额(元),可不填")
    date: dt.date = Field(..., description="措施日期,不晚于今天")
    note: str = Field("", max_length=2000, description="措施说明")


class ClearIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000, description="风险消除理由")
    date: dt.date = Field(..., description="风险消除日期,不早于最后一次帮扶措施")


class HandOverIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000, description="转入识别程序的说明")


class MonitoredOut(Schema):
    id: int
    number: str = Field(..., description="监测户编号")
    year: int
    division_code: str
    division_name: str
    head_name: str
    head_id_number: str = Field(..., description="户主身份证号(按角色脱敏)")
    phone: str = Field(..., description="联系电话(按角色脱敏)")
    members: int | None = None
    per_capita_income: Decimal | None = Field(None, description="人均可支配收入(元)")
    source: SourceSlug = Field(..., description=D_SOURCE)
    source_label: str
    open_warnings: int | None = Field(None, description="未办结的预警数")


class MonitoredPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MonitoredOut]


class MonitoredQuery(PageQuery):
    year: int | None = Field(None, description="年度")
    division: str | None = Field(None, max_length=12, description="区划代码")
    source: SourceSlug | None = Field(None, description=D_SOURCE)
    q: str | None = Field(None, max_length=40, description="监测户编号、户主姓名或身份证号")
