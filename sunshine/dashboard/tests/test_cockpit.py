"""The cockpit pages: figures from the pre-aggregated values, targets from the year's standard, worst first,
scope, and a fixed handful of queries whatever the size of the division."""

from __future__ import annotations

import ast
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sunshine.dashboard import refresh
from sunshine.dashboard.choices import Section
from sunshine.dashboard.cockpit import views
from sunshine.dashboard.indicators import CATALOGUE, Direction, Indicator, Kind, Target
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue
from sunshine.policy.models import PolicyStandard
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
YEAR = 2020


def plant(code: str, native: list[tuple], year: int = YEAR) -> None:
    """Store an indicator's values as a refresh would: native rows (division, key, value, denominator) summed up
    to every level. Lets a test set any figure without building the data behind it."""
    IndicatorValue.objects.filter(code=code, year=year).delete()
    IndicatorValue.objects.bulk_create(
        IndicatorValue(code=code, year=year, division_code=division, level=level, key=key, value=value,
                       denominator=denominator)
        for (division, level, key), (value, denominator) in refresh.roll_up(native).items())


def refreshed(year: int = YEAR) -> None:
    now = timezone.now()
    IndicatorRefresh.objects.create(year=year, trigger="test", started_at=now, finished_at=now, seconds=0.1)


def no_query(*_args: object) -> tuple[str, list]:
    raise AssertionError("a planted indicator is never computed here")


def share_indicator(code: str, direction: Direction = Direction.UP, target: Target | None = None) -> Indicator:
    return Indicator(code=code, name=f"测试{code}", unit="%", section=Section.ASSESSMENT, query=no_query,
                     kind=Kind.SHARE, direction=direction, target=target, headline=True)


def row_text(body: str, testid: str) -> str:
    """The first cell of an indicator's row in its section table (what the page prints as its figure)."""
    match = re.search(rf'data-testid="{re.escape(testid)}".*?<td class="num">(.*?)(?:<small|</td>)', body, re.S)
    assert match, testid
    return match.group(1).strip()


def ranking_names(body: str) -> list[str]:
    table = body.split('data-testid="children"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/dashboard/\d{12}/[^"]*">([^<]+)</a>', table)


def chart(body: str, name: str) -> dict:
    match = re.search(rf'<script id="chart-data-{name}" type="application/json">(.*?)</script>', body, re.S)
    assert match, name
    return json.loads(match.group(1))


def test_county_cockpit_shows_the_refreshed_figures_and_its_townships(client: Client, users, household_a,
                                                                     household_b):
    refresh.refresh(year=YEAR)
    client.force_login(users["county"])
    body = client.get("/dashboard/").content.decode()
    assert '<strong data-testid="total">2</strong>' in body
    assert "数据更新于" in body and "尚未计算" not in body
    # The ranking: every township, each a link into its own cockpit keeping the year and the ranked indicator.
    assert sorted(ranking_names(body)) == ["测试乙镇", "测试甲镇"]
    assert f'href="/dashboard/{f.TOWNSHIP_A}/?year=2020&amp;rank=' in body
    # Every section of the catalogue has its table, every indicator its row.
    for code in CATALOGUE:
        assert f'data-testid="indicator-{code}"' in body, code
    # The chart of the ranking carries the table's numbers.
    spec = chart(body, "ranking")
    assert sorted(spec["categories"]) == ["测试乙镇", "测试甲镇"]
    # ECharts from this site, never a CDN; no inline script.
    assert '<script src="/static/dashboard/vendor/echarts/echarts.min.js" defer></script>' in body
    assert not re.search(r"<script(?![^>]*(src=|application/json))", body)


def test_a_year_never_refreshed_says_so(client: Client, users, household_a):
    client.force_login(users["county"])
    body = client.get("/dashboard/?year=2019").content.decode()
    assert "本年度的统计指标尚未计算" in body and "sunshine indicators refresh --year 2019" in body
    assert '<strong data-testid="total">0</strong>' in body


