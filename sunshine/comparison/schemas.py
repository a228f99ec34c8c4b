"""In/Out schemas of the comparison API (runs and findings). Explicit fields only: ID numbers arrive here
already masked for masked roles (sunshine.comparison.display)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from sunshine.comparison.choices import DATASET_CHOICES, Engine, FindingStatus, JobStatus
from sunshine.core.api import PageQuery
from sunshine.engine.comparison.catalogue import MATCH_LABELS, RULES, SEVERITY_LABELS
from sunshine.engine.funds.catalogue import RULES as FUNDS_RULES
from sunshine.engine.funds.catalogue import SUBJECT_LABELS

# Funds findings (F-/P-, sunshine.funds.check) share the findings table and its workflow, so the API names them too.
RuleSlug = Literal[tuple(RULES) + tuple(FUNDS_RULES)]  # type: ignore[valid-type]
SeveritySlug = Literal[tuple(SEVERITY_LABELS)]  # type: ignore[valid-type]
MatchSlug = Literal[tuple(MATCH_LABELS)]  # type: ignore[valid-type]
StatusSlug = Literal[tuple(FindingStatus.values)]  # type: ignore[valid-type]
JobSlug = Literal[tuple(JobStatus.values)]  # type: ignore[valid-type]
EngineSlug = Literal[tuple(Engine.values)]  # type: ignore[valid-type]
DatasetSlug = Literal[tuple(name for name, _ in DATASET_CHOICES)]  # type: ignore[valid-type]


def _described(pairs: Any) -> str:
    return " · ".join(f"{v}={label}" for v, label in pairs)


D_RULE = "规则代码:" + _described((code, r.title) for code, r in (RULES | FUNDS_RULES).items())
SubjectSlug = Literal[tuple(SUBJECT_LABELS)]  # type: ignore[valid-type]
D_SUBJECT = "资金项目核查对象:" + _described(SUBJECT_LABELS.items())
D_SEVERITY = "严重程度:" + _described(SEVERITY_LABELS.items())
D_MATCH = "匹配方式:" + _described(MATCH_LABELS.items())
D_STATUS = "核实状态:" + _described(FindingStatus.choices)
D_JOB = "批次状态:" + _described(JobStatus.choices)
D_DATASET = "部门数据集:" + _described(DATASET_CHOICES)


# --- runs ---------------------------------------------------------------------------------------------


class LoadOut(Schema):
    dataset: DatasetSlug = Field(..., description=D_DATASET)
    dataset_label: str
    version: int
    as_of: dt.date | None = Field(None, description="数据截止日期")
    rows: int
    hashed: bool = Field(..., description="部门提供的是身份证号哈希值")


class RuleCountOut(Schema):
    code: RuleSlug = Field(..., description=D_RULE)
    title: str
    severity: SeveritySlug = Field(..., description=D_SEVERITY)
    count: int
    seconds: float | None = Field(None, description="该规则用时(秒)")


class CountyCountOut(Schema):
    code: str = Field(..., description="县(区)区划代码")
    name: str
    count: int


class ComparisonRunOut(Schema):
    id: int
    year: int
    division_code: str = Field(..., description="比对范围(区划代码)")
    division_name: str
    rules: list[str] = Field(..., description="所选规则;空为全部")
    engine: EngineSlug
    status: JobSlug = Field(..., description=D_JOB)
    progress: int = Field(..., description="进度(%)")
    stage: str = Field(..., description="当前步骤")
    message: str
    rerun_of: int | None = Field(None, description="重新比对的原批次")
    created_by: str | None = Field(None, description="执行人用户名")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float


class RunDetailOut(ComparisonRunOut):
    loads: list[LoadOut] = Field(..., description="所用部门数据(数据集、版本、截止日期)")
    whole: bool = Field(..., description="true:统计为整个批次;false:只统计您管辖范围内的发现")
    total: int
    new: int = Field(..., description="新发现")
    recurring: int = Field(..., description="此前已发现、本批次再次发现")
    by_status: dict[str, int] = Field(..., description="各核实状态的发现数")
    by_rule: list[RuleCountOut]
    by_county: list[CountyCountOut]


class ComparisonRunPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ComparisonRunOut]


class ComparisonRunQuery(PageQuery):
    year: int | None = Field(None, description="年度")
    status: JobSlug | None = Field(None, description=D_JOB)


# --- findings -----------------------------------------------------------------------------------------


class ComparisonFindingOut(Schema):
    id: int
    rule: RuleSlug = Field(..., description=D_RULE)
    rule_title: str
    severity: SeveritySlug = Field(..., description=D_SEVERITY)
    year: int
    status: StatusSlug = Field(..., description=D_STATUS)
    household_no: str | None = Field(None, description="户编号;不在建档立卡名单中的人员为 null")
    name: str
    id_number: str = Field(..., description="身份证号(按角色脱敏,如 320321********123X)")
    division_code: str = Field(..., description="责任单位(村,或档外人员所在县)")
    division_name: str
    dataset: DatasetSlug | None = Field(None, description=D_DATASET)
    match: MatchSlug | None = Field(None, description=D_MATCH)
    probability: float | None = Field(None, description="概率匹配时的匹配概率")
    explanation: str
    deadline: dt.date = Field(..., description="核实期限")
    overdue: bool = Field(..., description="待核实且已过核实期限")
    first_run_id: int
    last_run_id: int
    previous_id: int | None = Field(None, description="此前同一问题的发现")
    subject: SubjectSlug | None = Field(None, description=D_SUBJECT + ";数据比对发现为 null")
    key: str = Field("", description="资金编号、项目编号或发放编号(多笔以 ; 分隔);数据比对发现为空")
    amount: Decimal | None = Field(None, description="滞留、闲置、超标或发放金额(元)")


class FindingEventOut(Schema):
    id: int
    at: dt.datetime
    user: str | None = Field(None, description="操作人;系统比对为 null")
    action: str = Field(..., description="raised 等为比对产生;verify=核实;rectify=整改")
    action_label: str
    from_status: StatusSlug | None = None
    to_status: StatusSlug | None = None
    note: str
    run_id: int | None = None
    attachment_url: str | None = Field(None, description="附件下载地址(登录后,按管辖范围校验)")


class OccurrenceOut(Schema):
    run_id: int
    recurring: bool = Field(..., description="此前已发现")
    created_at: dt.datetime


class FindingDetailOut(ComparisonFindingOut):
    evidence: list[dict[str, Any]] = Field(..., description="部门数据行:{中文列名: 值};身份证号按角色脱敏")
    occurrences: list[OccurrenceOut]
    later_ids: list[int] = Field(..., description="此后同一问题的发现")
    events: list[FindingEventOut]
    can_act: bool = Field(..., description="您可以核实或整改该发现")


class FindingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ComparisonFindingOut]


class FindingQuery(PageQuery):
    rule: RuleSlug | None = Field(None, description=D_RULE)
    status: StatusSlug | None = Field(None, description=D_STATUS)
    severity: SeveritySlug | None = Field(None, description=D_SEVERITY)
    year: int | None = Field(None, description="年度")
    division: str | None = Field(None, max_length=12, description="区划代码:只列该区划内的发现")
    overdue: bool = Field(False, description="只列逾期未核实的发现")
    run: int | None = Field(None, description="比对批次编号:只列该批次的发现")
    match: MatchSlug | None = Field(None, description=D_MATCH)
    dataset: DatasetSlug | None = Field(None, description=D_DATASET)
    household_no: str | None = Field(None, max_length=30, description="户编号")
    kind: Literal["comparison", "funds"] | None = Field(None, description="类型:comparison=数据比对;funds=资金项目")


class FindingVerifyIn(Schema):
    confirmed: bool = Field(..., description="true=核实属实;false=核实不属实")
    note: str = Field(..., min_length=1, max_length=2000, description="核实情况说明")


class RectifyIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000, description="整改情况说明")
