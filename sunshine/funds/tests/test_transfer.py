"""`sunshine funds import KIND FILE`: every kind, Chinese or English headers, csv (UTF-8, BOM, GB18030), xlsx
and parquet; re-import changes nothing; a bad file writes nothing and reports row and column; --partial;
references and scope; who may import."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.core.crypto import keyed_hash
from sunshine.core.models import AccessLog
from sunshine.funds.models import (
    Allocation,
    Expenditure,
    Fund,
    Payment,
    Project,
    ProjectBeneficiary,
    ProjectTransition,
    VillageCadre,
)
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
COUNTY = f.COUNTY
OTHER_COUNTY = "320322000000"   # 沛县, shipped by the reference data


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def write_csv(path: Path, headers: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("funds", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def import_(kind: str, path: Path, *extra: str, user: str = "county") -> tuple[int, str, str]:
    return run("import", kind, str(path), "--user", user, *extra)


PROJECT_HEADERS = ["项目编号", "项目名称", "区划代码", "项目类别", "年度", "预算金额", "项目状态", "计划完工"]
PROJECT_ROWS = [["XM001", "村道硬化", f.VILLAGE_A, "基础设施", 2020, "500000.00", "实施", "2020-10-31"],
                ["XM002", "养殖奖补", f.TOWNSHIP_A, "产业发展", 2020, "200000", "批复", None]]


def projects_file(tmp_path: Path, rows: list[list[object]] | None = None, **kw: str) -> Path:
    return write_csv(tmp_path / "projects.csv", PROJECT_HEADERS, PROJECT_ROWS if rows is None else rows, **kw)


def test_projects_import_counts_and_reimport_changes_nothing(users, tmp_path):
    path = projects_file(tmp_path)
    code, out, err = import_("projects", path)
    assert code == 0, err
    assert "新增 2 条,更新 0 条,未变 0 条,错误 0 条" in out
    road = Project.objects.get(project_no="XM001")
    assert (road.county_id, road.division_id, road.category, road.status, road.budget) == (
        COUNTY, f.VILLAGE_A, "infrastructure", "implementing", Decimal("500000.00"))
    assert road.planned_end == dt.date(2020, 10, 31)
    transition = ProjectTransition.objects.get(project=road)
    assert (transition.from_status, transition.to_status, transition.user.username) == ("", "implementing", "county")
    stamp = road.updated_at
    code, out, _ = import_("projects", path)
    assert code == 0 and "新增 0 条,更新 0 条,未变 2 条" in out
    road.refresh_from_db()
    assert road.updated_at == stamp and ProjectTransition.objects.count() == 2
    assert AccessLog.objects.filter(object_type="funds_projects").count() == 2


def test_a_changed_row_updates_and_signs_the_status_change(users, tmp_path):
    import_("projects", projects_file(tmp_path))
    rows = [list(PROJECT_ROWS[0]), list(PROJECT_ROWS[1])]
    rows[0][6] = "完工"
    rows[1][5] = "250000.00"
    code, out, _ = import_("projects", projects_file(tmp_path, rows))
    assert code == 0 and "新增 0 条,更新 2 条,未变 0 条" in out
    assert Project.objects.get(project_no="XM002").budget == Decimal("250000.00")
    last = ProjectTransition.objects.filter(project__project_no="XM001").last()
    assert (last.from_status, last.to_status) == ("implementing", "completed")


def test_a_bad_file_writes_nothing_and_reports_row_and_column(users, tmp_path):
    rows = [PROJECT_ROWS[0], ["XM002", "养殖奖补", "320321101", "产业", 2020, "abc", None, None],
            ["XM001", "重复", f.VILLAGE_A, "其他", 2020, "1", None, None]]
    report = tmp_path / "errors.csv"
    code, out, err = import_("projects", projects_file(tmp_path, rows), "--errors", str(report))
    assert code == 2 and out == ""
    assert Project.objects.count() == 0
    with report.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["文件", "工作表", "行", "列", "值", "说明"]
    found = {(r[2], r[3]) for r in lines[1:]}
    assert {("3", "区划代码"), ("3", "项目类别"), ("3", "预算金额"), ("4", "项目编号")} <= found
    assert "与第2行重复" in report.read_text(encoding="utf-8-sig")
    assert "未写入任何数据" in err


def test_partial_writes_the_good_rows(users, tmp_path):
    rows = [PROJECT_ROWS[0], ["XM002", "养殖奖补", f.VILLAGE_A, "产业", 2020, "1", None, None]]
    code, out, _ = import_("projects", projects_file(tmp_path, rows), "--partial")
    assert code == 2
    assert "新增 1 条,更新 0 条,未变 0 条,错误 1 条" in out
    assert list(Project.objects.values_list("project_no", flat=True)) == ["XM001"]


def test_missing_required_column_refuses_the_file_even_with_partial(users, tmp_path):
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADERS[:3], [r[:3] for r in PROJECT_ROWS])
    code, _, err = import_("projects", path, "--partial")
    assert code == 2 and "缺少必填列“项目类别”" in err
    assert not Project.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(users, tmp_path, encoding):
    code, _, err = import_("projects", projects_file(tmp_path, encoding=encoding))
    assert code == 0, err
    assert Project.objects.get(project_no="XM002").name == "养殖奖补"


def test_english_headers_xlsx_and_parquet(users, tmp_path):
    english = ["project_no", "name", "division_code", "category", "year", "budget", "status", "planned_end"]
    code, _, err = import_("projects", write_xlsx(tmp_path / "p.xlsx", english, PROJECT_ROWS))
    assert code == 0, err
    fund_table = pa.table({"fund_no": ["ZJ1"], "source": ["中央财政"], "year": [2020],
                           "issued_date": [dt.date(2020, 1, 5)], "amount": ["1000000.00"]})
    pq.write_table(fund_table, tmp_path / "funds.parquet")
    code, _, err = import_("funds", tmp_path / "funds.parquet")
    assert code == 0, err
    fund = Fund.objects.get()
    assert (fund.county_id, fund.source, fund.issued_date, fund.amount) == (
        COUNTY, "central", dt.date(2020, 1, 5), Decimal("1000000.00"))


def test_scope_and_roles(users, tmp_path):
    rows = [["XM009", "外县项目", "320322100001", "其他", 2020, "1", None, None]]
    code, _, err = import_("projects", projects_file(tmp_path, rows))
    assert code == 2 and "管辖范围" in err
    with pytest.raises(CommandError, match="县级管理员和系统管理员"):
        import_("projects", projects_file(tmp_path), user="township_a")
    # An administrator places the row by its own division code.
    code, _, err = import_("projects", projects_file(tmp_path), user="admin")
    assert code == 0, err


def _library(tmp_path: Path) -> None:
    assert import_("projects", projects_file(tmp_path))[0] == 0
    funds = write_csv(tmp_path / "funds.csv", ["资金编号", "文号", "资金来源", "年度", "下达日期", "金额"],
                      [["ZJ1", "苏财农〔2020〕1号", "中央财政", 2020, "2020-01-05", "1000000"]])
    assert import_("funds", funds)[0] == 0


def test_allocations_expenditures_reimport_and_references(users, tmp_path):
    _library(tmp_path)
    alloc = write_csv(tmp_path / "a.csv", ["资金编号", "项目编号", "拨付日期", "金额"],
                      [["ZJ1", "XM001", "2020-02-01", "100000"], ["ZJ1", "XM001", "2020-02-01", "100000"],
                       ["ZJ1", "XM002", "2020-03-01", "50000"]])
    code, out, _ = import_("allocations", alloc)
    assert code == 0 and "新增 3 条" in out
    code, out, _ = import_("allocations", alloc)
    assert "新增 0 条,更新 0 条,未变 3 条" in out and Allocation.objects.count() == 3
    bad = write_csv(tmp_path / "b.csv", ["资金编号", "项目编号", "拨付日期", "金额"],
                    [["ZJ9", "XM001", "2020-02-01", "1"], ["ZJ1", "XM404", "2020-02-01", "1"]])
    code, _, err = import_("allocations", bad)
    assert code == 2 and "第2行 资金编号" in err and "第3行 项目编号" in err
    spend = write_csv(tmp_path / "e.csv", ["project_no", "date", "amount", "payee", "purpose"],
                      [["XM001", "2020-05-01", "80000", "县建筑公司", "工程款"]])
    assert import_("expenditures", spend)[0] == 0
    spend2 = write_csv(tmp_path / "e2.csv", ["project_no", "date", "amount", "payee", "purpose"],
                       [["XM001", "2020-05-01", "80000", "县建筑公司", "工程进度款"]])
    code, out, _ = import_("expenditures", spend2)
    assert "更新 1 条" in out
    assert Expenditure.objects.get().purpose == "工程进度款"


def test_beneficiaries_and_payments(users, household_a, household_b, tmp_path):
    _library(tmp_path)
    path = write_csv(tmp_path / "b.csv", ["项目编号", "户编号"],
                     [["XM002", household_a.household.household_no], ["XM002", "NOPE"]])
    code, _, err = import_("project_beneficiaries", path, "--partial")
    assert "第3行 户编号" in err
    assert ProjectBeneficiary.objects.get().household == household_a.household
    head = household_a.head_id_number
    member = household_b.household.years.get(year=2020).members.exclude(person__id_number=household_b.head_id_number)
    child = member.first().person
    rows = [["FF1", head, None, "甲户主", household_a.household.household_no, "教育资助", "2020", "2000", "2020-09-01",
             "ZJ1", "XM002", None],
            ["FF2", None, keyed_hash(child.id_number), "成员1", None, "公益性岗位补贴", "2020-03", "800",
             "2020-04-01", None, None, None],
            ["FF3", None, "ab" * 32, "外人", None, "临时救助", "2020", "500", "2020-04-01", None, None, None]]
    headers = ["发放编号", "身份证号", "身份证号哈希", "姓名", "户编号", "补贴项目", "所属期", "金额", "发放日期",
               "资金编号", "项目编号", "贷款编号"]
    path = write_csv(tmp_path / "pay.csv", headers, rows)
    code, out, err = import_("payments", path)
    assert code == 0, err
    first = Payment.objects.get(payment_no="FF1")
    assert (first.id_number, first.id_number_hash, first.household, first.item, first.fund.fund_no,
            first.project.project_no) == (head, keyed_hash(head), household_a.household, "education_aid", "ZJ1",
                                          "XM002")
    second = Payment.objects.get(payment_no="FF2")
    assert (second.id_number, second.id_hash, second.household, second.household_no, second.period) == (
        "", keyed_hash(child.id_number), household_b.household, household_b.household.household_no, "2020-03")
    outsider = Payment.objects.get(payment_no="FF3")
    assert outsider.household is None and outsider.county_id == COUNTY and outsider.id_hash == "ab" * 32
    code, out, _ = import_("payments", path)
    assert "未变 3 条" in out
    wrong = [["FF4", head, None, "x", None, "公益性岗位补贴", "2020", "800", "2020-04-01", None, None, None],
             ["FF5", "110101199003071234", None, "x", None, "教育资助", "2020", "1", "2020-04-01", None, None, None],
             ["FF6", None, None, "x", None, "小额信贷贴息", "2020", "1", "2020-04-01", None, None, None]]
    code, _, err = import_("payments", write_csv(tmp_path / "w.csv", headers, wrong))
    assert code == 2
    assert "第2行 所属期" in err and "第3行 身份证号" in err and "第4行 身份证号" in err and "第4行 贷款编号" in err
    assert Payment.objects.count() == 3


def test_village_cadres(users, tmp_path):
    number = f.new_id(dt.date(1975, 1, 1))
    headers = ["身份证号", "姓名", "区划代码", "职务", "任职开始", "任职结束"]
    path = write_csv(tmp_path / "c.csv", headers, [[number, "王书记", f.VILLAGE_A, "书记", "2018-01-01", None]])
    assert import_("village_cadres", path)[0] == 0
    cadre = VillageCadre.objects.get()
    assert (cadre.id_number_hash, cadre.position, cadre.end_date) == (keyed_hash(number), "secretary", None)
    path = write_csv(tmp_path / "c.csv", headers,
                     [[number, "王书记", f.VILLAGE_A, "书记", "2018-01-01", "2020-12-31"]])
    code, out, _ = import_("village_cadres", path)
    assert "更新 1 条" in out
    assert VillageCadre.objects.get().end_date == dt.date(2020, 12, 31)
    bad = write_csv(tmp_path / "d.csv", headers, [[number, "王书记", f.VILLAGE_A, "书记", "2018-01-01", "2017-01-01"]])
    code, _, err = import_("village_cadres", bad)
    assert code == 2 and "任职结束不能早于任职开始" in err


def test_export_round_trips_and_is_formula_safe(users, household_a, tmp_path):
    rows = [list(PROJECT_ROWS[0]), list(PROJECT_ROWS[1])]
    rows[1][1] = "=HYPERLINK(\"http://x\")"
    _library(tmp_path)
    assert import_("projects", projects_file(tmp_path, rows))[0] == 0
    head = household_a.head_id_number
    headers = ["发放编号", "身份证号", "姓名", "户编号", "补贴项目", "所属期", "金额", "发放日期", "资金编号"]
    pay = write_csv(tmp_path / "pay.csv", headers,
                    [["FF1", head, "甲户主", household_a.household.household_no, "教育资助", "2020", "2000",
                      "2020-09-01", "ZJ1"]])
    assert import_("payments", pay)[0] == 0
    for kind in ("projects", "payments", "funds"):
        for suffix in (".csv", ".xlsx"):
            out = tmp_path / f"out-{kind}{suffix}"
            code, printed, err = run("export", kind, "--year", "2020", "--out", str(out), "--user", "county")
            assert code == 0 and "已导出" in printed, err
            code, printed, err = import_(kind, out)
            assert code == 0 and "新增 0 条,更新 0 条" in printed, (kind, suffix, err)
    text = (tmp_path / "out-projects.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "基础设施" in text and "实施" in text
    assert head in (tmp_path / "out-payments.csv").read_text(encoding="utf-8-sig")
    log = AccessLog.objects.filter(action="export", object_type="funds_payments").first()
    assert log is not None and "含完整身份证号" in log.detail
    # A role that may not see ID numbers gets them masked, and only its own scope.
    masked = tmp_path / "masked.csv"
    assert run("export", "payments", "--year", "2020", "--out", str(masked), "--user", "analyst")[0] == 0
    content = masked.read_text(encoding="utf-8-sig")
    assert head not in content and f"{head[:6]}" in content
    clerk_b = tmp_path / "clerk_b.csv"
    assert run("export", "payments", "--year", "2020", "--out", str(clerk_b), "--user", "clerk_b")[0] == 0
    assert "FF1" not in clerk_b.read_text(encoding="utf-8-sig")


def test_templates(tmp_path):
    for kind in ("projects", "payments", "village_cadres"):
        out = tmp_path / f"{kind}.xlsx"
        code, printed, _ = run("template", kind, "--out", str(out))
        assert code == 0
        book = openpyxl.load_workbook(out)
        headers = [c.value for c in book.worksheets[0][1]]
        assert "填写说明" in book.sheetnames
        assert {"projects": "项目编号", "payments": "发放编号", "village_cadres": "身份证号"}[kind] == headers[0]
    out = tmp_path / "funds.csv"
    assert run("template", "funds", "--out", str(out))[0] == 0
    assert out.read_text(encoding="utf-8-sig").startswith("资金编号,文号,资金来源")


def test_admin_rows_are_placed_by_their_numbers_or_need_county(users, tmp_path):
    _library(tmp_path)
    other = Project.objects.get(project_no="XM001")
    Project.objects.create(county_id=OTHER_COUNTY, project_no="XM001", name="同号项目", division_id=OTHER_COUNTY,
                           category="other", year=2020, budget=Decimal("1"))
    Fund.objects.create(county_id=OTHER_COUNTY, fund_no="ZJ1", source="central", year=2020,
                        issued_date=dt.date(2020, 1, 1), amount=Decimal("1"))
    path = write_csv(tmp_path / "a.csv", ["资金编号", "项目编号", "拨付日期", "金额"],
                     [["ZJ1", "XM001", "2020-02-01", "100"], ["ZJ1", "XM002", "2020-02-01", "100"]])
    code, _, err = import_("allocations", path, user="admin")
    assert code == 2 and "第2行 资金编号: 多个县有相同的编号" in err and "第3行" not in err
    code, out, err = import_("allocations", path, "--county", COUNTY, user="admin")
    assert code == 0, err
    assert set(Allocation.objects.values_list("project__county_id", flat=True)) == {COUNTY}
    assert Allocation.objects.filter(project=other).count() == 1
    # A county manager may not name another county.
    with pytest.raises(CommandError, match="不在您的管辖范围内"):
        import_("allocations", path, "--county", OTHER_COUNTY)


def test_a_payee_changed_in_the_file_is_rehashed(users, household_a, tmp_path):
    headers = ["发放编号", "身份证号", "身份证号哈希", "姓名", "补贴项目", "所属期", "金额", "发放日期"]
    first, second = f.new_id(), f.new_id()
    for number in (first, second):
        row = ["FF1", number, None, "某", "临时救助", "2020", "10", "2020-05-01"]
        path = write_csv(tmp_path / "p.csv", headers, [row])
        assert import_("payments", path)[0] == 0
    payment = Payment.objects.get()
    assert (payment.id_number, payment.id_number_hash) == (second, keyed_hash(second))
    row = ["FF1", None, "cd" * 32, "某", "临时救助", "2020", "10", "2020-05-01"]
    path = write_csv(tmp_path / "p.csv", headers, [row])
    assert import_("payments", path)[0] == 0
    payment.refresh_from_db()
    assert (payment.id_number, payment.id_number_hash, payment.id_hash, payment.payee_hash) == ("", "", "cd" * 32,
                                                                                               "cd" * 32)
