"""Text extraction of every accepted format, and the clear refusals."""

from __future__ import annotations

import io

import pytest

from sunshine.library.extract import MAX_UPLOAD_BYTES, ExtractionError, extract

TEXT = "关于推进扶贫小额信贷工作的通知"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_txt_in_each_encoding(encoding):
    assert extract("a.txt", f"{TEXT}\r\n第二段".encode(encoding)).text == f"{TEXT}\n第二段"


def test_docx_paragraphs_and_tables():
    import docx

    document = docx.Document()
    document.add_paragraph(TEXT)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "贴息标准"
    table.rows[0].cells[1].text = "基准利率"
    buffer = io.BytesIO()
    document.save(buffer)
    out = extract("通知.docx", buffer.getvalue())
    assert out.source_format == "docx" and TEXT in out.text and "贴息标准\t基准利率" in out.text


def test_html_drops_script_and_style():
    page = f"<html><head><style>p{{color:red}}</style><script>alert('x')</script></head><body><p>{TEXT}</p>" \
           "<div>第二段</div></body></html>"
    out = extract("a.html", page.encode())
    assert TEXT in out.text and "第二段" in out.text and "alert" not in out.text and "color" not in out.text


def test_html_in_gb18030():
    page = f'<html><head><meta charset="gb2312"></head><body><p>{TEXT}</p></body></html>'
    assert TEXT in extract("a.htm", page.encode("gb18030")).text


def test_pdf_made_with_weasyprint():
    from weasyprint import HTML

    data = HTML(string=f'<p style="font-family: \'Noto Sans CJK SC\'">{TEXT}</p>').write_pdf()
    out = extract("a.pdf", data)
    assert out.source_format == "pdf" and "小额信贷" in out.text.replace(" ", "")


def test_encrypted_pdf_is_refused():
    from pypdf import PdfWriter
    from weasyprint import HTML

    writer = PdfWriter(clone_from=io.BytesIO(HTML(string="<p>secret</p>").write_pdf()))
    writer.encrypt("pw")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ExtractionError, match="已加密"):
        extract("a.pdf", buffer.getvalue())


@pytest.mark.parametrize(("name", "data", "message"), [
    ("a.exe", b"MZ", "只能上传"),
    ("a.txt", b"", "空的"),
    ("a.txt", b"   \n\n ", "没有可提取的文字"),
    ("a.pdf", b"not a pdf", "不符"),
    ("a.docx", b"PK\x03\x04broken", "无法读取"),
    ("a.pdf", b"%PDF-1.4 broken", "无法读取"),
    ("a.txt", b"\x00\x01\x02", "不是文本"),
    ("a.txt", b"x" * (MAX_UPLOAD_BYTES + 1), "不能超过"),
])
def test_bad_files_get_a_clear_chinese_error(name, data, message):
    with pytest.raises(ExtractionError, match=message):
        extract(name, data)
