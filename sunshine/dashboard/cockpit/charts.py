"""The cockpit's charts as small JSON specs; static/dashboard/cockpit.js turns each into ECharts options.

The page carries the numbers (``json_script``), never code: the Content-Security-Policy allows no inline
script. Every chart is drawn from the same Shown figures as the table printed beside it, so the chart and its
table view cannot disagree. Shares travel in percent (97.5), as the tables print them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sunshine.dashboard.cockpit.figures import Shown, judged
from sunshine.dashboard.cockpit.presenters import Ranking, TrendRow, column_of
from sunshine.dashboard.indicators import Indicator, Kind


def _unit(indicator: Indicator) -> str:
    return "%" if indicator.kind == Kind.SHARE else str(indicator.unit)


def _target(cells: list[Shown]) -> float | None:
    for cell in cells:
        if cell.target is not None and judged(cell.indicator):  # a per-unit line is not drawn against totals
            return float(cell.target) * 100 if cell.indicator.kind == Kind.SHARE else float(cell.target)
    return None


def ranking_chart(ranking: Ranking) -> dict[str, Any]:
    """Horizontal bars of the ranked figure, worst on top, with the target as a line when there is one."""
    column = column_of(ranking.columns, ranking.indicator)
    return {
        "type": "bars",
        "title": str(ranking.indicator.name),
        "unit": _unit(ranking.indicator),
        "categories": [row.division.name for row in ranking.rows],
        "series": [{"name": str(ranking.indicator.name), "data": [row.ranked.plain for row in ranking.rows]}],
        "target": _target([row.cells[column] for row in ranking.rows]),
        "target_label": _("目标"),
    }


def status_chart(years: list[int], rows: list[tuple[str, list[Shown]]], unit: str) -> dict[str, Any]:
    """Households by status per year, stacked: the register's composition over the years."""
    return {
        "type": "stack",
        "unit": unit,
        "categories": [str(y) for y in years],
        "series": [{"name": label, "data": [cell.plain for cell in cells]} for label, cells in rows],
    }


def trend_chart(row: TrendRow, years: list[int]) -> dict[str, Any]:
    """One indicator over the years, with its target."""
    return {
        "type": "line",
        "title": str(row.indicator.name),
        "unit": _unit(row.indicator),
        "categories": [str(y) for y in years],
        "series": [{"name": str(row.indicator.name), "data": [cell.plain for cell in row.cells]}],
        "target": _target(row.cells),
        "target_label": _("目标"),
    }
