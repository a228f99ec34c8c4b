"""The WeasyPrint part of printing statements, free of Django so that it runs in worker processes too.

A batch of statements is laid out as ONE document (far cheaper than one document each: WeasyPrint's per-document
set-up and the PDF's font embedding are paid once), with a fixed footer "第 1 页 / 共 1 页". A statement that
took more than one page there is laid out again on its own, with the page counters ("第 X 页 / 共 Y 页" of that
statement), and its pages take the place of the batch's. Every statement's wrapper carries an id (its anchor),
which tells on which page each one starts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

ANCHOR = "st-{}"


@dataclass(frozen=True)
class Batch:
    head_single: str          # <head> content with the fixed "第 1 页 / 共 1 页" footer
    head_counted: str         # <head> content with counter(page) / counter(pages)
    bodies: Sequence[str]     # one <div class="statement-page" id="st-N"> … </div> per statement


def _html(head: str, bodies: Sequence[str]) -> str:
    return f'<!DOCTYPE html><html lang="zh-Hans"><head>{head}</head><body>{"".join(bodies)}</body></html>'


def _starts(document: object, count: int) -> list[int]:
    """Index of the page each statement starts on (from the anchors)."""
    starts: dict[int, int] = {}
    for index, page in enumerate(document.pages):  # type: ignore[attr-defined]
        for name in page.anchors:
            if name.startswith("st-"):
                starts.setdefault(int(name[3:]), index)
    return [starts[i] for i in range(count)]


def layout(batch: Batch) -> tuple[list[object], list[int], object]:
    """(pages, pages per statement, a document to write them with)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    document = HTML(string=_html(batch.head_single, batch.bodies)).render(font_config=fonts)
    starts = _starts(document, len(batch.bodies))
    ends = [*starts[1:], len(document.pages)]
    pages: list[object] = []
    counts: list[int] = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if end - start == 1:
            pages.append(document.pages[start])
            counts.append(1)
            continue
        alone = HTML(string=_html(batch.head_counted, [batch.bodies[i]])).render(font_config=fonts)
        pages.extend(alone.pages)
        counts.append(len(alone.pages))
    return pages, counts, document


def write(batch: Batch) -> tuple[bytes, list[int]]:
    """The batch as PDF bytes, with the pages of each statement."""
    pages, counts, document = layout(batch)
    return document.copy(pages).write_pdf(), counts  # type: ignore[attr-defined]


def merge(parts: Sequence[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
