"""The columns of the funds files of funds.md §1, declared once with the registry's Column/TableSpec (so the
registry's readers, templates and error report serve them unchanged).

A few funds columns are read differently from the registry's kind of the same name: a project's division code
may be a county, township or village; counts of households are whole numbers (not years); a payee's
身份证号哈希 is 64 hex digits; 所属期 is YYYY or YYYY-MM. ``SPECIAL`` names those columns' readers."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sunshine.core.choices import DivisionLevel
from sunshine.core.divisions import level_of_code
from sunshine.engine.funds.params import DEFAULT_ITEMS
from sunshine.engine.funds.tables import (
    ASSET_KINDS,
    ASSET_STATUSES,
    CADRE_POSITIONS,
    CATEGORIES,
    DIVIDEND_METHODS,
    FUND_SOURCES,
    GUARANTEES,
    PROJECT_STATUSES,
)
from sunshine.registry.transfer import cells
from sunshine.registry.transfer.columns import DATE, DIVISION_CODE, ENUM, ID_NUMBER, INT, MONEY, TEXT, Column, TableSpec

ITEMS = {item.label: item.code for item in DEFAULT_ITEMS}
KEY_LENGTH = 40


def _col(field: str, header: str, kind: str, required: bool = False, *, choices: dict[str, str] | None = None,
         max_length: int | None = None, note: str = "") -> Column:
    return Column(field, header, kind, required, choices, max_length, note)


PROJECTS = TableSpec(
    name="projects", title="扶贫项目", key=("project_no",), sheet_names=("扶贫项目", "projects"),
    columns=(
        _col("project_no", "项目编号", TEXT, True, max_length=KEY_LENGTH, note="县内唯一"),
        _col("name", "项目名称", TEXT, True, max_length=200),
        _col("division_code", "区划代码", DIVISION_CODE, True, note="建设地点:县、乡镇或村的12位代码"),
        _col("category", "项目类别", ENUM, True, choices=CATEGORIES),
        _col("year", "年度", INT, True, note="计划年度"),
        _col("budget", "预算金额", MONEY, True, note="元"),
        _col("content", "建设内容", TEXT),
        _col("performance_target", "绩效目标", TEXT),
        _col("planned_households", "计划受益户数", INT, note="不小于0的整数"),
        _col("planned_registered_households", "其中建档立卡户", INT, note="不小于0的整数"),
        _col("status", "项目状态", ENUM, choices=PROJECT_STATUSES, note="空白为“申报”"),
        _col("planned_start", "计划开工", DATE),
        _col("planned_end", "计划完工", DATE),
        _col("actual_end", "实际完工", DATE),
        _col("implementer", "实施单位", TEXT, max_length=200),
    ),
)

PROJECT_BENEFICIARIES = TableSpec(
    name="project_beneficiaries", title="项目受益户", key=("project_no", "household_no"),
    sheet_names=("项目受益户", "project_beneficiaries"),
    columns=(
        _col("project_no", "项目编号", TEXT, True, max_length=KEY_LENGTH, note="须已在项目库中(同一县)"),
        _col("household_no", "户编号", TEXT, True, max_length=30, note="须为本县建档立卡户"),
    ),
)

FUNDS = TableSpec(
    name="funds", title="资金指标", key=("fund_no",), sheet_names=("资金指标", "funds"),
    columns=(
        _col("fund_no", "资金编号", TEXT, True, max_length=KEY_LENGTH, note="县内唯一"),
        _col("document_no", "文号", TEXT, max_length=100),
        _col("source", "资金来源", ENUM, True, choices=FUND_SOURCES),
        _col("year", "年度", INT, True),
        _col("division_code", "区划代码", DIVISION_CODE, note="下达到的县(12位代码);县级用户可留空"),
        _col("issued_date", "下达日期", DATE, True),
        _col("amount", "金额", MONEY, True, note="元"),
    ),
)

ALLOCATIONS = TableSpec(
    name="allocations", title="资金拨付", key=("fund_no", "project_no", "date", "amount"),
    sheet_names=("资金拨付", "allocations"),
    columns=(
        _col("fund_no", "资金编号", TEXT, True, max_length=KEY_LENGTH, note="须已导入(同一县)"),
        _col("project_no", "项目编号", TEXT, True, max_length=KEY_LENGTH, note="须已在项目库中(同一县)"),
        _col("date", "拨付日期", DATE, True),
        _col("amount", "金额", MONEY, True, note="元"),
    ),
)

EXPENDITURES = TableSpec(
    name="expenditures", title="项目支出", key=("project_no", "date", "amount", "payee"),
    sheet_names=("项目支出", "expenditures"),
    columns=(
        _col("project_no", "项目编号", TEXT, True, max_length=KEY_LENGTH, note="须已在项目库中(同一县)"),
        _col("date", "支出日期", DATE, True),
        _col("amount", "金额", MONEY, True, note="元"),
        _col("payee", "收款单位", TEXT, max_length=200),
        _col("purpose", "用途", TEXT, max_length=500),
    ),
)

PAYMENTS = TableSpec(
    name="payments", title="到户资金发放", key=("payment_no",), sheet_names=("到户资金发放", "payments"),
    columns=(
        _col("payment_no", "发放编号", TEXT, True, max_length=KEY_LENGTH, note="县内唯一"),
        _col("id_number", "身份证号", ID_NUMBER, note="领取人;与“身份证号哈希”二选一"),
        _col("id_hash", "身份证号哈希", TEXT, note="64位十六进制(HMAC-SHA256);与“身份证号”二选一"),
        _col("name", "姓名", TEXT, max_length=100),
        _col("household_no", "户编号", TEXT, max_length=30, note="可空:按领取人在建档立卡中所在的户"),
        _col("item", "补贴项目", ENUM, True, choices=ITEMS),
        _col("period", "所属期", TEXT, True, note="YYYY;按月的项目为 YYYY-MM"),
        _col("amount", "金额", MONEY, True, note="元"),
        _col("paid_date", "发放日期", DATE, True),
        _col("fund_no", "资金编号", TEXT, max_length=KEY_LENGTH, note="可空;须已导入(同一县)"),
        _col("project_no", "项目编号", TEXT, max_length=KEY_LENGTH, note="可空;须已在项目库中(同一县)"),
        _col("loan_no", "贷款编号", TEXT, max_length=40, note="小额信贷贴息必填"),
    ),
)

VILLAGE_CADRES = TableSpec(
    name="village_cadres", title="村干部名单", key=("id_number", "division_code", "start_date"),
    sheet_names=("村干部名单", "village_cadres"),
    columns=(
        _col("id_number", "身份证号", ID_NUMBER, True),
        _col("name", "姓名", TEXT, True, max_length=100),
        _col("division_code", "区划代码", DIVISION_CODE, True, note="村级12位代码"),
        _col("position", "职务", ENUM, True, choices=CADRE_POSITIONS),
        _col("start_date", "任职开始", DATE, True),
        _col("end_date", "任职结束", DATE, note="在任的留空"),
    ),
)

# Micro-credit and asset income (funds.md §1): imported by `sunshine loans import` and `sunshine assets import`.
LOANS = TableSpec(
    name="loans", title="扶贫小额信贷", key=("loan_no",), sheet_names=("扶贫小额信贷", "loans"),
    columns=(
        _col("loan_no", "贷款编号", TEXT, True, max_length=KEY_LENGTH, note="县内唯一"),
        _col("household_no", "户编号", TEXT, max_length=30, note="可空:按借款人在建档立卡中所在的户"),
        _col("id_number", "身份证号", ID_NUMBER, True, note="借款人"),
        _col("name", "姓名", TEXT, max_length=100),
        _col("bank", "放款银行", TEXT, True, max_length=100),
        _col("loan_date", "放款日期", DATE, True),
        _col("due_date", "到期日期", DATE, True),
        _col("extended_due_date", "展期到期日", DATE, note="展期的填写"),
        _col("amount", "贷款金额", MONEY, True, note="元"),
        _col("annual_rate", "年利率", TEXT, True, note="小数,如 0.0435"),
        _col("guarantee", "担保方式", ENUM, True, choices=GUARANTEES),
        _col("purpose", "贷款用途", TEXT, max_length=200),
        _col("renewal_of", "续贷", TEXT, max_length=KEY_LENGTH, note="续贷的填写原贷款的贷款编号(须已导入,同一县)"),
    ),
)

LOAN_REPAYMENTS = TableSpec(
    name="loan_repayments", title="还款", key=("loan_no", "date", "principal", "interest"),
    sheet_names=("还款", "loan_repayments"),
    columns=(
        _col("loan_no", "贷款编号", TEXT, True, max_length=KEY_LENGTH, note="须已导入(同一县)"),
        _col("date", "还款日期", DATE, True),
        _col("principal", "本金", MONEY, True, note="元"),
        _col("interest", "利息", MONEY, note="元;空白为0"),
    ),
)

ASSETS = TableSpec(
    name="assets", title="扶贫资产", key=("asset_no",), sheet_names=("扶贫资产", "assets"),
    columns=(
        _col("asset_no", "资产编号", TEXT, True, max_length=KEY_LENGTH, note="县内唯一"),
        _col("name", "资产名称", TEXT, True, max_length=200),
        _col("project_no", "项目编号", TEXT, max_length=KEY_LENGTH, note="形成资产的项目;可空(同一县)"),
        _col("kind", "资产类别", ENUM, True, choices=ASSET_KINDS),
        _col("division_code", "区划代码", DIVISION_CODE, True, note="资产所在的县、乡镇或村的12位代码"),
        _col("value", "原值", MONEY, True, note="元"),
        _col("formed_date", "形成日期", DATE, True),
        _col("operator", "运营主体", TEXT, max_length=200),
        _col("method", "分配方式", ENUM, True, choices=DIVIDEND_METHODS),
        _col("household_ratio", "农户分配比例", TEXT, True, note="0至1的小数,其余归受益村"),
        _col("villages", "受益村", TEXT, note="村级12位区划代码,多个用;分隔(须在本县)"),
        _col("status", "状态", ENUM, choices=ASSET_STATUSES, note="空白为“运营”"),
    ),
)

ASSET_INCOME = TableSpec(
    name="asset_income", title="资产收益", key=("asset_no", "year"), sheet_names=("资产收益", "asset_income"),
    columns=(
        _col("asset_no", "资产编号", TEXT, True, max_length=KEY_LENGTH, note="须已导入(同一县)"),
        _col("year", "年度", INT, True),
        _col("income", "可分配收益", MONEY, True, note="元"),
    ),
)

LOAN_KINDS = ("loans", "loan_repayments")
ASSET_FILE_KINDS = ("assets", "asset_income")
SPECS: dict[str, TableSpec] = {spec.name: spec for spec in (
    PROJECTS, PROJECT_BENEFICIARIES, FUNDS, ALLOCATIONS, EXPENDITURES, PAYMENTS, VILLAGE_CADRES,
    LOANS, LOAN_REPAYMENTS, ASSETS, ASSET_INCOME)}
# The kinds of `sunshine funds import` (loans and assets have their own commands).
KINDS = tuple(k for k in SPECS if k not in LOAN_KINDS + ASSET_FILE_KINDS)
KIND_LABELS = {name: spec.title for name, spec in SPECS.items()}

# ---- the readers of the columns that differ from the registry's kind ----

_HASH = re.compile(r"^[0-9a-fA-F]{64}$", re.ASCII)
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$", re.ASCII)


def parse_any_code(text: str) -> str:
    """A county, township or village code."""
    code = cells.parse_code(text)
    if level_of_code(code) not in (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE):
        raise cells.CellError("应为县、乡镇或村的12位区划代码")
    return code


def parse_county_code(text: str) -> str:
    code = cells.parse_code(text)
    if level_of_code(code) != DivisionLevel.COUNTY:
        raise cells.CellError("应为县级12位区划代码(后6位为0)")
    return code


def parse_count(text: str) -> int:
    text = text.translate(cells.FULL_WIDTH)
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise cells.CellError("应为不小于0的整数")
    return int(text)


def parse_hash(text: str) -> str:
    if not _HASH.match(text):
        raise cells.CellError("应为64位十六进制字符(身份证号经HMAC-SHA256计算的值)")
    return text.lower()


def parse_period(text: str) -> str:
    """YYYY or YYYY-MM (the item decides which one is right: checked with the row)."""
    match = _PERIOD.match(text.translate(cells.FULL_WIDTH))
    if not match:
        raise cells.CellError("应为年度 YYYY,按月的项目为 YYYY-MM(如 2020-03)")
    year = int(match.group(1))
    if not cells.FIRST_YEAR <= year <= cells.LAST_YEAR:
        raise cells.CellError(f"年度应在{cells.FIRST_YEAR}至{cells.LAST_YEAR}之间")
    if match.group(2) is None:
        return str(year)
    month = int(match.group(2))
    if not 1 <= month <= 12:
        raise cells.CellError("月份应为01至12")
    return f"{year}-{month:02d}"


def parse_amount(text: str) -> Any:
    value = cells.parse_money(text)
    if value < 0:
        raise cells.CellError("金额不能为负数")
    return value


_DECIMAL = re.compile(r"^\d{1,3}(?:\.\d+)?$|^\.\d+$", re.ASCII)


def _fraction(text: str) -> Decimal:
    text = text.translate(cells.FULL_WIDTH).strip()
    if not _DECIMAL.match(text):
        raise cells.CellError("应为小数,如 0.0435")
    value = Decimal(text)
    if value != value.quantize(Decimal("0.000001")):
        raise cells.CellError("最多6位小数")
    return value


def parse_rate(text: str) -> Decimal:
    """A yearly rate as a fraction (0.0435), at most 6 decimals (the engine keeps it exact to 1e-6)."""
    value = _fraction(text)
    if not Decimal(0) < value < Decimal(1):
        raise cells.CellError("年利率应为大于0、小于1的小数,如 0.0435")
    return value


def parse_ratio(text: str) -> Decimal:
    value = _fraction(text)
    if not Decimal(0) <= value <= Decimal(1):
        raise cells.CellError("农户分配比例应为0至1之间的小数")
    return value


def parse_villages(text: str) -> tuple[str, ...]:
    """区划代码 separated by ';' (full-width ';' too), each a village's: sorted, without repeats."""
    codes = [c.strip() for c in text.translate(cells.FULL_WIDTH).replace(";", ";").split(";") if c.strip()]
    if not codes:
        raise cells.CellError("应为村级12位区划代码,多个用;分隔")
    return tuple(sorted({cells.parse_village_code(c) for c in codes}))


SPECIAL: dict[tuple[str, str], Callable[[str], Any]] = {
    ("loans", "annual_rate"): parse_rate,
    ("assets", "household_ratio"): parse_ratio,
    ("assets", "villages"): parse_villages,
    ("assets", "division_code"): parse_any_code,
    ("projects", "division_code"): parse_any_code,
    ("projects", "planned_households"): parse_count,
    ("projects", "planned_registered_households"): parse_count,
    ("funds", "division_code"): parse_county_code,
    ("payments", "id_hash"): parse_hash,
    ("payments", "period"): parse_period,
}


def parser(kind: str, column: Column) -> Callable[[str], Any]:
    special = SPECIAL.get((kind, column.field))
    if special is not None:
        return special
    if column.kind == MONEY:
        return parse_amount
    return cells.parser_for(column)
