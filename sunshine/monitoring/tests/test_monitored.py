"""Monitored households outside the registry: entered by hand and imported, with scope, checks and history."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from sunshine.monitoring.choices import MonitoredSource
from sunshine.monitoring.models import MonitoredHousehold
from sunshine.monitoring.monitored import SPEC, create_monitored, import_monitored, update_monitored
from sunshine.registry.transfer.model import TransferFileError
from sunshine.testing import factories as f

HEADERS = [column.header for column in SPEC]


def fields(**override):
    base = {"number": "BY0001", "year": 2020, "division_code": f.VILLAGE_A, "head_name": "边缘户主",
            "head_id_number": f.new_id(), "phone": "13900001111", "members": 3,
            "per_capita_income": Decimal("7000.5")}
    return base | override


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(headers)
        out.writerows(rows)
    return path


def row(number: str, id_number: str, *, village: str = f.VILLAGE_A, members: str = "3", income: str = "6000",
        year: str = "2020", name: str = "户主") -> list[str]:
    return [number, year, village, name, id_number, "13900001111", members, income, ""]


# --- by hand --------------------------------------------------------------------------------------------


def test_clerk_creates_in_his_village_with_history(users):
    clerk = users["clerk"]
    household = create_monitored(actor=clerk, **fields())
    assert household.source == MonitoredSource.MANUAL and household.created_by == clerk
    assert household.per_capita_income == Decimal("7000.50") and household.division_id == f.VILLAGE_A
    update_monitored(actor=clerk, monitored=household, per_capita_income="6500", note="走访核实")
    update_monitored(actor=clerk, monitored=household, per_capita_income="6500.00")  # no change, no history
    history = list(household.history.order_by("history_date").values_list("history_type", "history_user__username",
                                                                          "per_capita_income"))
    assert history == [("+", "clerk_a", Decimal("7000.50")), ("~", "clerk_a", Decimal("6500.00"))]


def test_scope_and_roles(users):
    with pytest.raises(PermissionDenied):
        create_monitored(actor=users["clerk"], **fields(division_code=f.VILLAGE_B))
    with pytest.raises(PermissionDenied):
        create_monitored(actor=users["supervisor"], **fields())   # supervisors do not edit
    household = create_monitored(actor=users["clerk_b"], **fields(division_code=f.VILLAGE_B))
    with pytest.raises(PermissionDenied):
        update_monitored(actor=users["clerk"], monitored=household, phone="13900002222")
    with pytest.raises(PermissionDenied):   # moving one's own household out of one's scope
        update_monitored(actor=users["clerk_b"], monitored=household, division_code=f.VILLAGE_A)
    assert update_monitored(actor=users["township"], monitored=create_monitored(
        actor=users["township"], **fields(number="BY0002", division_code=f.VILLAGE_A2)), members=4).members == 4


@pytest.mark.parametrize(("override", "field", "message"), [
    ({"head_id_number": "110105194912310021"}, "head_id_number", "校验位"),
    ({"division_code": f.TOWNSHIP_A}, "division_code", "不是已知的村"),
    ({"division_code": "32032110100"}, "division_code", "12位"),
    ({"members": 0}, "members", "1至99"),
    ({"per_capita_income": "abc"}, "per_capita_income", "金额"),
    ({"head_name": " "}, "head_name", "必填"),
    ({"year": "20x0"}, "year", "年份"),
])
def test_bad_fields_are_refused_by_name(users, override, field, message):
    with pytest.raises(ValidationError) as exc:
        create_monitored(actor=users["county"], **fields(**override))
    assert message in exc.value.message_dict[field][0]
    assert not MonitoredHousehold.objects.exists()


def test_registry_member_and_duplicates_are_refused(users, household_a):
    county = users["county"]
    with pytest.raises(ValidationError) as exc:
        create_monitored(actor=county, **fields(head_id_number=household_a.head_id_number))
    assert "建档立卡" in exc.value.message_dict["head_id_number"][0]
    first = create_monitored(actor=county, **fields())
    with pytest.raises(ValidationError) as exc:
        create_monitored(actor=county, **fields(head_id_number=f.new_id()))
    assert "BY0001" in exc.value.message_dict["number"][0]
    with pytest.raises(ValidationError) as exc:
        create_monitored(actor=county, **fields(number="BY0002", head_id_number=first.head_id_number))
    assert "BY0001" in exc.value.message_dict["head_id_number"][0]
    # The same person may be monitored again next year.
    assert create_monitored(actor=county, **fields(year=2021, head_id_number=first.head_id_number)).year == 2021


def test_a_county_level_household_from_comparison_can_be_edited_in_place(users):
    household = MonitoredHousehold.objects.create(number="JC2020000001", year=2020, division_id=f.COUNTY,
                                                  head_name="低保户主", head_id_number=f.new_id(),
                                                  source=MonitoredSource.COMPARISON)
    update_monitored(actor=users["county"], monitored=household, phone="13900003333")
    with pytest.raises(ValidationError):
        update_monitored(actor=users["county"], monitored=household, division_code=f.TOWNSHIP_A)
    update_monitored(actor=users["county"], monitored=household, division_code=f.VILLAGE_B)
    household.refresh_from_db()
    assert (household.phone, household.division_id) == ("13900003333", f.VILLAGE_B)


# --- import ---------------------------------------------------------------------------------------------


def test_import_creates_then_updates_in_place(users, tmp_path):
    clerk = users["clerk"]
    ids = [f.new_id(), f.new_id()]
    path = write_csv(tmp_path / "m.csv", [row("BY0001", ids[0]), row("BY0002", ids[1], income="")])
    outcome = import_monitored(path, actor=clerk)
    assert (outcome.created, outcome.updated, outcome.errors, outcome.written) == (2, 0, [], True)
    first = MonitoredHousehold.objects.get(number="BY0001")
    assert first.source == MonitoredSource.IMPORT and first.per_capita_income == Decimal("6000.00")
    assert first.history.get().history_user == clerk
    assert MonitoredHousehold.objects.get(number="BY0002").per_capita_income is None

    again = import_monitored(path, actor=clerk)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert first.history.count() == 1

    write_csv(path, [row("BY0001", ids[0], income="5000"), row("BY0002", ids[1], income="")])
    changed = import_monitored(path, actor=clerk)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    first.refresh_from_db()
    assert first.per_capita_income == Decimal("5000.00") and first.history.count() == 2
    assert first.history.first().history_user == clerk


def test_import_reports_every_bad_row_and_writes_nothing(users, household_a, tmp_path):
    good = f.new_id()
    twice = f.new_id()
    rows = [
        row("BY0001", good),                                 # row 2: fine
        row("BY0002", "110105194912310021"),                 # row 3: bad check digit
        row("BY0003", f.new_id(), village=f.VILLAGE_B),      # row 4: another village (clerk A)
        row("BY0001", f.new_id()),                           # row 5: key twice
        row("BY0005", f.new_id(), members="0"),              # row 6: members out of range
        row("BY0006", household_a.head_id_number),           # row 7: a registry member
        row("BY0007", twice),                                # row 8: fine
        row("BY0008", twice),                                # row 9: same head twice
        row("", f.new_id(), income="12,000"),                # row 10: no number, bad money
    ]
    path = write_csv(tmp_path / "m.csv", rows)
    outcome = import_monitored(path, actor=users["clerk"])
    found = [(e.row, e.column, e.message) for e in outcome.errors]
    assert [(r, column) for r, column, _ in found] == [
        (3, "户主身份证号"), (4, "区划代码"), (5, "监测户编号"), (6, "家庭人口"), (7, "户主身份证号"),
        (9, "户主身份证号"), (10, "监测户编号"), (10, "人均可支配收入")]
    assert "校验位" in found[0][2] and "管辖范围" in found[1][2] and "第2行重复" in found[2][2]
    assert "建档立卡" in found[4][2] and "第8行重复" in found[5][2] and found[6][2] == "必填"
    assert not outcome.written and not MonitoredHousehold.objects.exists()

    partial = import_monitored(path, actor=users["clerk"], partial=True)
    assert partial.written and (partial.created, partial.skipped) == (2, 7)
    assert set(MonitoredHousehold.objects.values_list("number", flat=True)) == {"BY0001", "BY0007"}


def test_a_missing_column_rejects_the_file_whole(users, tmp_path):
    headers = [h for h in HEADERS if h != "户主身份证号"]
    path = write_csv(tmp_path / "m.csv", [["BY0001", "2020", f.VILLAGE_A, "户主", "", "", "", ""]], headers)
    outcome = import_monitored(path, actor=users["county"], partial=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, "户主身份证号")]
    assert not outcome.written and not MonitoredHousehold.objects.exists()


def test_import_of_xlsx_with_english_headers_and_roles(users, tmp_path):
    import xlsxwriter

    path = tmp_path / "m.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("监测户信息")
    sheet.write_row(0, 0, [column.field for column in SPEC])
    sheet.write_row(1, 0, ["BY0001", 2020, f.VILLAGE_A, "户主", f.new_id(), "", 2, 4500.5, "备注"])
    book.close()
    with pytest.raises(PermissionDenied):
        import_monitored(path, actor=users["supervisor"])
    outcome = import_monitored(path, actor=users["county"])
    assert outcome.created == 1
    household = MonitoredHousehold.objects.get()
    assert (household.members, household.per_capita_income, household.note) == (2, Decimal("4500.50"), "备注")
    with pytest.raises(TransferFileError):
        import_monitored(tmp_path / "missing.csv", actor=users["county"])


def test_cli_import_exit_status_and_error_report(users, tmp_path, capsys):
    bad = write_csv(tmp_path / "bad.csv", [row("BY0001", "110105194912310021")])
    report = tmp_path / "errors.csv"
    with pytest.raises(SystemExit) as exc:
        call_command("monitored", "import", str(bad), "--user", "clerk_a", "--errors", str(report))
    assert exc.value.code == 2
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["文件", "工作表", "行", "列", "值", "说明"] and lines[1][2:4] == ["2", "户主身份证号"]
    assert "110105194912310021" not in report.read_text(encoding="utf-8-sig")   # masked in the report
    good = write_csv(tmp_path / "good.csv", [row("BY0001", f.new_id())])
    call_command("monitored", "import", str(good), "--user", "clerk_a")
    assert "新增 1 户" in capsys.readouterr().out
    template = tmp_path / "template.xlsx"
    call_command("monitored", "template", str(template))
    from python_calamine import CalamineWorkbook

    assert CalamineWorkbook.from_path(str(template)).get_sheet_by_index(0).to_python()[0] == HEADERS
