"""The sampling pages and the `sunshine sample` command, through the real views, services and database."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sunshine.core.models import AccessLog
from sunshine.monitoring.models import SampleDraw, SampleUnit
from sunshine.monitoring.sampling.draw import draw_sample
from sunshine.monitoring.sampling.services import record_visit
from sunshine.registry import choices as c
from sunshine.testing import factories as f

EXITED = {"status": c.HouseholdStatus.EXITED, "exit_year": 2019}


@pytest.fixture
def households(users):
    made = [f.make_household(users["county"], village=f.VILLAGE_A, members=1, head_name=f"甲{i}户",
                             **(EXITED if i % 2 else {})) for i in range(6)]
    made += [f.make_household(users["county"], village=f.VILLAGE_B, members=1, head_name=f"乙{i}户") for i in range(3)]
    return made


@pytest.fixture
def draw(users, households):
    return draw_sample(actor=users["county"], year=2020, size=9, seed=11)  # every household


def test_draw_form_draws_and_shows_the_seed(client: Client, users, households):
    client.force_login(users["county"])
    page = client.get("/monitoring/samples/")
    assert page.status_code == 200 and 'data-testid="draw-form"' in page.content.decode()
    response = client.post("/monitoring/samples/", {"kind": "fixed", "year": 2020, "division_code": "", "size": "4",
                                                    "rate": "", "seed": "2024"})
    draw = SampleDraw.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitoring/samples/{draw.pk}/"
    assert (draw.kind, draw.size, draw.seed, draw.division_id) == ("fixed", 4, 2024, f.COUNTY)
    body = client.get(response["Location"]).content.decode()
    assert "2024" in body and 'data-testid="strata"' in body and 'data-testid="continue-form"' in body
    both = client.post("/monitoring/samples/", {"kind": "adhoc", "year": 2020, "size": "4", "rate": "0.1",
                                                "seed": "1"})
    assert both.status_code == 200 and "样本量与抽样比例应填且只填一项" in both.content.decode()
    client.force_login(users["clerk"])
    assert 'data-testid="draw-form"' not in client.get("/monitoring/samples/").content.decode()
    assert client.post("/monitoring/samples/", {"kind": "adhoc", "year": 2020, "size": "4", "seed": "1"}
                       ).status_code == 403
    assert SampleDraw.objects.count() == 1


def test_clerk_sees_and_visits_only_own_village_units(client: Client, users, draw):
    client.force_login(users["clerk"])
    body = client.get(f"/monitoring/samples/{draw.pk}/").content.decode()
    assert "甲0户" in body and "乙0户" not in body
    assert 'data-testid="estimates"' not in body  # the county draw is wider than the clerk's village
    unit_a = draw.units.filter(household__village_id=f.VILLAGE_A, stratum__endswith=":exited").first()
    unit_b = draw.units.filter(household__village_id=f.VILLAGE_B).first()
    prefix = f"u{unit_a.pk}"
    response = client.post(f"/monitoring/samples/{draw.pk}/visit/", {
        "unit": unit_a.pk, f"{prefix}-visited_on": "2021-01-05", f"{prefix}-data_correct": "false",
        f"{prefix}-wrongly_exited": "true", f"{prefix}-note": "家中有在外务工收入未登记"})
    assert response.status_code == 302
    unit_a.refresh_from_db()
    assert (unit_a.visited_on, unit_a.data_correct, unit_a.wrongly_exited) == (dt.date(2021, 1, 5), False, True)
    missing = client.post(f"/monitoring/samples/{draw.pk}/visit/", {
        "unit": unit_a.pk, f"{prefix}-visited_on": "2021-01-05", f"{prefix}-data_correct": "true"})
    assert missing.status_code == 400 and "已脱贫户须填写是否错退" in missing.content.decode()
    other = f"u{unit_b.pk}"
    denied = client.post(f"/monitoring/samples/{draw.pk}/visit/", {
        "unit": unit_b.pk, f"{other}-visited_on": "2021-01-05", f"{other}-data_correct": "true"})
    assert denied.status_code == 404
    assert SampleUnit.objects.get(pk=unit_b.pk).visited_on is None
    client.force_login(users["county"])
    body = client.get(f"/monitoring/samples/{draw.pk}/").content.decode()
    assert "100.0%" in body and 'data-testid="coverage"' in body  # one exited unit visited, found wrong
    client.force_login(users["clerk_b"])
    assert client.get(f"/monitoring/samples/{draw.pk}/").status_code == 200  # B is in the county draw too
    client.force_login(users["analyst"])
    assert 'name="unit"' not in client.get(f"/monitoring/samples/{draw.pk}/").content.decode()  # no visit forms


def test_estimates_on_the_page_and_masked_export(client: Client, users, draw):
    for unit in draw.units.select_related("household"):
        exited = unit.stratum.endswith(":exited")
        record_visit(actor=users["county"], unit=unit, visited_on=dt.date(2021, 1, 2),
                     data_correct=unit.household.village_id != f.VILLAGE_B, wrongly_exited=False if exited else None,
                     note="")
    client.force_login(users["county"])
    body = client.get(f"/monitoring/samples/{draw.pk}/").content.decode()
    assert "33.3%" in body and "全数核查" in body  # 3 of 9 wrong, every household visited
    full = client.get(f"/monitoring/samples/{draw.pk}/export/?format=csv")
    numbers = list(draw.units.values_list("household__years__head_id_number", flat=True))
    text = full.content.decode("utf-8-sig")
    assert full["Content-Type"].startswith("text/csv") and numbers[0] in text and text.count("\n") == 10
    client.force_login(users["township"])
    masked = client.get(f"/monitoring/samples/{draw.pk}/export/?format=xlsx")
    assert masked.status_code == 200 and masked.content[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(masked.content)).active
    ids = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == 6 and all("*" in x for x in ids)  # township A: village A's households, masked
    assert AccessLog.objects.filter(action="export", object_type="sample_draw").count() == 2


def test_continue_panel_from_the_page(client: Client, users, households):
    panel = draw_sample(actor=users["county"], kind="fixed", year=2020, size=5, seed=3)
    for hy in households:
        f.make_household(users["county"], village=hy.household.village_id, year=2021,
                         household_no=hy.household.household_no, head_name=hy.head_name, head_id=hy.head_id_number,
                         members=1, status=hy.status, exit_year=hy.exit_year)
    client.force_login(users["county"])
    response = client.post(f"/monitoring/samples/{panel.pk}/continue/", {"continue-year": "2021", "continue-seed": ""})
    follow = SampleDraw.objects.get(panel=panel)
    assert response.status_code == 302 and follow.year == 2021
    assert set(follow.units.values_list("household_id", flat=True)) >= set(
        panel.units.values_list("household_id", flat=True))
    bad = client.post(f"/monitoring/samples/{panel.pk}/continue/", {"continue-year": "2019"})
    assert bad.status_code == 400 and "沿用年度应晚于" in bad.content.decode()


def test_cli_draw_and_estimate(users, households, tmp_path):
    out = io.StringIO()
    call_command("sample", "draw", "--year", "2020", "--size", "5", "--seed", "77", "--user", "county", stdout=out)
    draw = SampleDraw.objects.get()
    assert f"#{draw.pk}" in out.getvalue() and "随机种子 77" in out.getvalue() and draw.size == 5
    call_command("sample", "draw", "--year", "2020", "--size", "5", "--seed", "77", "--user", "county",
                 stdout=io.StringIO())
    again = SampleDraw.objects.exclude(pk=draw.pk).get()
    assert sorted(again.units.values_list("household_id", flat=True)) == sorted(
        draw.units.values_list("household_id", flat=True))
    target = tmp_path / "estimate.json"
    out = io.StringIO()
    call_command("sample", "estimate", str(draw.pk), "--out", str(target), "--user", "county", stdout=out)
    result = json.loads(target.read_text(encoding="utf-8"))
    assert result["draw"] == draw.pk and result["data_wrong"]["method"] == "none" and "尚无走访结果" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("sample", "draw", "--year", "2020", "--size", "5", "--user", "clerk_a")
    with pytest.raises(CommandError):
        call_command("sample", "estimate", str(draw.pk), "--user", "clerk_b")  # wider than the clerk's village
