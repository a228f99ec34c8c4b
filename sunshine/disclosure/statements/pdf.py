"""The statements as an A4 PDF (WeasyPrint, Noto Sans CJK SC): one household per page, two at most, each
statement's pages numbered on their own ("第 X 页 / 共 Y 页"), the village and year in the page header
(string-set), the query code with a QR code of the self-query address.

The HTML is made here (Django templates); the layout in sunshine.disclosure.statements.weasy, in batches of
BATCH statements, in up to ``workers`` processes (spawned: they import no Django and touch no database), the
parts merged with pypdf. ``render_naive`` is the baseline the benchmark compares with: one WeasyPrint document
and PDF per household."""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string

from sunshine.disclosure.statements import weasy
from sunshine.disclosure.statements.data import Statement

HEAD = "disclosure/statements/pdf_head.html"
BODY = "disclosure/statements/_statement.html"
BATCH = 50
# A statement longer than this is a defect of the layout (services.md §2: one page, two at most).
MAX_PAGES = 2


def self_query_url(code: str) -> str:
    return f"{settings.SUNSHINE_PUBLIC_URL.rstrip('/')}/public/statements/?code={code}"


def qr_data_uri(code: str) -> str:
    """The self-query address with the code, as an SVG data: URI (drawn by WeasyPrint as a vector)."""
    return segno.make(self_query_url(code), error="m").svg_data_uri(scale=4, border=2)


def _body(index: int, s: Statement) -> str:
    if s.code and not s.qr:
        s.qr = qr_data_uri(s.code)
    inner = render_to_string(BODY, {"s": s, "show_code": bool(s.code),
                                    "public_url": settings.SUNSHINE_PUBLIC_URL.rstrip("/")})
    return (f'<div class="statement-page" id="{weasy.ANCHOR.format(index)}" data-village="{_attr(s.village)}" '
            f'data-year="{s.year}">{inner}</div>')


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# More lines than fit on two A4 pages (about 45 table rows a page besides the headings, totals and footer):
# such a statement is printed with its payments summed per item (Statement.condensed).
MAX_ROWS = 80


def printable(s: Statement) -> Statement:
    if s.rows <= MAX_ROWS:
        return s
    condensed = s.condensed()
    return condensed if condensed.rows <= MAX_ROWS else s.condensed(by_source=False)


def batches(statements: Sequence[Statement], size: int = BATCH) -> list[weasy.Batch]:
    statements = [printable(s) for s in statements]
    single = render_to_string(HEAD, {"counted": False})
    counted = render_to_string(HEAD, {"counted": True})
    out = []
    for start in range(0, len(statements), size):
        chunk = statements[start:start + size]
        out.append(weasy.Batch(single, counted, [_body(i, s) for i, s in enumerate(chunk)]))
    return out


@dataclass
class Rendered:
    pdf: bytes
    pages: list[int]      # pages of each statement, in order

    @property
    def total_pages(self) -> int:
        return sum(self.pages)


def render(statements: Sequence[Statement], *, workers: int = 1, batch: int = BATCH) -> Rendered:
    """One PDF of every statement, each on its own pages."""
    if not statements:
        raise ValueError("没有可打印的明白册")
    parts = batches(statements, batch)
    if workers > 1 and len(parts) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(parts)), mp_context=context) as pool:
            results = list(pool.map(weasy.write, parts))
    else:
        results = [weasy.write(part) for part in parts]
    pages = [n for _, counts in results for n in counts]
    pdf = results[0][0] if len(results) == 1 else weasy.merge([data for data, _ in results])
    return Rendered(pdf=pdf, pages=pages)


def render_naive(statements: Sequence[Statement]) -> Rendered:
    """The baseline: one complete WeasyPrint document and PDF per household, merged with pypdf."""
    from pypdf import PdfReader
    from weasyprint import HTML

    parts, pages = [], []
    for part in batches(statements, 1):
        data = HTML(string=weasy._html(part.head_counted, part.bodies)).write_pdf()
        pages.append(len(PdfReader(io.BytesIO(data)).pages))
        parts.append(data)
    return Rendered(pdf=weasy.merge(parts), pages=pages)
