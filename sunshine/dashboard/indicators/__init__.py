"""The indicator catalogue: every indicator by code, in display order.

Each section's module registers its indicators when imported (below). Adding an indicator is a declaration
and a SELECT in one of them; ``refresh`` and the pages pick it up.
"""

from __future__ import annotations

from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target

CATALOGUE: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code in CATALOGUE:
        raise ValueError(f"indicator {indicator.code} declared twice")
    CATALOGUE[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    return CATALOGUE[code]


def by_section() -> dict[str, list[Indicator]]:
    sections: dict[str, list[Indicator]] = {}
    for indicator in CATALOGUE.values():
        sections.setdefault(indicator.section, []).append(indicator)
    return sections


# Each section module registers its indicators on import, in the cockpit's order.
# isort: off
from sunshine.dashboard.indicators import (  # noqa: E402,F401
    registry,
    assessment,
    comparison,
    monitoring,
    workflow,
    funds,
    credit,
    grievance,
    assistance,
)
# isort: on

__all__ = ["CATALOGUE", "Direction", "Indicator", "Kind", "Query", "Target", "by_section", "get", "register"]
