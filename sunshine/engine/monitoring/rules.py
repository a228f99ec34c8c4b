"""The numbers monitoring (policy-rules.md §5) reads from a policy standard, and the risk score.

Risk score (风险评分) of a warned household, 0–100:

    score = min(100, Σ points(signal) over the signals present)

Each signal counts once per household, whatever the number of members or findings that raised it; the points
of each are parameters of the policy standard (StandardParameters, kind "points", rule "§5 评分"):

    signal             warning      parameter                 default
    income_below_line  M-UNSTABLE   risk_income_below_line    40   已脱贫户 income < monitoring line
    income_drop        M-UNSTABLE   risk_income_drop          30   income ≤ previous year's × (1 − income_drop_share)
    edge               M-EDGE       risk_edge                 40   monitored household below the line / 低保 head
    medical_cost       M-SUDDEN     risk_medical_cost         25   C-MEDCOST on a member
    disaster           M-SUDDEN     risk_disaster             20   C-DISASTER on a member
    breadwinner_death  M-SUDDEN     risk_breadwinner_death    35   a 普通/技能劳动力 member died in the year
    new_illness        M-SUDDEN     risk_new_illness          25   a member newly 大病 or 一级/二级残疾
    slip_edu           M-SLIP       risk_slip                 20   met §1 last year, H-EDU fails this year
    slip_med           M-SLIP       risk_slip                 20   … H-MED fails
    slip_house         M-SLIP       risk_slip                 20   … H-HOUSE fails (so at most 3 × risk_slip)
    loan_overdue       M-SUDDEN     risk_loan_overdue         20   a 扶贫小额信贷 loan overdue more than
                                                                   loan_overdue_warning_days (90) days

The loan signal counts under M-SUDDEN (突发严重困难): an unpaid loan long past its due date is a hardship of the
household whatever its status, while M-UNSTABLE is for 已脱贫 households only.

There is no proportional element: the score is a plain sum of integer weights, so it is deterministic and the
contributions shown (signal → points, in the order above) add up to it before the cap at 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from sunshine.engine.assessment.rules import Rules

# signal code → the StandardParameters field holding its points, in contribution order.
SIGNAL_WEIGHTS = {
    "income_below_line": "risk_income_below_line", "income_drop": "risk_income_drop", "edge": "risk_edge",
    "medical_cost": "risk_medical_cost", "disaster": "risk_disaster", "breadwinner_death": "risk_breadwinner_death",
    "new_illness": "risk_new_illness", "slip_edu": "risk_slip", "slip_med": "risk_slip", "slip_house": "risk_slip",
    "loan_overdue": "risk_loan_overdue",
}
SIGNALS = tuple(SIGNAL_WEIGHTS)
CODES = ("M-UNSTABLE", "M-EDGE", "M-SUDDEN", "M-SLIP")
MAX_SCORE = 100
SHARE_SCALE = 10_000  # income_drop_share has at most four decimals (StandardParameters)


def _number(params: Mapping[str, Any], name: str) -> Decimal:
    if name not in params:
        raise KeyError(f"parameter {name!r} is missing")
    try:
        number = Decimal(str(params[name]))
    except InvalidOperation as exc:
        raise ValueError(f"parameter {name!r} is not a number: {params[name]!r}") from exc
    if not number.is_finite():
        raise ValueError(f"parameter {name!r} is not finite")
    return number


@dataclass(frozen=True)
class MonitoringRules:
    assessment: Rules
    monitoring_line: Decimal
    income_drop_share: Decimal
    weights: Mapping[str, int]  # signal code → points
    loan_overdue_days: int = 90  # a loan overdue more than this many days raises ``loan_overdue``

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any]) -> MonitoringRules:
        """Accepts a StandardParameters dictionary (extra keys are ignored) or a StandardParameters."""
        if not isinstance(params, Mapping):
            params = params.to_dict()
        assessment = Rules.from_mapping(params)
        multiplier = _number(params, "monitoring_multiplier")
        share = _number(params, "income_drop_share")
        if not Decimal(0) < share <= Decimal(1) or share != share.quantize(Decimal("0.0001")):
            raise ValueError("income_drop_share is a share in (0, 1] with at most four decimals")
        weights = {}
        for signal, name in SIGNAL_WEIGHTS.items():
            points = _number(params, name)
            if points != points.to_integral_value() or not 0 <= points <= MAX_SCORE:
                raise ValueError(f"parameter {name!r} must be an integer from 0 to 100")
            weights[signal] = int(points)
        days = _number(params, "loan_overdue_warning_days")
        if days != days.to_integral_value() or days < 0:
            raise ValueError("loan_overdue_warning_days must be a whole number of days, 0 or more")
        return cls(assessment, assessment.income_line * multiplier, share, weights, int(days))

    @property
    def line_cents_ceiling(self) -> int:
        """Income in fen c is below the line L exactly when c < ceil(100 L) (L may have more than 2 decimals)."""
        return int((self.monitoring_line * 100).to_integral_value(rounding=ROUND_CEILING))

    @property
    def kept_share_scaled(self) -> int:
        """(1 − income_drop_share) × 10000: a drop fires when cur × 10000 ≤ prev × this (integers, exact)."""
        return int((1 - self.income_drop_share) * SHARE_SCALE)

    @property
    def line_text(self) -> str:
        """The line as an explanation quotes it: 9000.00 (more decimals only when it has them)."""
        line = self.monitoring_line.normalize()
        if line == line.quantize(Decimal("0.01")):
            return format(line.quantize(Decimal("0.01")), "f")
        return format(line, "f")

    def score(self, signals: list[str]) -> tuple[int, list[tuple[str, int]]]:
        """The score and contributions of a set of signals (the reference the Arrow code must agree with)."""
        contributions = [(s, self.weights[s]) for s in SIGNALS if s in signals]
        return min(MAX_SCORE, sum(p for _, p in contributions)), contributions
