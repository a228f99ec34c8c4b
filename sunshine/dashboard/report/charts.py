"""The report's charts, drawn on the server by pygal as SVG (no browser, no JavaScript) from the pack's tables,
so a chart shows exactly the figures of the table beside it.

WeasyPrint draws the SVG inline as vectors and its text with the page's fonts: the style names Noto Sans CJK
SC (Chinese labels) and the config drops pygal's scripts and XML declaration (the SVG sits inside HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sunshine.dashboard.report.tables import Format, Pack, Table

FONT = "Noto Sans CJK SC"
WIDTH, HEIGHT = 1000, 380
COLOURS = ("#c0392b", "#2e86c1", "#e67e22", "#7f8c8d", "#27ae60", "#8e44ad", "#16a085", "#d4ac0d")


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    svg: str


def _config(title: str, **extra: object) -> object:
    import pygal
    from pygal.style import Style

    style = Style(font_family=FONT, background="white", plot_background="white", colors=COLOURS,
                  title_font_size=18, label_font_size=12, major_label_font_size=12, legend_font_size=13,
                  value_font_size=11, tooltip_font_size=12)
    options: dict[str, object] = {"legend_at_bottom": True, "legend_at_bottom_columns": 6, "print_values": False,
                                  "truncate_label": -1, "truncate_legend": -1, **extra}
    config = pygal.Config(js=[], disable_xml_declaration=True, style=style, title=title, width=WIDTH,
                          height=HEIGHT, **options)
    return config


def _svg(chart: object, slug: str) -> str:
    """The chart's SVG with its legend anchors made unique in the document (pygal names them the same in
    every chart, and a PDF's anchors must differ)."""
    svg: str = chart.render(is_unicode=True)  # type: ignore[attr-defined]
    return svg.replace('id="activate-serie-', f'id="{slug}-activate-serie-')


def _empty(series: list[list[float | None]]) -> bool:
    """Nothing to draw: pygal would print "No data" over empty axes."""
    return not any(v for values in series for v in values)


def _number(cell: object) -> float | None:
    return float(cell) if isinstance(cell, Decimal) else None


def _data_columns(table: Table, skip: Sequence[str] = ()) -> list[int]:
    """Columns of figures (not the label, not the 合计 column, not those named in ``skip``)."""
    return [i for i, c in enumerate(table.columns)
            if c.format != Format.TEXT and c.header != _("合计") and c.header not in skip]


def households_by_status(table: Table) -> Chart | None:
    """Stacked bars: households by status per child division."""
    import pygal

    columns = _data_columns(table)
    if not table.rows or not columns:
        return None
    title = _("各%(level)s建档立卡户数(按户状态)") % {"level": table.columns[0].header}
    chart = pygal.StackedBar(_config(title, x_label_rotation=-30 if len(table.rows) > 12 else 0))
    chart.x_labels = [str(r[0]) for r in table.rows]
    series = [[_number(r[i]) or 0 for r in table.rows] for i in columns]
    if _empty(series):
        return None
    highest = max(sum(stack) for stack in zip(*series, strict=True))
    if highest < 10:  # whole households on the axis, not 0.2 steps
        chart.y_labels = list(range(int(highest) + 2))
    for i, values in zip(columns, series, strict=True):
        chart.add(table.columns[i].header, values)
    return Chart("households", title, _svg(chart, "households"))


def criteria_rates(table: Table) -> Chart | None:
    """Bars: each criterion's pass rate for the division (the table's total row), in percent. Upright bars:
    pygal measures its side labels with Latin widths and would cut the Chinese criterion names."""
    import pygal

    if table.total is None:
        return None
    columns = [i for i in _data_columns(table) if table.columns[i].format == Format.SHARE]
    if not columns:
        return None
    title = _("脱贫认定标准达标率(%)")
    chart = pygal.Bar(_config(title, range=(0, 100), show_legend=False,
                              value_formatter=lambda v: f"{v:.1f}%", print_values=True))
    chart.x_labels = [table.columns[i].header for i in columns]
    rates = [None if (v := _number(table.total[i])) is None else round(v * 100, 1) for i in columns]
    if all(v is None for v in rates):
        return None
    chart.add(_("达标率"), rates)
    return Chart("criteria", title, _svg(chart, "criteria"))


def funds_by_source(table: Table) -> Chart | None:
    """Grouped bars: allocated / issued / spent / idle per fund source, in 万元."""
    import pygal

    if not table.rows:
        return None
    title = _("财政专项扶贫资金(按资金来源,万元)")
    chart = pygal.Bar(_config(title, value_formatter=lambda v: f"{v:,.1f}"))
    chart.x_labels = [str(r[0]) for r in table.rows]
    columns = _data_columns(table)
    series = [[(_number(r[i]) or 0) / 10000 for r in table.rows] for i in columns]
    if _empty(series):
        return None
    for i, values in zip(columns, series, strict=True):
        chart.add(table.columns[i].header.replace(_("(元)"), ""), values)  # the title says 万元
    return Chart("funds", title, _svg(chart, "funds"))


DRAWN = (("households", households_by_status), ("criteria", criteria_rates), ("funds", funds_by_source))


def charts(pack: Pack) -> dict[str, Chart]:
    """The charts of the pack by the slug of the table each one goes with."""
    out: dict[str, Chart] = {}
    for slug, draw in DRAWN:
        table = pack.table(slug)
        if table is not None and (chart := draw(table)) is not None:
            out[slug] = chart
    return out
