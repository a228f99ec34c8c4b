"""In/Out schemas of the projects API. Explicit fields only; free texts arrive masked for masked roles
(sunshine.core.scope.show_text) and comment phones by show_phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from sunshine.core.api import PageQuery
from sunshine.funds.choices import CATEGORY_CHOICES, CommentKind, PerformanceResult, ProjectStatus

StatusSlug = Literal[tuple(ProjectStatus.values)]  # type: ignore[valid-type]
CategorySlug = Literal[tuple(code for code, _ in CATEGORY_CHOICES)]  # type: ignore[valid-type]


def _described(pairs: list[tuple[str, str]]) -> str:
    return " · ".join(f"{v}={label}" for v, label in pairs)


D_STATUS = "项目状态:" + _described(list(ProjectStatus.choices))
D_CATEGORY = "项目类别:" + _described([(c, str(label)) for c, label in CATEGORY_CHOICES])


class ProjectOut(Schema):
    id: int
    project_no: str
    name: str
    county_code: str
    division_code: str = Field(..., description="建设地点区划代码(县、乡镇或村)")
    division_name: str
    category: str = Field(..., description=D_CATEGORY)
    category_label: str
    year: int
    budget: Decimal
    status: StatusSlug = Field(..., description=D_STATUS)  # type: ignore[valid-type]
    status_label: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    actual_end: dt.date | None
    accepted_date: dt.date | None


class ProjectPage(Schema):
    count: int
    page: int
    page_size: int
    counts_by_status: dict[str, int] = Field(..., description="筛选条件下(不含状态、类别)各状态项目数")
    counts_by_category: dict[str, int] = Field(..., description="筛选条件下(不含状态、类别)各类别项目数")
    items: list[ProjectOut]


class TransitionOut(Schema):
    id: int
    from_status: str
    to_status: StatusSlug  # type: ignore[valid-type]
    to_label: str
    user: str
    at: dt.datetime
    note: str
    attachment: bool = Field(..., description="是否附有扫描件")


class AnnouncementOut(Schema):
    id: int
    kind: Literal["approval", "result"]
    title: str
    start_date: dt.date
    end_date: dt.date
    days: int
    state: Literal["future", "current", "past"]


class CommentOut(Schema):
    id: int
    announcement_id: int
    kind: Literal[tuple(CommentKind.values)]  # type: ignore[valid-type]
    text: str
    name: str
    phone: str = Field(..., description="联系电话(按角色脱敏)")
    created_at: dt.datetime
    handled_by: str | None = None
    handled_at: dt.datetime | None = None
    reply: str


class MoneyOut(Schema):
    allocated: Decimal
    spent: Decimal = Field(..., description="项目支出与到户发放合计")
    unspent: Decimal


class BeneficiaryOut(Schema):
    household_no: str
    head_name: str
    village: str


class ProjectDetailOut(ProjectOut):
    content: str
    performance_target: str
    implementer: str
    planned_households: int | None
    planned_registered_households: int | None
    performance_result: Literal[tuple(["", *PerformanceResult.values])]  # type: ignore[valid-type]
    performance_note: str
    removal_reason: str
    transitions: list[TransitionOut]
    available: list[StatusSlug] = Field(..., description="您现在可以办理的状态变更")  # type: ignore[valid-type]
    announcements: list[AnnouncementOut]
    comments: list[CommentOut]
    money: MoneyOut
    beneficiaries: list[BeneficiaryOut]


class ProjectQuery(PageQuery):
    year: int | None = None
    status: StatusSlug | None = Field(None, description=D_STATUS)  # type: ignore[valid-type]
    category: CategorySlug | None = Field(None, description=D_CATEGORY)  # type: ignore[valid-type]
    division: str | None = Field(None, description="区划代码(乡镇或村):建设在其中的项目")
    q: str | None = Field(None, max_length=100, description="项目编号开头或名称包含")
