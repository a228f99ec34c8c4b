"""Real Chromium: a county manager opens the cockpit, ranks the townships, clicks the worst one, lands on its
cockpit and downloads its report pack; the workbook's totals are the page's, the PDF has Chinese text and a
chart. The charts are drawn from local files without a single CSP violation, at 1280 px and at 390 px."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page, expect

from sunshine.dashboard.refresh import refresh
from sunshine.testing import factories as f

from .test_csp import RECORD_VIOLATIONS
from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def number(text: str) -> float:
    return float(text.strip().replace(",", "").rstrip("%") or 0)


def table_numbers(page: Page, testid: str, column: int) -> dict[str, float]:
    """{row label: number in ``column``} of a table view on the page (its first cell labels the row)."""
    rows = page.get_by_test_id(testid).locator("tbody tr")
    out = {}
    for n in range(rows.count()):
        cells = rows.nth(n).locator("th, td")
        label = re.sub(r"^\d+\s+", "", cells.nth(0).inner_text().strip())
        out[label] = number(cells.nth(column).inner_text())
    return out


def sheet_rows(workbook, title: str) -> dict[str, list]:
    """{first cell: the row's values} of a report sheet whose title row names ``title``."""
    for sheet in workbook.worksheets:
        if any(title in str(cell.value or "") for row in sheet.iter_rows(max_row=2) for cell in row):
            return {str(row[0]): list(row) for row in sheet.iter_rows(values_only=True) if row and row[0]}
    raise AssertionError(f"no sheet titled {title}: {workbook.sheetnames}")


@pytest.fixture
def county(users, household_a, household_b):
    """Village A's household lives under the income line (5,533.33 per person), village B's above it."""
    refresh(year=2020)
    return users["county"]


def test_county_manager_ranks_clicks_the_worst_township_and_downloads_its_report(page: Page, live_server, county):
    page.context.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, live_server, "county")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="统计驾驶舱").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("丰县")
    expect(page.get_by_test_id("refreshed")).to_contain_text("数据更新于")

    # Rank the townships by the share of households under the income line: more is worse.
    page.get_by_label("排名指标").select_option("income_below_line")
    expect(page).to_have_url(re.compile(r"rank=income_below_line"))
    ranking = page.get_by_test_id("children")
    expect(ranking.locator("tbody tr").first).to_contain_text("测试甲镇")
    expect(ranking.locator("tbody tr").first).to_contain_text("100.0%")
    expect(page.get_by_test_id("chart-ranking").locator("canvas")).to_have_count(1)  # drawn by ECharts
    assert not page.evaluate("window.__csp || []") and not problems, problems

    ranking.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("测试甲镇")
    expect(page).to_have_url(re.compile(rf"/dashboard/{f.TOWNSHIP_A}/\?year=2020&rank=income_below_line$"))
    for name in ("ranking", "statuses", "trend"):
        expect(page.get_by_test_id(f"chart-{name}").locator("canvas")).to_have_count(1)
    assert not page.evaluate("window.__csp || []") and not problems, problems

    # The page's table views: households in all and per village, households by status, people.
    total = number(page.get_by_test_id("total").inner_text())
    people = number(page.get_by_test_id("people").inner_text())
    villages = table_numbers(page, "children", 1)
    statuses = table_numbers(page, "statuses-table", 1)
    assert total == 1 and villages == {"甲一村": 1, "甲二村": 0} and sum(statuses.values()) == total

    try:
        reverse("dashboard_report")
    except NoReverseMatch:
        pytest.skip("the report pack view (dashboard_report) is not installed yet")
    from openpyxl import load_workbook
    from pypdf import PdfReader

    with page.expect_download() as xlsx:
        page.get_by_test_id("report-xlsx").click()
    book = load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()), data_only=True)  # the path has no .xlsx
    households = sheet_rows(book, "建档立卡户数")
    header = next(row for row in households.values() if "合计" in row)
    total_column = header.index("合计")
    assert households["合计"][total_column] == total
    assert {name: households[name][total_column] for name in villages} == villages
    for label, count in statuses.items():
        assert households["合计"][header.index(label)] == count, label
    people_rows = sheet_rows(book, "建档立卡人数")
    assert people_rows["合计"][total_column] == people

    with page.expect_download() as pdf:
        page.get_by_test_id("report-pdf").click()
    document = PdfReader(pdf.value.path())
    text = "\n".join(p.extract_text() for p in document.pages)
    assert "测试甲镇" in text and "统计报表" in text
    # At least one chart: a server-drawn SVG, its title as text and its bars as vector paths.
    assert re.search(r"各村建档立卡户数|达标率|资金", text)
    assert any(p.get_contents().get_data().count(b" re\n") > 20 for p in document.pages)


def test_cockpit_fits_a_phone_and_prints_without_the_menu(page: Page, live_server, county):
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, live_server, "county")
    page.goto(f"{live_server.url}/dashboard/{f.TOWNSHIP_A}/?year=2020")
    expect(page.get_by_test_id("chart-statuses").locator("canvas")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("footer").is_hidden()
    assert page.get_by_test_id("children").is_visible()
    height = page.get_by_test_id("chart-statuses").evaluate("e => e.getBoundingClientRect().height")
    assert 200 < height < 300  # 7 cm, whatever the screen