def test_targets_come_from_the_division_standard_and_are_marked(client: Client, users, monkeypatch):
    indicator = share_indicator("t_share", target=Target(parameter="county_household_share"))
    monkeypatch.setitem(CATALOGUE, indicator.code, indicator)
    plant("t_share", [(f.VILLAGE_A, "", 96, 100)])
    refreshed()
    client.force_login(users["county"])
    card = client.get("/dashboard/").content.decode().split('data-testid="headline-t_share"', 1)[1].split("</li>")[0]
    assert "96.0%" in card and "目标 ≥ 97.0%" in card and "✗ 未达标" in card and "96 / 100" in card
    # A county override of the parameter is what the county is measured against.
    province = PolicyStandard.objects.filter(region_id="320000000000").order_by("-created_at").first()
    PolicyStandard.objects.create(
        version="fx-test", name="丰县", year_from=YEAR, year_to=YEAR, region_id=f.COUNTY,
        parameters={**province.parameters, "county_household_share": 0.95}, procedures=province.procedures,
        base=province, created_by=users["admin"])
    card = client.get("/dashboard/").content.decode().split('data-testid="headline-t_share"', 1)[1].split("</li>")[0]
    assert "目标 ≥ 95.0%" in card and "✓ 达标" in card


def test_a_per_unit_line_is_shown_but_not_held_against_a_total(client: Client, users, monkeypatch):
    """18万 is the line of each weak village: the township's total income is not marked against it."""
    indicator = Indicator(code="t_income", name="测试收入", unit="元", section=Section.ASSESSMENT, query=no_query,
                          kind=Kind.SUM, direction=Direction.UP, headline=True,
                          target=Target(parameter="village_income_line", note="每个薄弱村"))
    monkeypatch.setitem(CATALOGUE, indicator.code, indicator)
    plant("t_income", [(f.VILLAGE_A, "", 150000, None)])
    refreshed()
    client.force_login(users["county"])
    card = client.get("/dashboard/").content.decode().split('data-testid="headline-t_income"', 1)[1].split("</li>")[0]
    assert "150,000.00" in card and "每个薄弱村 ≥ 180,000.00" in card
    assert "达标" not in card


@pytest.mark.parametrize(("direction", "worst"), [(Direction.UP, "测试甲镇"), (Direction.DOWN, "测试乙镇")])
def test_ranking_puts_the_worst_first_for_the_chosen_indicator(client: Client, users, monkeypatch, direction, worst):
    indicator = share_indicator("t_rank", direction=direction, target=Target(value=Decimal("0.8")))
    monkeypatch.setitem(CATALOGUE, indicator.code, indicator)
    plant("t_rank", [(f.VILLAGE_A, "", 1, 2), (f.VILLAGE_B, "", 9, 10)])
    refreshed()
    client.force_login(users["county"])
    body = client.get("/dashboard/?rank=t_rank").content.decode()
    names = ranking_names(body)
    assert names[0] == worst and len(names) == 2
    spec = chart(body, "ranking")
    assert spec["categories"] == names and spec["target"] == 80.0
    assert spec["series"][0]["data"] == ([50.0, 90.0] if direction == Direction.UP else [90.0, 50.0])
    # An unknown indicator falls back to the default ranking rather than failing.
    assert client.get("/dashboard/?rank=nonsense").status_code == 200


def test_village_cockpit_has_no_ranking_but_its_lists(client: Client, users, household_a):
    refresh.refresh(year=YEAR)
    client.force_login(users["township"])
    body = client.get(f"/dashboard/{f.VILLAGE_A}/").content.decode()
    assert 'data-testid="ranking"' not in body
    assert f"/households/?division={f.VILLAGE_A}&year=2020" in body
    assert 'data-testid="village-statements"' in body
    assert f"/comparison/findings/?division={f.VILLAGE_A}&amp;year=2020" in body
    assert "/funds/?" not in body  # a list the reviewer's roles may not open is not offered


