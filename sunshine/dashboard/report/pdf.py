"""The report pack as a PDF: WeasyPrint, A4 landscape, the division and year in the running header with
"统计报表", "第 X 页 共 Y 页" at the foot, the tables of the xlsx and the pygal charts drawn inline as SVG."""

from __future__ import annotations

from django.template.loader import render_to_string

from sunshine.dashboard.report.charts import charts
from sunshine.dashboard.report.tables import Pack, printable
from sunshine.dashboard.report.xlsx import subtitle

TEMPLATE = "dashboard/pdf_report.html"


def html(pack: Pack) -> str:
    drawn = charts(pack)
    tables = [{**printable(t), "chart": drawn.get(t.slug)} for t in pack.tables]
    return render_to_string(TEMPLATE, {"pack": pack, "tables": tables, "subtitle": subtitle(pack)})


def render(pack: Pack) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    return HTML(string=html(pack)).write_pdf(font_config=FontConfiguration())
