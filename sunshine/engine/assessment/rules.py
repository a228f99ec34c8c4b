"""The parameters the assessment SQL needs, read from a standard's parameter dictionary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

CTE = tuple[str, str]  # (name, SELECT …) of one common table expression


@dataclass(frozen=True)
class Rules:
    income_line: Decimal
    village_income_line: Decimal
    county_household_share: Decimal
    county_village_share: Decimal
    school_age_min: int
    school_age_max: int
    age_cutoff_month: int
    age_cutoff_day: int

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any]) -> Rules:
        """Accepts a StandardParameters dictionary (extra keys are ignored) or a StandardParameters."""
        if not isinstance(params, Mapping):
            to_dict = getattr(params, "to_dict", None)
            if to_dict is None:
                raise TypeError("parameters must be a mapping or have to_dict()")
            params = to_dict()
        values: dict[str, Any] = {}
        for name, type_ in cls.__annotations__.items():
            if name not in params:
                raise KeyError(f"parameter {name!r} is missing")
            raw = params[name]
            try:
                number = Decimal(str(raw))
            except InvalidOperation as exc:
                raise ValueError(f"parameter {name!r} is not a number: {raw!r}") from exc
            if not number.is_finite():
                raise ValueError(f"parameter {name!r} is not finite")
            if type_ == "int":
                if number != number.to_integral_value():
                    raise ValueError(f"parameter {name!r} must be an integer")
                values[name] = int(number)
            else:
                values[name] = number
        rules = cls(**values)
        if rules.income_line <= 0 or rules.village_income_line <= 0:
            raise ValueError("income lines must be positive")
        if rules.income_line != rules.income_line.quantize(Decimal("0.01")):
            raise ValueError("the income line has at most two decimals")
        return rules

    @property
    def income_line_cents(self) -> int:
        return int(self.income_line * 100)


def amount_text(value: Decimal) -> str:
    """6000 → '6000', 6000.5 → '6000.50' (as a threshold is quoted in an explanation)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(Decimal("0.01")), "f")


def share_text(value: Decimal) -> str:
    """0.97 → '97%', 0.975 → '97.5%'."""
    percent = (value * 100).normalize()
    return f"{format(percent, 'f')}%"


def with_clause(ctes: list[CTE]) -> str:
    return "WITH\n" + ",\n".join(f"{name} AS (\n{body}\n)" for name, body in ctes)
