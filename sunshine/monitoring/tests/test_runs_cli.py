"""`sunshine monitor --out`: the keys of data-dictionary.md, and the Chinese tables."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.comparison.tests.factories import make_finding, make_run
from sunshine.core.models import AccessLog
from sunshine.monitoring.models import MonitoringRun
from sunshine.monitoring.monitored import create_monitored
from sunshine.monitoring.tests.test_runs import exited
from sunshine.testing import factories as f


@pytest.fixture
def three_kinds(users):
    county = users["county"]
    low = exited(county, wage="1000")
    edge_id = f.new_id()
    create_monitored(actor=county, number="BY0001", year=2020, division_code=f.VILLAGE_A, head_name="边缘户主",
                     head_id_number=edge_id, members=2, per_capita_income=Decimal("3000"))
    dibao_id = f.new_id()
    make_finding(run=make_run(actor=county, year=2020), rule="C-DIBAO-MISSING", division=f.COUNTY, name="低保户主",
                 id_number=dibao_id)
    return {"household_no": low.household.household_no, "ids": [low.head_id_number, edge_id, dibao_id]}


def test_json_has_exactly_the_dictionary_keys(three_kinds, tmp_path, capsys):
    out = tmp_path / "warnings.json"
    call_command("monitor", "--year", "2020", "--user", "county", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    records = json.loads(text)
    assert [set(r) for r in records] == [{"household_no", "year", "codes", "score", "explanation"}] * 3
    by_number = {r["household_no"]: r for r in records}
    assert set(by_number) == {three_kinds["household_no"], "BY0001", "JC2020000001"}
    assert by_number[three_kinds["household_no"]]["codes"] == ["M-UNSTABLE"]
    assert by_number["BY0001"]["codes"] == ["M-EDGE"] and by_number["JC2020000001"]["codes"] == ["M-EDGE"]
    assert all(r["year"] == 2020 and isinstance(r["score"], int) and r["explanation"] for r in records)
    assert not any(number in text for number in three_kinds["ids"])   # no full ID number in the file
    run = MonitoringRun.objects.get()
    assert "预警 3 户" in capsys.readouterr().out
    log = AccessLog.objects.get(object_type="monitoring_run")
    assert log.object_ref == str(run.pk) and log.user.username == "county"

    # Run again: the outside head is a monitored household now and keeps his number in the file.
    call_command("monitor", "--year", "2020", "--user", "county", "--out", str(out))
    again = json.loads(out.read_text(encoding="utf-8"))
    assert {r["household_no"] for r in again} == set(by_number)


def test_csv_has_chinese_headers_and_words(three_kinds, tmp_path):
    out = tmp_path / "warnings.csv"
    call_command("monitor", "--year", "2020", "--user", "county", "--out", str(out))
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["户编号(监测户编号)", "年度", "预警类型", "风险评分", "说明"]
    assert {row[2] for row in rows[1:]} == {"脱贫不稳定户", "边缘易致贫户"}


def test_xlsx_output(three_kinds, tmp_path):
    from python_calamine import CalamineWorkbook

    out = tmp_path / "warnings.xlsx"
    call_command("monitor", "--year", "2020", "--user", "county", "--out", str(out))
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "户编号(监测户编号)" and len(rows) == 4


def test_cli_refuses_bad_requests(users, tmp_path):
    with pytest.raises(CommandError, match="管辖范围"):
        call_command("monitor", "--year", "2020", "--user", "county", "--division", "320000000000")
    with pytest.raises(CommandError, match="角色"):
        call_command("monitor", "--year", "2020", "--user", "clerk_a")
    with pytest.raises(CommandError, match="输出文件"):
        call_command("monitor", "--year", "2020", "--user", "county", "--out", str(tmp_path / "w.txt"))
    with pytest.raises(CommandError, match="政策标准"):
        call_command("monitor", "--year", "2030", "--user", "county")
    assert not MonitoringRun.objects.exists()
