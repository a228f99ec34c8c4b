"""`sunshine assistance import cadres|pairings|visits|work_teams FILE`: Chinese headers, every bad row reported
with row, column, value and what is allowed, nothing written unless all rows are good or --good-rows-only."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.assistance.models import Cadre, Pairing, Visit, WorkTeam
from sunshine.assistance.tests.helpers import make_cadre
from sunshine.assistance.transfer.pipeline import import_file
from sunshine.core.choices import Role
from sunshine.testing import factories as f


def write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


CADRE_HEADER = ["干部编号", "姓名", "身份证号", "联系电话", "派出单位", "层级", "类型", "区划代码"]


def test_cadres_import_and_reimport_changes_nothing(users, tmp_path):
    path = write(tmp_path / "cadres.csv", CADRE_HEADER, [
        ["GB001", "王干部", f.new_id(), "13912345678", "县财政局", "县", "帮扶责任人", ""],
        ["GB002", "李书记", f.new_id(), "", "省农业农村厅", "省", "第一书记", f.VILLAGE_A],
    ])
    outcome = import_file("cadres", path, actor=users["county"])
    assert outcome.written and outcome.created == 2 and not outcome.errors
    first, second = Cadre.objects.order_by("cadre_no")
    assert (first.division_id, first.level, first.kind, first.phone) == (f.COUNTY, "county", "responsible",
                                                                        "13912345678")
    assert second.division_id == f.VILLAGE_A and second.kind == "first_secretary"
    assert first.id_number_hash   # encrypted, with its keyed hash
    again = import_file("cadres", path, actor=users["county"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_rows_are_reported_and_nothing_is_written(users, tmp_path):
    path = write(tmp_path / "cadres.csv", CADRE_HEADER, [
        ["GB001", "王干部", f.new_id(), "", "", "县", "帮扶责任人", ""],
        ["GB002", "李干部", "123", "", "", "部", "帮扶责任人", ""],
        ["GB001", "重复", f.new_id(), "", "", "县", "帮扶责任人", ""],
    ])
    outcome = import_file("cadres", path, actor=users["county"])
    assert not outcome.written and Cadre.objects.count() == 0
    where = {(e.row, e.column): e for e in outcome.errors}
    assert set(where) == {(3, "身份证号"), (3, "层级"), (4, "干部编号")}
    assert where[(3, "层级")].value == "部" and "省、市、县、乡、村" in where[(3, "层级")].message
    assert "第2行" in where[(4, "干部编号")].message
    partial = import_file("cadres", path, actor=users["county"], good_rows_only=True)
    assert partial.written and partial.created == 1 and partial.rejected == 2
    assert list(Cadre.objects.values_list("cadre_no", flat=True)) == ["GB001"]


def test_pairings_visits_and_teams(users, household_a, household_b, tmp_path):
    cadre = make_cadre()
    a, b = household_a.household.household_no, household_b.household.household_no
    pairings = write(tmp_path / "p.csv", ["干部编号", "户编号", "开始日期", "结束日期"], [
        [cadre.cadre_no, a, "2019-01-01", ""],
        [cadre.cadre_no, b, "2019-01-01", "2018-12-31"],
        ["GB404", a, "2019-01-01", ""],
        [cadre.cadre_no, "NOPE", "2019-01-01", ""],
    ])
    outcome = import_file("pairings", pairings, actor=users["county"])
    assert {(e.row, e.column) for e in outcome.errors} == {(3, "结束日期"), (4, "干部编号"), (5, "户编号")}
    assert not Pairing.objects.exists()
    import_file("pairings", pairings, actor=users["county"], good_rows_only=True)
    assert list(Pairing.objects.values_list("household__household_no", "end_date")) == [(a, None)]

    visits = write(tmp_path / "v.csv", ["干部编号", "户编号", "走访日期", "走访情况", "商定措施"],
                   [[cadre.cadre_no, a, "2020-06-01", "家中有病人", "申请临时救助"]])
    assert import_file("visits", visits, actor=users["county"]).created == 1
    assert import_file("visits", visits, actor=users["county"]).unchanged == 1
    visit = Visit.objects.get()
    assert (visit.date, visit.measures, visit.created_by) == (dt.date(2020, 6, 1), "申请临时救助", users["county"])

    teams = write(tmp_path / "t.csv", ["区划代码", "干部编号", "职务", "开始日期", "结束日期"],
                  [[f.VILLAGE_A, cadre.cadre_no, "第一书记", "2019-03-01", ""],
                   [f.VILLAGE_B, cadre.cadre_no, "组长", "2019-03-01", ""]])
    outcome = import_file("work_teams", teams, actor=users["county"], good_rows_only=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "职务")]
    assert list(WorkTeam.objects.values_list("village_id", "role")) == [(f.VILLAGE_A, "first_secretary")]


def test_rows_outside_the_importers_scope_are_refused(users, household_a, tmp_path):
    cadre = make_cadre()
    path = write(tmp_path / "p.csv", ["干部编号", "户编号", "开始日期"],
                 [[cadre.cadre_no, household_a.household.household_no, "2019-01-01"]])
    # a --county outside the importer's scope is refused before any row is read
    with pytest.raises(CommandError):
        call_command("assistance", "import", "pairings", str(path), "--county", "320322000000", "--user", "county")
    # another county's manager: the household is not theirs
    other = f.make_user("county_b", Role.COUNTY_MANAGER, "320322000000")
    outcome = import_file("pairings", path, actor=other)
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "户编号")]
    # a township reviewer does not import
    with pytest.raises(PermissionDenied):
        import_file("pairings", path, actor=users["township"])
    assert not Pairing.objects.exists()


def test_cli_exits_2_with_an_error_report(users, tmp_path, capsys):
    path = write(tmp_path / "cadres.csv", CADRE_HEADER, [["GB001", "王干部", "bad", "", "", "县", "帮扶责任人", ""]])
    report = tmp_path / "errors.csv"
    with pytest.raises(SystemExit) as exit_info:
        call_command("assistance", "import", "cadres", str(path), "--errors", str(report), "--user", "county")
    assert exit_info.value.code == 2
    text = report.read_text(encoding="utf-8-sig")
    assert "身份证号" in text and "cadres.csv" in text
    assert not Cadre.objects.exists()


def test_export_imports_back_and_masks_for_masked_roles(users, household_a, tmp_path):
    cadre = make_cadre(phone="13912345678")
    path = write(tmp_path / "p.csv", ["干部编号", "户编号", "开始日期"],
                 [[cadre.cadre_no, household_a.household.household_no, "2019-01-01"]])
    import_file("pairings", path, actor=users["county"])
    out = tmp_path / "pairings.csv"
    call_command("assistance", "export", "pairings", "--out", str(out), "--user", "county")
    assert import_file("pairings", out, actor=users["county"]).unchanged == 1
    cadres = tmp_path / "cadres.csv"
    call_command("assistance", "export", "cadres", "--out", str(cadres), "--user", "clerk_a")
    text = cadres.read_text(encoding="utf-8-sig")
    assert "139****5678" in text and "13912345678" not in text and cadre.id_number not in text
    call_command("assistance", "export", "cadres", "--out", str(cadres), "--user", "county")
    assert import_file("cadres", cadres, actor=users["county"]).unchanged == 1
    call_command("assistance", "template", "visits", "--out", str(tmp_path / "t.xlsx"))
    assert (tmp_path / "t.xlsx").stat().st_size > 0
