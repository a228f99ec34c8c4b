"""The parameters of a policy standard: every number of docs/rules.md, typed and validated.

Plain Python (no Django): the engine and the benchmarks read the same dictionary that a PolicyStandard
stores in its ``parameters`` JSON. Money and shares are Decimal, so that a share of 0.97 or a line of
6000.50 reaches the SQL exactly; JSON keeps them as numbers (``to_dict``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

MONEY, SHARE, FACTOR, AGE, DAYS, YEARS, MONTH, DAY = "money", "share", "factor", "age", "days", "years", "month", "day"
POINTS = "points"  # a risk-score weight, 0–100 (policy-rules.md §5, sunshine.engine.monitoring)
COUNT = "count"  # a number of households (services.md §5 R-OVERLOAD)
_INT_KINDS = {AGE, DAYS, YEARS, MONTH, DAY, POINTS, COUNT}
_MAX_MONEY = Decimal("1000000000")


def _p(default: Any, kind: str, label: str, rule: str) -> Any:
    return field(default=default, metadata={"kind": kind, "label": label, "rule": rule})


class ParameterError(ValueError):
    """Invalid parameters; ``errors`` maps each parameter name to a message in Chinese."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class StandardParameters:
    """Defaults are the Jiangsu 2018–2020 standard (policy-rules.md)."""

    income_line: Decimal = _p(Decimal("6000"), MONEY, "收入标准(元/人·年)", "§1 H-INC")
    village_income_line: Decimal = _p(Decimal("180000"), MONEY, "村集体经济收入标准(元/年)", "§2 V-INC")
    county_household_share: Decimal = _p(Decimal("0.97"), SHARE, "重点帮扶县达标户占比", "§3")
    county_village_share: Decimal = _p(Decimal("1.0"), SHARE, "重点帮扶县经济薄弱村达标占比", "§3")
    school_age_min: int = _p(6, AGE, "义务教育年龄下限(周岁)", "§1 H-EDU, §4 C-DROPOUT")
    school_age_max: int = _p(15, AGE, "义务教育年龄上限(周岁)", "§1 H-EDU, §4 C-DROPOUT")
    age_cutoff_month: int = _p(9, MONTH, "计算年龄的基准月", "年龄按当年该月该日的周岁计算")
    age_cutoff_day: int = _p(1, DAY, "计算年龄的基准日", "年龄按当年该月该日的周岁计算")
    pension_age_min: int = _p(16, AGE, "基本养老保险比对年龄下限(周岁)", "§4 C-NOPENSION")
    business_capital_min: Decimal = _p(Decimal("100000"), MONEY, "企业注册资本比对下限(元)", "§4 C-BUSINESS")
    medical_cost_signal: Decimal = _p(Decimal("10000"), MONEY, "年度个人自付医疗费用预警线(元)", "§4 C-MEDCOST")
    monitoring_multiplier: Decimal = _p(Decimal("1.5"), FACTOR, "监测线倍数(×收入标准)", "§5")
    income_drop_share: Decimal = _p(Decimal("0.30"), SHARE, "收入同比下降预警比例", "§5 M-UNSTABLE")
    verification_days: int = _p(15, DAYS, "预警核实时限(天)", "§5")
    notice_days: int = _p(7, DAYS, "村级公示天数", "§八(一) 公示")
    funds_delay_days: int = _p(90, DAYS, "资金滞留天数", "§6 F-DELAY")
    funds_idle_days: int = _p(90, DAYS, "项目资金闲置天数", "funds.md §3 F-IDLE")
    announcement_days: int = _p(10, DAYS, "项目公告公示最短天数", "funds.md §4 P-NOANNOUNCE")
    # Subsidy items' standards (funds.md §2), per unit and period; F-OVER pays no more than these.
    subsidy_education_aid: Decimal = _p(Decimal("2000"), MONEY, "补贴标准:教育资助(元/人·年)", "funds.md §2")
    subsidy_medical_premium: Decimal = _p(Decimal("280"), MONEY, "补贴标准:医保个人缴费补贴(元/人·年)",
                                          "funds.md §2")
    subsidy_housing_renovation: Decimal = _p(Decimal("30000"), MONEY, "补贴标准:危房改造补助(元/户,一次)",
                                             "funds.md §2")
    subsidy_industry_award: Decimal = _p(Decimal("5000"), MONEY, "补贴标准:产业奖补(元/户·年)", "funds.md §2")
    subsidy_employment_subsidy: Decimal = _p(Decimal("3000"), MONEY, "补贴标准:就业补贴(元/人·年)", "funds.md §2")
    subsidy_public_job: Decimal = _p(Decimal("800"), MONEY, "补贴标准:公益性岗位补贴(元/人·月)", "funds.md §2")
    subsidy_temporary_relief: Decimal = _p(Decimal("5000"), MONEY, "补贴标准:临时救助(元/户·年)", "funds.md §2")
    loan_max: Decimal = _p(Decimal("50000"), MONEY, "扶贫小额信贷额度上限(元)", "§6 LOAN")
    loan_max_years: int = _p(3, YEARS, "扶贫小额信贷期限上限(年)", "§6 LOAN")
    loan_overdue_risk_days: int = _p(0, DAYS, "信贷逾期风险天数(超过)", "§6 LOAN")
    loan_overdue_warning_days: int = _p(90, DAYS, "信贷逾期预警天数(超过)", "§6 LOAN")
    # Assistance responsibility (services.md §5): R-OVERLOAD and R-NOVISIT.
    assistance_max_households: int = _p(10, COUNT, "帮扶干部结对户数上限(户)", "services.md §5 R-OVERLOAD")
    assistance_visit_days: int = _p(90, DAYS, "走访间隔上限(天)", "services.md §5 R-NOVISIT")
    # Risk score of a monitored household: min(100, the sum of the points of its signals).
    risk_income_below_line: int = _p(40, POINTS, "风险分值:已脱贫户收入低于监测线", "§5 评分")
    risk_income_drop: int = _p(30, POINTS, "风险分值:收入同比大幅下降", "§5 评分")
    risk_edge: int = _p(40, POINTS, "风险分值:边缘易致贫户", "§5 评分")
    risk_medical_cost: int = _p(25, POINTS, "风险分值:大额医疗支出", "§5 评分")
    risk_disaster: int = _p(20, POINTS, "风险分值:遭受灾害", "§5 评分")
    risk_breadwinner_death: int = _p(35, POINTS, "风险分值:劳动力成员死亡", "§5 评分")
    risk_new_illness: int = _p(25, POINTS, "风险分值:新增大病或重度残疾", "§5 评分")
    risk_slip: int = _p(20, POINTS, "风险分值:每项三保障不达标", "§5 评分")
    risk_loan_overdue: int = _p(20, POINTS, "风险分值:扶贫小额信贷逾期", "§5 评分")
    # 12317 grievances (services.md §4): deadlines from registration and from acceptance.
    grievance_accept_days: int = _p(3, DAYS, "12317举报受理时限(天)", "services.md §4")
    grievance_conclude_days: int = _p(30, DAYS, "12317举报办结时限(天,自受理起)", "services.md §4")

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        for f in dataclasses.fields(self):
            try:
                object.__setattr__(self, f.name, _coerce(getattr(self, f.name), f.metadata["kind"]))
            except ValueError as exc:
                errors[f.name] = str(exc)
        errors = errors or _check(self)
        if errors:
            raise ParameterError(errors)

    @property
    def monitoring_line(self) -> Decimal:
        """监测线 = monitoring multiplier × income line (default 9000 元)."""
        return self.income_line * self.monitoring_multiplier

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {f.name: f.metadata["label"] for f in dataclasses.fields(cls)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StandardParameters:
        """Parameters from stored JSON (or a form); keys not given take the defaults."""
        return cls().with_changes(**data)

    def with_changes(self, **changes: Any) -> StandardParameters:
        """A copy with some parameters changed; values may be numbers or strings ("6500")."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise ParameterError(dict.fromkeys(unknown, "未知的参数"))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, int | float]:
        """JSON numbers: integers stay integers, decimals become floats that print as written."""
        out: dict[str, int | float] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                out[f.name] = int(value) if value == value.to_integral_value() else float(value)
            else:
                out[f.name] = value
        return out

    def changes_from(self, other: StandardParameters) -> dict[str, int | float]:
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: v for k, v in mine.items() if theirs[k] != v}


def _coerce(raw: Any, kind: str) -> Decimal | int:
    if isinstance(raw, bool) or raw is None:
        raise ValueError("应为数字")
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError(f"应为数字: {raw!r}") from exc
    if not number.is_finite():
        raise ValueError("应为有限的数字")
    if kind in _INT_KINDS:
        if number != number.to_integral_value():
            raise ValueError("应为整数")
        return int(number)
    return number


def _check(p: StandardParameters) -> dict[str, str]:
    errors: dict[str, str] = {}
    for f in dataclasses.fields(p):
        message = _check_value(f.metadata["kind"], getattr(p, f.name))
        if message:
            errors[f.name] = message
    def fine(*names: str) -> bool:
        return not any(n in errors for n in names)

    if fine("school_age_min", "school_age_max") and p.school_age_min > p.school_age_max:
        errors["school_age_min"] = "义务教育年龄下限不能大于上限"
    if fine("age_cutoff_month", "age_cutoff_day"):
        try:
            dt.date(2001, p.age_cutoff_month, p.age_cutoff_day)  # a common year: 29 February is refused
        except ValueError:
            errors["age_cutoff_day"] = "不是该月的有效日期"
    if (fine("loan_overdue_risk_days", "loan_overdue_warning_days")
            and p.loan_overdue_warning_days < p.loan_overdue_risk_days):
        errors["loan_overdue_warning_days"] = "预警天数不能小于风险天数"
    return errors


def _check_value(kind: str, value: Any) -> str | None:
    if kind == MONEY:
        if not Decimal(0) < value <= _MAX_MONEY:
            return "应为大于0且不超过10亿的金额(元)"
        if value != value.quantize(Decimal("0.01")):
            return "金额最多两位小数"
    elif kind == SHARE:
        if not Decimal(0) < value <= Decimal(1):
            return "比例应大于0且不超过1"
        if value != value.quantize(Decimal("0.0001")):
            return "比例最多四位小数"
    elif kind == FACTOR:
        if not Decimal(1) <= value <= Decimal(10):
            return "倍数应在1到10之间"
    elif kind == AGE:
        if not 0 <= value <= 120:
            return "年龄应在0到120之间"
    elif kind == DAYS:
        if not 0 <= value <= 3650:
            return "天数应在0到3650之间"
    elif kind == YEARS:
        if not 1 <= value <= 30:
            return "年数应在1到30之间"
    elif kind == MONTH:
        if not 1 <= value <= 12:
            return "月份应在1到12之间"
    elif kind == DAY and not 1 <= value <= 31:
        return "日期应在1到31之间"
    elif kind == POINTS and not 0 <= value <= 100:
        return "分值应在0到100之间"
    elif kind == COUNT and not 1 <= value <= 1000:
        return "户数应在1到1000之间"
    return None


# --- shown to people ------------------------------------------------------------------------------------
# Settings stored next to the standard's parameters in a run's ``parameters`` that are not standard
# parameters themselves: their Chinese names, so that no page shows a raw key.
EXTRA_LABELS = {
    "min_probability": "概率匹配阈值",
    "monitoring_line": "监测线(元/人·年)",
}


def parameter_label(name: str) -> str:
    """The Chinese name of a parameter (收入标准, not income_line); an unknown key is shown as it is."""
    field_ = {f.name: f for f in dataclasses.fields(StandardParameters)}.get(name)
    return field_.metadata["label"] if field_ is not None else EXTRA_LABELS.get(name, name)


def parameter_value(name: str, value: Any) -> str:
    """A parameter's value as people read it: money 6,000.00, shares 97%, other numbers as they are."""
    field_ = {f.name: f for f in dataclasses.fields(StandardParameters)}.get(name)
    kind = field_.metadata["kind"] if field_ is not None else None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if kind == MONEY:
        return f"{number:,.2f}"
    if kind == SHARE:
        text = f"{number * 100:.2f}".rstrip("0").rstrip(".")
        return f"{text}%"
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return str(number.normalize())


def parameter_rows(values: Mapping[str, Any] | None, changed: Any = ()) -> list[dict[str, Any]]:
    """Stored parameters (a run's or a standard's) for a page: each with its name, Chinese label, value in
    the one number format, its policy rule (secondary) and whether it was changed (``changed``: names)."""
    changed = set(changed or ())
    rules = {f.name: f.metadata["rule"] for f in dataclasses.fields(StandardParameters)}
    return [{"name": name, "label": parameter_label(name), "value": parameter_value(name, value),
             "rule": rules.get(name, ""), "changed": name in changed}
            for name, value in (values or {}).items()]