def test_township_reviewer_sees_only_their_township_on_every_route(client: Client, users, monkeypatch):
    """Every indicator planted in both townships: the reviewer of A reads A's figure on each cockpit route and
    is refused B's and the county's pages."""
    a, b = {"count": 3, "share": (3, 4)}, {"count": 5, "share": (1, 4)}
    for code, indicator in CATALOGUE.items():
        if indicator.kind == Kind.SHARE:
            plant(code, [(f.VILLAGE_A, "", *a["share"]), (f.VILLAGE_B, "", *b["share"])])
        else:
            plant(code, [(f.VILLAGE_A, "", a["count"], None), (f.VILLAGE_B, "", b["count"], None)])
    refreshed()
    client.force_login(users["township"])
    for url in ("/dashboard/", f"/dashboard/{f.TOWNSHIP_A}/", f"/divisions/{f.TOWNSHIP_A}/"):
        body = client.get(url).content.decode()
        for code, indicator in CATALOGUE.items():
            expected = "75.0%" if indicator.kind == Kind.SHARE else ("3.00" if indicator.kind == Kind.SUM else "3")
            assert row_text(body, f"indicator-{code}") == expected, (url, code)
        assert ranking_names(body) == ["甲一村", "甲二村"] or ranking_names(body) == ["甲二村", "甲一村"]
        assert "乙一村" not in body and "测试乙镇" not in body
    home = client.get("/").content.decode()
    assert '<strong data-testid="total">3</strong>' in home and "乙一村" not in home
    for url in (f"/dashboard/{f.TOWNSHIP_B}/", f"/dashboard/{f.COUNTY}/", f"/divisions/{f.VILLAGE_B}/",
                f"/dashboard/{f.VILLAGE_B}/"):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


def test_township_reviewer_counts_only_their_township_after_a_refresh(client: Client, users, household_a,
                                                                      household_b):
    refresh.refresh(year=YEAR)
    client.force_login(users["township"])
    for url in ("/", "/dashboard/", f"/dashboard/{f.TOWNSHIP_A}/"):
        body = client.get(url).content.decode()
        assert '<strong data-testid="total">1</strong>' in body and '<strong data-testid="people">3</strong>' in body
        assert sorted(ranking_names(body)) == ["甲一村", "甲二村"], url
    client.force_login(users["county"])
    body = client.get(f"/dashboard/{f.TOWNSHIP_B}/").content.decode()
    assert '<strong data-testid="total">1</strong>' in body and '<strong data-testid="people">2</strong>' in body
    assert ranking_names(body) == ["乙一村"]


def test_provincial_cockpit_reads_a_fixed_handful_of_rows_never_the_members(users, household_a, household_b):
    refresh.refresh(year=YEAR)
    client = Client()
    client.force_login(users["analyst"])
    client.get("/dashboard/")

    def count() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/dashboard/").status_code == 200
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    few, statements = count()
    # Figures in every city of the province (the ranking's rows): the page reads the same number of times.
    cities = [f"32{n:02d}00000000" for n in range(1, 14)]
    for code in CATALOGUE:
        plant(code, [(city, "", 7, 9) for city in cities] + [(f.VILLAGE_A, "", 1, 2)])
    many, _ = count()
    assert few == many
    assert few <= 8, statements
    other_apps = re.compile(r'"(registry|comparison|monitoring|assessment|funds|grievance|assistance|workflow)_')
    assert not [s for s in statements if other_apps.search(s)]


def test_report_buttons_only_when_the_report_view_exists(client: Client, users, monkeypatch):
    client.force_login(users["county"])
    body = client.get("/dashboard/?year=2020").content.decode()
    assert (f"/dashboard/report/?division={f.COUNTY}&amp;year=2020&amp;format=xlsx" in body) == \
        bool(views.report_links(users["county"].division, YEAR))

    def missing(name: str, *args: object, **kwargs: object) -> str:
        from django.urls import NoReverseMatch

        raise NoReverseMatch(name)

    monkeypatch.setattr(views, "reverse", missing)
    assert views.report_links(users["county"].division, YEAR) == []


def test_home_keeps_the_to_do_first_and_no_chart(client: Client, users, household_a):
    refresh.refresh(year=YEAR)
    client.force_login(users["county"])
    body = client.get("/").content.decode()
    assert body.index('data-testid="todo"') < body.index('data-testid="total"') < body.index('data-testid="children"')
    # No chart on the home page: its elements would carry the style attributes the page must not have.
    assert "data-chart" not in body and "echarts" not in body
    assert 'href="/dashboard/?year=2020"' in body


def test_the_menu_marks_the_cockpit(client: Client, users):
    client.force_login(users["clerk"])
    body = client.get(f"/divisions/{f.VILLAGE_A}/").content.decode()
    assert re.search(r'<a href="/dashboard/" aria-current="page" class="current">统计驾驶舱</a>', body)


def test_core_views_import_no_app_above_core() -> None:
    import sunshine.core.views as core_views

    tree = ast.parse(Path(core_views.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not [m for m in imported if m.startswith("sunshine.") and not m.startswith("sunshine.core")]
