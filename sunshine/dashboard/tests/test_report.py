"""The report pack: the CLI writes an xlsx and a PDF whose figures are the stored indicator values, scoped to
the acting user's division; the page serves the same files, logged, and 404 outside the reader's scope."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from sunshine.core.choices import AccessAction, DivisionLevel
from sunshine.core.models import AccessLog
from sunshine.dashboard import refresh, selectors
from sunshine.dashboard.indicators import CATALOGUE
from sunshine.dashboard.models import IndicatorValue
from sunshine.dashboard.report import charts, tables
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(users, household_a, household_b) -> int:
    """Three households in two townships, every indicator of the catalogue refreshed."""
    f.make_household(users["county"], village=f.VILLAGE_A2, head_name="丙户主", members=4)
    year = household_a.year
    refresh.refresh(year=year)
    return year


def _report(tmp_path: Path, fmt: str, *, year: int, user: str = "county", division: str = f.COUNTY) -> Path:
    out = tmp_path / f"r.{fmt}"
    call_command("report", year=year, division=division, format=fmt, out=str(out), user=user)
    return out


def _labelled(code: str) -> dict[str, str]:
    return {str(label): key for key, label in (CATALOGUE[code].keys or {}).items()}


# ---- xlsx ------------------------------------------------------------------------------------------------------


def test_xlsx_sheets_panes_formats_and_totals(tmp_path, users, refreshed) -> None:
    import openpyxl

    out = _report(tmp_path, "xlsx", year=refreshed)
    book = openpyxl.load_workbook(out)
    assert {"户数", "人数"} <= set(book.sheetnames)
    for name in book.sheetnames:
        sheet = book[name]
        assert sheet.freeze_panes == "B4", name  # under the header, right of the row labels
        assert "丰县" in sheet["A1"].value and str(refreshed) in sheet["A1"].value
        assert "数据更新时间" in sheet["A2"].value
    own = selectors.values(reader=users["county"], division_code=f.COUNTY, year=refreshed)
    children = selectors.children_values(reader=users["county"], parent=selectors.division(users["county"], f.COUNTY),
                                         year=refreshed)
    for name, code in (("户数", "households"), ("人数", "people")):
        sheet = book[name]
        headers = [c.value for c in sheet[3]]
        assert headers[0] == "乡镇" and headers[-1] == "合计"
        rows = list(sheet.iter_rows(min_row=4, values_only=True))
        total = rows[-1]
        assert total[0] == "合计"
        assert [r[0] for r in rows[:-1]] == ["测试甲镇", "测试乙镇"]
        keys = _labelled(code)
        for col, header in enumerate(headers[1:-1], start=1):
            key = keys[header]
            assert Decimal(str(total[col])) == own.get((code, key), selectors.ZERO).value
            for row, township in zip(rows[:-1], (f.TOWNSHIP_A, f.TOWNSHIP_B), strict=True):
                assert Decimal(str(row[col])) == children.get(township, {}).get((code, key), selectors.ZERO).value
        assert Decimal(str(total[-1])) == selectors.total(own, code).value
        assert sheet.cell(row=4, column=2).number_format == "#,##0"
        assert sheet.cell(row=3 + len(rows), column=len(headers)).number_format == "#,##0"
    assert Decimal(str(list(book["户数"].iter_rows(min_row=4, values_only=True))[-1][-1])) == 3
    assert AccessLog.objects.filter(user=users["county"], action=AccessAction.EXPORT,
                                    object_type="indicator_report", object_ref=f"{f.COUNTY}/{refreshed}").exists()


LEVELS = {12: DivisionLevel.VILLAGE, 9: DivisionLevel.TOWNSHIP, 6: DivisionLevel.COUNTY}


def _store(code: str, year: int, division_code: str, value: str, denominator: str | None = None,
           key: str = "") -> None:
    IndicatorValue.objects.create(
        code=code, year=year, division_code=division_code, level=LEVELS[refresh.depth(division_code)], key=key,
        value=Decimal(value), denominator=None if denominator is None else Decimal(denominator))


@pytest.fixture
def stored(users) -> int:
    """Weak villages, a criterion and funds stored as a refresh would (each level its own rows)."""
    needed = ("weak_villages_met", "weak_village_income", "funds_allocated", "criteria_pass")
    if not all(code in CATALOGUE for code in needed):
        pytest.skip("indicators not in the catalogue yet")
    year = 2021
    for code, value, denominator in ((f.VILLAGE_A, "1", "1"), (f.VILLAGE_B, "0", "1"), (f.TOWNSHIP_A, "1", "1"),
                                     (f.TOWNSHIP_B, "0", "1"), (f.COUNTY, "1", "2")):
        _store("weak_villages_met", year, code, value, denominator)
    for code, value in ((f.VILLAGE_A, "200000"), (f.VILLAGE_B, "90000.5"), (f.TOWNSHIP_A, "200000"),
                        (f.TOWNSHIP_B, "90000.5"), (f.COUNTY, "290000.5")):
        _store("weak_village_income", year, code, value)
    source = next(iter(CATALOGUE["funds_allocated"].keys or {"": ""}))
    _store("funds_allocated", year, f.COUNTY, "1500000", key=source)  # a county's fund: no township row
    criterion = next(iter(CATALOGUE["criteria_pass"].keys or {"": ""}))
    for code, value, denominator in ((f.TOWNSHIP_A, "3", "4"), (f.TOWNSHIP_B, "1", "1"), (f.COUNTY, "4", "5")):
        _store("criteria_pass", year, code, value, denominator, key=criterion)
    return year


def test_weak_villages_funds_and_shares_from_stored_values(tmp_path, users, stored) -> None:
    import openpyxl

    pack = tables.build(reader=users["county"], division_code=f.COUNTY, year=stored)
    weak = pack.table("weak_villages")
    assert weak is not None
    assert weak.rows == [["测试甲镇", "甲一村", Decimal("200000"), "是"],
                         ["测试乙镇", "乙一村", Decimal("90000.5"), "否"]]
    assert weak.total is not None and weak.total[2] == Decimal("290000.5") and "2 个村" in str(weak.total[1])
    funds = pack.table("funds")
    assert funds is not None and funds.total is not None and funds.total[1] == Decimal("1500000")
    criteria = pack.table("criteria")
    assert criteria is not None and criteria.total is not None
    assert criteria.total[1] == Decimal("0.8") and [r[1] for r in criteria.rows] == [Decimal("0.75"), Decimal(1)]
    assert pack.refreshed_at is None  # never refreshed: said in the title row

    book = openpyxl.load_workbook(_report(tmp_path, "xlsx", year=stored))
    sheet = book["薄弱村"]
    assert sheet.cell(row=4, column=3).number_format == "#,##0.00" and sheet.cell(row=4, column=3).value == 200000
    assert sheet.cell(row=6, column=3).value == pytest.approx(290000.5)
    assert book["认定标准"].cell(row=6, column=2).number_format == "0.0%"
    assert book["认定标准"].cell(row=6, column=2).value == pytest.approx(0.8)
    assert book["资金"].cell(row=4, column=2).number_format == "#,##0.00"


def test_a_township_reader_gets_its_villages_only(users, refreshed) -> None:
    pack = tables.build(reader=users["township"], division_code=f.TOWNSHIP_A, year=refreshed)
    households = pack.table("households")
    assert households is not None and pack.child_level == "村"
    assert [r[0] for r in households.rows] == ["甲一村", "甲二村"]
    assert households.total is not None and households.total[-1] == 2


# ---- PDF -------------------------------------------------------------------------------------------------------


def _fonts(page: Any) -> list[tuple[str, bool]]:
    """(base font name, embedded) of every font on the page."""
    found = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
        for d in descendants:
            descriptor = d["/FontDescriptor"].get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.append((str(d["/BaseFont"]), embedded))
    return found


def _rgb(colour: str) -> bytes:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return f"{r:.6f} {g:.6f} {b:.6f} rg".encode()


def test_pdf_landscape_chinese_fonts_page_numbers_and_a_chart(tmp_path, users, refreshed) -> None:
    from pypdf import PdfReader

    reader = PdfReader(_report(tmp_path, "pdf", year=refreshed))
    pages = reader.pages
    text = "\n".join(p.extract_text() for p in pages)
    assert "丰县 2020年度统计报表" in text and "建档立卡户数(按户状态)" in text and "测试甲镇" in text
    assert "统计报表" in pages[-1].extract_text()  # running header on every page
    for n, page in enumerate(pages, start=1):
        assert f"第 {n} 页 共 {len(pages)} 页" in page.extract_text()
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
        fonts = _fonts(page)
        assert fonts and all("Noto-Sans-CJK" in name and embedded for name, embedded in fonts), fonts
    # The households chart: its title is text and its bars are vector fills in the first series' colour
    # (a colour nothing else on the page uses).
    assert "各乡镇建档立卡户数(按户状态)" in text
    first = pages[0].get_contents().get_data()
    assert _rgb(charts.COLOURS[0]) in first
    assert first.count(b" re\n") > 20


# ---- scope and errors ------------------------------------------------------------------------------------------


def test_cli_refuses_a_division_outside_the_users_scope(tmp_path, users, refreshed) -> None:
    with pytest.raises(CommandError, match="无权查看该区划"):
        _report(tmp_path, "xlsx", year=refreshed, user="township_a", division=f.COUNTY)
    with pytest.raises(CommandError, match="无权查看该区划"):
        _report(tmp_path, "pdf", year=refreshed, user="clerk_a", division=f.VILLAGE_B)
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "r.pdf").exists()
    assert not AccessLog.objects.filter(object_type="indicator_report").exists()


def test_cli_clear_errors(tmp_path, users) -> None:
    with pytest.raises(CommandError, match="区划不存在: 320321199000"):
        _report(tmp_path, "xlsx", year=2020, user="admin", division="320321199000")
    with pytest.raises(CommandError, match="12位数字"):
        _report(tmp_path, "xlsx", year=2020, user="admin", division="320321")
    with pytest.raises(CommandError, match="应为 .pdf"):
        call_command("report", year=2020, division=f.COUNTY, format="pdf", out=str(tmp_path / "r.xlsx"),
                     user="admin")


def test_cli_defaults_to_the_users_division(tmp_path, users, refreshed, capsys) -> None:
    import openpyxl

    out = tmp_path / "own.xlsx"
    call_command("report", year=refreshed, out=str(out), user="township_a")
    sheet = openpyxl.load_workbook(out)["户数"]
    assert "测试甲镇" in sheet["A1"].value and sheet["A4"].value == "甲一村"


def test_view_downloads_both_formats_logged(client, users, refreshed) -> None:
    client.force_login(users["county"])
    url = reverse("dashboard_report")
    page = client.get(url, {"division": f.COUNTY, "year": refreshed})
    assert page.status_code == 200
    assert "建档立卡户数(按户状态)" in page.content.decode() and "format=xlsx" in page.content.decode()
    xlsx = client.get(url, {"division": f.COUNTY, "year": refreshed, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"report-{f.COUNTY}-{refreshed}.xlsx" in xlsx["Content-Disposition"]
    pdf = client.get(url, {"division": f.COUNTY, "year": refreshed, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    logged = AccessLog.objects.filter(user=users["county"], object_type="indicator_report", action=AccessAction.EXPORT)
    assert logged.count() == 2 and all(e.ip_address for e in logged)


@pytest.mark.parametrize("fmt", ["", "xlsx", "pdf", "doc"])
def test_view_is_404_outside_the_readers_scope(client, users, refreshed, fmt) -> None:
    client.force_login(users["township"])
    response = client.get(reverse("dashboard_report"), {"division": f.COUNTY, "year": refreshed, "format": fmt})
    assert response.status_code == 404
    response = client.get(reverse("dashboard_report"), {"division": f.TOWNSHIP_B, "year": refreshed, "format": fmt})
    assert response.status_code == 404
    assert not AccessLog.objects.filter(object_type="indicator_report").exists()
    own = client.get(reverse("dashboard_report"), {"division": f.TOWNSHIP_A, "year": refreshed, "format": fmt})
    assert own.status_code == (404 if fmt == "doc" else 200)


def test_view_needs_a_login(client) -> None:
    response = client.get(reverse("dashboard_report"))
    assert response.status_code == 302
