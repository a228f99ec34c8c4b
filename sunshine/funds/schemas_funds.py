"""In/Out schemas of the funds API (funds, one fund's trail with its reconciliation, payments). Explicit fields
only: ID numbers arrive here already masked for masked roles (sunshine.core.scope.show_id_number)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from sunshine.core.api import PageQuery
from sunshine.funds.choices import FUND_SOURCE_CHOICES, ITEM_CHOICES, ProjectStatus

SourceSlug = Literal[tuple(code for code, _ in FUND_SOURCE_CHOICES)]  # type: ignore[valid-type]
ItemSlug = Literal[tuple(code for code, _ in ITEM_CHOICES)]  # type: ignore[valid-type]
D_SOURCE = "资金来源:" + " · ".join(f"{c}={label}" for c, label in FUND_SOURCE_CHOICES)
D_ITEM = "补贴项目:" + " · ".join(f"{c}={label}" for c, label in ITEM_CHOICES)
D_STATUS = "项目状态:" + " · ".join(f"{c}={label}" for c, label in ProjectStatus.choices)


class SumsOut(Schema):
    issued: Decimal = Field(..., description="下达金额(元)")
    allocated: Decimal = Field(..., description="已拨付到项目")
    idle: Decimal = Field(..., description="未拨付 = 下达 − 已拨付")
    spent: Decimal = Field(..., description="已支出(本资金在各项目支出中按拨付比例分摊的部分)")
    unspent: Decimal = Field(..., description="已拨未支 = 已拨付 − 已支出")
    reconciles: bool = Field(..., description="下达 = 已拨付 + 未拨付 且 已拨付 = 已支出 + 已拨未支")


class FundOut(Schema):
    id: int
    fund_no: str = Field(..., description="资金编号(县内唯一)")
    document_no: str = Field(..., description="文号")
    source: SourceSlug = Field(..., description=D_SOURCE)
    source_label: str
    year: int
    county_code: str
    county_name: str
    issued_date: dt.date
    amount: Decimal
    sums: SumsOut


class SourceTotalOut(Schema):
    source: SourceSlug = Field(..., description=D_SOURCE)
    source_label: str
    funds: int
    sums: SumsOut


class FundPage(Schema):
    count: int
    page: int
    page_size: int
    total: SumsOut = Field(..., description="所有符合条件资金的合计")
    by_source: list[SourceTotalOut]
    items: list[FundOut]


class FundQuery(PageQuery):
    year: int | None = Field(None, ge=2000, le=2100)
    source: SourceSlug | None = Field(None, description=D_SOURCE)
    division: str | None = Field(None, pattern=r"^\d{12}$", description="区划代码:该区划所在县的资金")
    q: str | None = Field(None, max_length=100, description="资金编号或文号(包含)")


class ProjectSumsOut(Schema):
    allocated: Decimal = Field(..., description="项目拨付合计(所有资金)")
    expenditures: Decimal = Field(..., description="项目支出")
    payments: Decimal = Field(..., description="点名该项目的到户发放")
    spent: Decimal = Field(..., description="已支出 = 项目支出 + 到户发放")
    unspent: Decimal = Field(..., description="已拨未支 = 拨付合计 − 已支出(负数为超支)")


class AllocationOut(Schema):
    date: dt.date
    amount: Decimal


class TrailProjectOut(Schema):
    id: int
    project_no: str
    name: str
    division_code: str
    division_name: str
    category: str
    status: str = Field(..., description=D_STATUS)
    budget: Decimal
    from_fund: Decimal = Field(..., description="本资金拨付给该项目的金额")
    fund_spent: Decimal = Field(..., description="其中已支出(按拨付比例分摊)")
    fund_unspent: Decimal
    sums: ProjectSumsOut
    allocations: list[AllocationOut]
    payment_count: int = Field(..., description="点名该项目的到户发放笔数(明细见 /api/funds/payments?project=)")
    household_count: int = Field(..., description="收到这些发放的建档立卡户数")


class FundTrailOut(FundOut):
    projects: list[TrailProjectOut]
    direct_payments: Decimal = Field(..., description="点名该资金而未点名项目的到户发放(不计入上述支出)")


class PaymentOut(Schema):
    id: int
    payment_no: str
    name: str
    id_number: str = Field(..., description="身份证号(按角色脱敏;部门只给哈希时为空)")
    household_no: str
    in_registry: bool
    village_code: str | None
    item: ItemSlug = Field(..., description=D_ITEM)
    item_label: str
    period: str
    amount: Decimal
    paid_date: dt.date
    fund_id: int | None
    fund_no: str | None
    project_id: int | None
    project_no: str | None
    loan_no: str


class PaymentPage(Schema):
    count: int
    page: int
    page_size: int
    total_amount: Decimal
    items: list[PaymentOut]


class PaymentQuery(PageQuery):
    name: str | None = Field(None, max_length=100, description="姓名(精确)")
    id_number: str | None = Field(None, max_length=18, description="身份证号(精确,经哈希查找)")
    household_no: str | None = Field(None, max_length=30)
    item: ItemSlug | None = Field(None, description=D_ITEM)
    period: str | None = Field(None, pattern=r"^\d{4}(-\d{2})?$", description="所属期 YYYY 或 YYYY-MM")
    year: int | None = Field(None, ge=2000, le=2100, description="发放年度")
    fund: str | None = Field(None, max_length=40, description="资金编号")
    project: str | None = Field(None, max_length=40, description="项目编号")
    division: str | None = Field(None, pattern=r"^\d{12}$", description="区划代码")
