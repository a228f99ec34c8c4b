"""Text out of an uploaded policy document: txt (UTF-8, UTF-8 with BOM, GB18030), docx (paragraphs and tables),
html (script and style dropped) and pdf (text layer). Checked by name, size and content like
sunshine.core.attachments: the name alone would let any file through. Every failure is an ExtractionError with
a Chinese message for the form or the command line."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FORMATS = (".txt", ".docx", ".html", ".htm", ".pdf")
ACCEPT = ",".join(FORMATS)
# What the file must start with (txt has no signature: it must decode instead).
_MAGIC = {".docx": (b"PK\x03\x04",), ".pdf": (b"%PDF-",)}
_BLANK_LINES = re.compile(r"\n{3,}")


class ExtractionError(ValueError):
    """A file that cannot become a document; the message is for the user."""


@dataclass(frozen=True)
class Extracted:
    text: str
    source_format: str  # txt / docx / html / pdf


def extract(name: str, data: bytes) -> Extracted:
    """The text of a file named ``name`` with content ``data``."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix not in FORMATS:
        raise ExtractionError("只能上传 TXT、DOCX、HTML 或 PDF 文件")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ExtractionError(f"文件不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if not data:
        raise ExtractionError("文件是空的")
    if suffix in _MAGIC and not data.startswith(_MAGIC[suffix]):
        raise ExtractionError("文件内容与文件类型不符")
    kind = "html" if suffix in (".html", ".htm") else suffix[1:]
    text = {"txt": _txt, "docx": _docx, "html": _html, "pdf": _pdf}[kind](data)
    text = _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")).strip()
    if not text:
        raise ExtractionError("文件中没有可提取的文字(扫描件请先做文字识别)")
    return Extracted(text=text, source_format=kind)


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractionError("无法识别文本文件的编码(应为 UTF-8 或 GB18030)")


def _txt(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ExtractionError("文件内容不是文本(可能是二进制文件)")
    return decode_text(data)


def _docx(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractionError("无法读取该 Word 文件(文件已损坏或不是 DOCX 格式)") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(c.text.strip() for c in row.cells))  # merged cells repeat
            lines.append("\t".join(cells))
    return "\n".join(lines)


def _html(data: bytes) -> str:
    import lxml.html
    from lxml.etree import ParserError

    head = data[:2048].lower()
    if b"charset=gb" in head or b'charset="gb' in head:
        data = data.decode("gb18030", errors="replace").encode()
    try:
        root = lxml.html.document_fromstring(data.decode("utf-8", errors="replace") if head else "")
    except (ParserError, ValueError) as exc:
        raise ExtractionError("无法读取该 HTML 文件") from exc
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    for block in root.xpath("//p|//div|//br|//li|//tr|//h1|//h2|//h3|//h4|//h5|//h6|//title"):
        block.tail = "\n" + (block.tail or "")
    return "\n".join(line.strip() for line in root.text_content().splitlines())


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("PDF 文件已加密,请上传未加密的文件")
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError("无法读取该 PDF 文件(文件已损坏)") from exc
