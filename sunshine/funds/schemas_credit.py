"""In/Out schemas of the micro-credit and asset API (/api/funds/loans, /api/funds/assets). Explicit fields only:
ID numbers arrive here already masked for masked roles (sunshine.core.scope.show_id_number)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from sunshine.core.api import PageQuery
from sunshine.funds.choices import ASSET_KIND_CHOICES, ASSET_STATUS_CHOICES
from sunshine.funds.selectors_credit import STATUS_LABELS

LoanStatus = Literal[tuple(STATUS_LABELS)]  # type: ignore[valid-type]
AssetKind = Literal[tuple(code for code, _ in ASSET_KIND_CHOICES)]  # type: ignore[valid-type]
AssetStatus = Literal[tuple(code for code, _ in ASSET_STATUS_CHOICES)]  # type: ignore[valid-type]
D_STATUS = "贷款状态:" + " · ".join(f"{c}={label}" for c, label in STATUS_LABELS.items())


class LoanQuery(PageQuery):
    bank: str | None = Field(None, max_length=100, description="放款银行")
    division: str | None = Field(None, pattern=r"^\d{12}$", description="区划代码(乡镇或村)")
    status: LoanStatus | None = Field(None, description=D_STATUS)
    year: int | None = Field(None, ge=2000, le=2100, description="放款年度")
    q: str | None = Field(None, max_length=100, description="贷款编号、户编号或借款人姓名(精确)")


class LoanOut(Schema):
    id: int
    loan_no: str = Field(..., description="贷款编号(县内唯一)")
    county_code: str
    name: str = Field(..., description="借款人")
    id_number: str = Field(..., description="借款人身份证号(按角色脱敏)")
    household_no: str
    in_registry: bool
    bank: str
    loan_date: dt.date
    due_date: dt.date
    extended_due_date: dt.date | None
    amount: Decimal
    annual_rate: Decimal
    guarantee: str
    renewal_of: str | None = Field(None, description="续贷自(原贷款编号)")
    outstanding: Decimal = Field(..., description="今日未还本金")
    status: LoanStatus = Field(..., description=D_STATUS)
    overdue_days: int


class LoanPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[LoanOut]


class IntervalOut(Schema):
    start: dt.date
    end: dt.date | None = Field(None, description="该本金的最后一天;空:至今未还清")
    outstanding: Decimal


class RepaymentOut(Schema):
    date: dt.date
    principal: Decimal
    interest: Decimal


class LoanEventOut(Schema):
    action: Literal["extension", "renewal"]
    at: dt.datetime
    user: str = Field(..., description="操作人")
    note: str
    new_due_date: dt.date | None
    new_loan_no: str | None


class SubsidyOut(Schema):
    year: int
    subsidy: Decimal = Field(..., description="贴息(元):未还本金 × 年利率 ÷ 360 按日累计,逾期日不计")


class LoanDetailOut(LoanOut):
    settled_on: dt.date | None
    intervals: list[IntervalOut]
    repayments: list[RepaymentOut]
    subsidy: list[SubsidyOut]
    events: list[LoanEventOut]


class AssetQuery(PageQuery):
    division: str | None = Field(None, pattern=r"^\d{12}$", description="区划代码")
    kind: AssetKind | None = None
    status: AssetStatus | None = None
    q: str | None = Field(None, max_length=100, description="资产编号或名称")


class AssetOut(Schema):
    id: int
    asset_no: str
    name: str
    county_code: str
    project_no: str | None
    kind: AssetKind
    division_code: str
    value: Decimal
    formed_date: dt.date
    operator: str
    method: str
    household_ratio: Decimal
    villages: list[str]
    status: AssetStatus
    income: dict[int, Decimal] = Field(..., description="年度 → 可分配收益")


class AssetPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AssetOut]


class DividendOut(Schema):
    year: int
    household_no: str | None = Field(None, description="户编号;空:村集体所得")
    division_code: str
    amount: Decimal


class AssetDividendsOut(Schema):
    asset_no: str
    items: list[DividendOut] = Field(..., description="您的管辖范围内各年度分红")
