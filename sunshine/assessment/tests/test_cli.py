"""`sunshine assess households|villages|counties … --out FILE`: the JSON keys of data-dictionary.md,
Chinese headers in CSV and XLSX, what-if with --set, clear errors."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from sunshine.assessment.models import AssessmentRun
from sunshine.core.models import AccessLog
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

HOUSEHOLD_KEYS = ["household_no", "year", "result", "criteria", "per_capita_income", "standard", "explanation"]
VILLAGE_KEYS = ["division_code", "year", "result", "criteria", "collective_income", "explanation"]
COUNTY_KEYS = ["division_code", "year", "result", "household_share", "village_share", "explanation"]


@pytest.fixture
def registry(region, household_a, household_b, users):
    VillageYear.objects.create(village=region.village_a, year=2020, weak_village=True,
                               collective_income=Decimal("200000.50"))
    return household_a, household_b


def assess(*args: str) -> None:
    call_command("assess", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_households_json(registry, tmp_path):
    household_a, household_b = registry
    out = tmp_path / "households.json"
    assess("households", "--year", "2020", "--division", f.COUNTY, "--out", str(out))
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [list(r) for r in rows] == [HOUSEHOLD_KEYS] * 2
    b = next(r for r in rows if r["household_no"] == household_b.household.household_no)
    assert b == {"household_no": household_b.household.household_no, "year": 2020, "result": "meets",
                 "criteria": {"H-INC": "pass", "H-FOOD": "pass", "H-WATER": "pass", "H-EDU": "pass",
                              "H-MED": "pass", "H-HOUSE": "pass"},
                 "per_capita_income": 8300.0, "standard": "js-2018-2020-v1",
                 "explanation": "达标:人均可支配收入8300.00元,不低于收入标准6000元;两不愁三保障均有保障。"}
    run = AssessmentRun.objects.get()
    assert run.official and run.created_by is None
    assert AccessLog.objects.filter(action="export", object_ref=str(run.pk)).exists()


def test_set_makes_a_what_if_run_and_csv_has_chinese_headers(registry, tmp_path):
    out = tmp_path / "what-if.csv"
    assess("households", "--year", "2020", "--set", "income_line=9000", "school_age_max=16", "--out", str(out),
           "--user", "analyst")
    run = AssessmentRun.objects.get()
    assert not run.official and run.overrides == {"income_line": 9000, "school_age_max": 16}
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["户编号", "年度", "结果", "收入(H-INC)", "不愁吃穿(H-FOOD)", "饮水安全(H-WATER)",
                       "义务教育有保障(H-EDU)", "基本医疗有保障(H-MED)", "住房安全有保障(H-HOUSE)", "人均可支配收入",
                       "政策标准版本", "说明"]
    assert {r[2] for r in rows[1:]} == {"未达标"}
    assert rows[1][3] == "未达标" and rows[1][4] == "达标"


def test_villages_and_counties(registry, tmp_path):
    out = tmp_path / "villages.json"
    assess("villages", "--year", "2020", "--out", str(out))
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [list(r) for r in rows] == [VILLAGE_KEYS]
    assert rows[0]["collective_income"] == 200000.5 and rows[0]["result"] == "meets"

    out = tmp_path / "counties.json"
    assess("counties", "--year", "2020", "--division", "320321000000", "--out", str(out))
    (row,) = json.loads(out.read_text(encoding="utf-8"))
    assert list(row) == COUNTY_KEYS
    assert (row["division_code"], row["result"], row["household_share"], row["village_share"]) == (
        f.COUNTY, "fails", 0.5, 1.0)

    xlsx = tmp_path / "counties.xlsx"
    assess("counties", "--year", "2020", "--division", "320321000000", "--out", str(xlsx))
    sheet = openpyxl.load_workbook(xlsx).active
    values = list(sheet.values)
    assert values[0] == ("区划代码", "年度", "结果", "达标户占比", "达标薄弱村占比", "说明")
    assert values[1][:5] == (f.COUNTY, 2020, "未达标", 0.5, 1)


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "income_line"], "参数=值"),
    (["--set", "foo=1"], "未知的参数"),
    (["--set", "income_line=-1"], "金额"),
    (["--standard", "nope"], "不存在"),
    (["--user", "nobody"], "用户不存在"),
    (["--user", "clerk_a"], "模拟测算"),          # a village clerk may not run an official assessment
    (["--division", "999999999999"], "区划不存在"),
])
def test_errors_are_clear_and_write_nothing(registry, tmp_path, args, message):
    out = tmp_path / "out.json"
    with pytest.raises(CommandError, match=message):
        assess("households", "--year", "2020", "--out", str(out), *args)
    assert not out.exists()
    assert not AssessmentRun.objects.exists()


def test_unknown_output_format(registry, tmp_path):
    with pytest.raises(CommandError, match="输出文件"):
        assess("households", "--year", "2020", "--out", str(tmp_path / "out.txt"))
