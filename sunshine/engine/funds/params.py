"""The numbers of the policy standard the F-*, P-* and L-* rules and the dividends use (funds.md §2–6), with
funds.md's defaults.

The policy standard (sunshine.policy.parameters.StandardParameters) already carries ``funds_delay_days``; the
other keys are read from the same mapping when the standard has them and default to funds.md otherwise, so a
standard's whole ``to_dict()`` can be passed as it is (keys the funds rules do not use are ignored).

``subsidy_items`` is a list of items, each {code, label, unit, period, standard, needs_registered}; ``standard``
is None (or absent) for a computed item, whose standard per loan or household and year comes from the
``standards`` table (sunshine.engine.funds.tables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

PERSON, HOUSEHOLD, LOAN = "person", "household", "loan"
SUBSIDY_PREFIX = "subsidy_"   # the policy standard's key of a fixed item's standard: subsidy_education_aid
YEAR, MONTH, ONCE = "year", "month", "once"
UNITS = (PERSON, HOUSEHOLD, LOAN)
PERIODS = (YEAR, MONTH, ONCE)


def _money(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{name} is not a number: {value!r}") from exc
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
        raise ValueError(f"{name} must be an amount of yuan: {value!r}")
    return number.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SubsidyItem:
    code: str
    label: str                      # Chinese name
    unit: str                       # person · household · loan
    period: str                     # year · month · once (ever)
    standard: Decimal | None        # per unit and period; None: computed (standards table)
    needs_registered: bool

    def __post_init__(self) -> None:
        if not self.code.replace("_", "").isalnum() or not self.code.isascii():
            raise ValueError(f"subsidy item code must be an ASCII slug: {self.code!r}")
        if self.unit not in UNITS:
            raise ValueError(f"{self.code}: unit must be one of {UNITS}, not {self.unit!r}")
        if self.period not in PERIODS:
            raise ValueError(f"{self.code}: period must be one of {PERIODS}, not {self.period!r}")
        if self.standard is not None:
            object.__setattr__(self, "standard", _money(self.standard, f"{self.code}.standard"))


DEFAULT_ITEMS: tuple[SubsidyItem, ...] = (
    SubsidyItem("education_aid", "教育资助", PERSON, YEAR, Decimal(2000), True),
    SubsidyItem("medical_premium", "医保个人缴费补贴", PERSON, YEAR, Decimal(280), True),
    SubsidyItem("housing_renovation", "危房改造补助", HOUSEHOLD, ONCE, Decimal(30000), True),
    SubsidyItem("industry_award", "产业奖补", HOUSEHOLD, YEAR, Decimal(5000), True),
    SubsidyItem("employment_subsidy", "就业补贴", PERSON, YEAR, Decimal(3000), True),
    SubsidyItem("public_job", "公益性岗位补贴", PERSON, MONTH, Decimal(800), True),
    SubsidyItem("temporary_relief", "临时救助", HOUSEHOLD, YEAR, Decimal(5000), False),
    SubsidyItem("loan_interest_subsidy", "小额信贷贴息", LOAN, YEAR, None, True),
    SubsidyItem("dividend", "资产收益分红", HOUSEHOLD, YEAR, None, True),
)


DAY_PARAMETERS = ("funds_delay_days", "funds_idle_days", "announcement_days", "loan_overdue_risk_days",
                  "loan_overdue_warning_days")
YEAR_PARAMETERS = ("loan_max_years", "loan_extension_years", "loan_min_age", "loan_max_age", "dividend_keep_years")


@dataclass(frozen=True)
class Params:
    """Defaults are funds.md's."""

    funds_delay_days: int = 90          # F-DELAY: a fund issued this many days before T must be allocated
    funds_idle_days: int = 90           # F-IDLE: money allocated this many days before T must be spent
    announcement_days: int = 10         # P-NOANNOUNCE: the least period of an announcement
    subsidy_items: tuple[SubsidyItem, ...] = field(default=DEFAULT_ITEMS)
    # Micro-credit (funds.md §5; the policy standard's loan_* keys).
    loan_max: Decimal = Decimal(50000)          # L-LIMIT: the largest loan, yuan
    loan_max_years: int = 3                     # L-LIMIT: the longest term
    loan_extension_years: int = 1               # L-LIMIT: the longest extension (展期) past the due date
    loan_min_age: int = 18                      # L-INELIGIBLE: the borrower's age on loan_date, inclusive
    loan_max_age: int = 65
    loan_overdue_risk_days: int = 0             # L-OVERDUE: overdue more than this many days is a finding …
    loan_overdue_warning_days: int = 90         # … and more than this many days a HIGH one (else MEDIUM)
    # Asset income (funds.md §6): an exited household shares while exit_year ≥ Y − dividend_keep_years.
    dividend_keep_years: int = 2

    def __post_init__(self) -> None:
        for name in (*DAY_PARAMETERS, *YEAR_PARAMETERS):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3660:
                raise ValueError(f"parameter {name!r} must be a whole number (0–3660), not {value!r}")
        object.__setattr__(self, "loan_max", _money(self.loan_max, "loan_max"))
        if self.loan_min_age > self.loan_max_age:
            raise ValueError("loan_min_age must not exceed loan_max_age")
        if self.loan_overdue_warning_days < self.loan_overdue_risk_days:
            raise ValueError("loan_overdue_warning_days must not be below loan_overdue_risk_days")
        codes = [i.code for i in self.subsidy_items]
        if len(set(codes)) != len(codes):
            raise ValueError("subsidy item codes must be unique")

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any] | None) -> Params:
        params = params or {}
        values: dict[str, Any] = {}
        for name in (*DAY_PARAMETERS, *YEAR_PARAMETERS):
            if params.get(name) is not None:
                values[name] = _days(params[name], name)
        if params.get("loan_max") is not None:
            values["loan_max"] = _money(params["loan_max"], "loan_max")
        if params.get("subsidy_items") is not None:
            values["subsidy_items"] = tuple(
                i if isinstance(i, SubsidyItem) else _item(i) for i in params["subsidy_items"])
        else:
            # A policy standard carries each fixed item's standard as ``subsidy_<code>``.
            values["subsidy_items"] = tuple(
                replace(i, standard=_money(params[f"{SUBSIDY_PREFIX}{i.code}"], i.code))
                if i.standard is not None and params.get(f"{SUBSIDY_PREFIX}{i.code}") is not None else i
                for i in DEFAULT_ITEMS)
        return cls(**values)

    def item(self, code: str) -> SubsidyItem | None:
        return next((i for i in self.subsidy_items if i.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["loan_max"] = float(self.loan_max)
        out["subsidy_items"] = [asdict(i) | {"standard": None if i.standard is None else float(i.standard)}
                                for i in self.subsidy_items]
        return out


def _item(raw: Mapping[str, Any]) -> SubsidyItem:
    standard = raw.get("standard")
    return SubsidyItem(code=str(raw["code"]), label=str(raw.get("label") or raw["code"]), unit=str(raw["unit"]),
                       period=str(raw["period"]), standard=None if standard in (None, "") else Decimal(str(standard)),
                       needs_registered=bool(raw.get("needs_registered", True)))


def _days(value: Any, name: str) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"parameter {name!r} is not a number: {value!r}") from exc
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"parameter {name!r} must be a whole number: {value!r}")
    return int(number)
