"""End to end: synthetic files of one county covering every F-/P- rule, with records that must and must not be
flagged (the boundaries of issue 13's Acceptance list) → `sunshine funds import` each file → `sunshine funds
check --year 2020 --today 2020-12-31 --out x.json` → the keys of funds.md §7, masked and unmasked ID numbers,
the findings stored in the verification workflow, and a second check linking them as recurring.

Check date T = 2020-12-31, so T − 90 days = 2020-10-02 (due) and 2020-10-03 is 89 days before (not due)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from sunshine.comparison.datasets import load_dataset
from sunshine.comparison.models import Finding, FindingOccurrence
from sunshine.core.ids import mask_id_number
from sunshine.funds.models import Announcement, Payment, Project
from sunshine.registry import choices as c
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
KEYS = {"rule", "severity", "year", "subject", "key", "household_no", "id_number", "amount", "explanation"}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def write_csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def funds(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("funds", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        raise AssertionError(f"exit {exc.code}: {err.getvalue()}") from exc
    return out.getvalue()


def people(household_year) -> list[str]:
    """ID numbers of the household's members, the head first."""
    members = household_year.members.select_related("person").order_by("pk")
    return [m.person.id_number for m in members]


@pytest.fixture
def county_files(users, tmp_path):
    """The registry (households A, B, C), a deaths dataset, and the seven funds files of the county."""
    actor = users["county"]
    ha = f.make_household(actor, village=f.VILLAGE_A, household_no="HA", members=3)
    hb = f.make_household(actor, village=f.VILLAGE_B, household_no="HB", members=2)
    # 脱贫不脱政策: an exited household keeps its policies.
    hc = f.make_household(actor, village=f.VILLAGE_A, household_no="HC", members=1,
                          status=c.HouseholdStatus.EXITED, exit_year=2019)
    a_head, a_child1, a_child2 = people(ha)
    b_head = people(hb)[0]
    c_head = people(hc)[0]
    outsider = f.new_id(dt.date(1980, 1, 1))
    # A death known only to the 公安 deaths dataset (the registry still lists the member as 在册).
    deaths = write_csv(tmp_path / "deaths.csv", ["身份证号", "姓名", "死亡日期"], [[a_child2, "成员2", "2020-05-01"]])
    outcome = load_dataset("deaths", deaths, actor=actor)
    assert outcome.written, outcome.errors

    files = {
        "projects": (["项目编号", "项目名称", "区划代码", "项目类别", "年度", "预算金额", "项目状态", "计划完工",
                      "实际完工"], [
            ["XM-IDLE", "村道硬化", f.VILLAGE_A, "基础设施", 2020, "500000", "实施", "2021-06-30", None],
            ["XM-FRESH", "桥梁维修", f.VILLAGE_A, "基础设施", 2020, "500000", "实施", "2020-12-31", None],
            ["XM-OVER", "危房改造", f.TOWNSHIP_A, "住房安全", 2020, "100000", "完工", "2020-09-30", "2020-09-30"],
            ["XM-LATE", "水渠", f.VILLAGE_B, "基础设施", 2020, "80000", "实施", "2020-12-30", None],
            ["XM-NOBEN", "养殖基地", f.VILLAGE_A, "产业发展", 2020, "90000", "验收", "2020-06-30", "2020-06-30"],
            ["XM-BEN", "种植基地", f.VILLAGE_A, "产业发展", 2020, "90000", "验收", "2020-06-30", "2020-06-30"],
        ]),
        "project_beneficiaries": (["项目编号", "户编号"], [["XM-BEN", "HA"]]),
        "funds": (["资金编号", "文号", "资金来源", "年度", "下达日期", "金额"], [
            ["ZJ-DUE", "苏财农〔2020〕9号", "中央财政", 2020, "2020-10-02", "1000000"],
            ["ZJ-NEW", "苏财农〔2020〕10号", "省级财政", 2020, "2020-10-03", "500000"],
            ["ZJ-FULL", "苏财农〔2020〕1号", "县级财政", 2020, "2020-01-10", "100000"],
        ]),
        "allocations": (["资金编号", "项目编号", "拨付日期", "金额"], [
            ["ZJ-DUE", "XM-IDLE", "2020-10-02", "300000"],
            ["ZJ-NEW", "XM-FRESH", "2020-10-03", "300000"],
            ["ZJ-FULL", "XM-OVER", "2020-03-01", "100000"],
        ]),
        "expenditures": (["项目编号", "支出日期", "金额", "收款单位", "用途"], [
            ["XM-IDLE", "2020-11-01", "100000", "县建筑公司", "工程款"],
            ["XM-OVER", "2020-05-01", "120000", "县建筑公司", "工程款"],
        ]),
        "payments": (["发放编号", "身份证号", "姓名", "户编号", "补贴项目", "所属期", "金额", "发放日期"], [
            ["P01", a_child1, "成员1", "HA", "教育资助", "2020", "2000", "2020-09-01"],
            ["P02", a_child2, "成员2", "HA", "医保个人缴费补贴", "2020", "280", "2020-06-01"],
            ["P03", a_head, "甲户主", "HA", "公益性岗位补贴", "2020-03", "800", "2020-04-01"],
            ["P04", a_head, "甲户主", "HA", "公益性岗位补贴", "2020-04", "800", "2020-05-01"],
            ["P05", a_head, "甲户主", "HA", "危房改造补助", "2020", "30000", "2020-05-01"],
            ["P06", a_child1, "成员1", None, "危房改造补助", "2020", "30000", "2020-06-01"],
            ["P07", b_head, "乙户主", "HB", "产业奖补", "2020", "5000", "2020-07-01"],
            ["P08", c_head, "丙户主", "HC", "医保个人缴费补贴", "2020", "280", "2020-03-01"],
            ["P09", outsider, "外人", None, "教育资助", "2020", "2000", "2020-09-01"],
        ]),
        "village_cadres": (["身份证号", "姓名", "区划代码", "职务", "任职开始", "任职结束"], [
            [b_head, "乙户主", f.VILLAGE_B, "书记", "2018-01-01", None],
            # A term that ended before the payment to the household: no F-CADRE.
            [c_head, "丙户主", f.VILLAGE_A, "主任", "2015-01-01", "2019-12-31"],
        ]),
    }
    paths = {}
    for kind, (headers, rows) in files.items():
        paths[kind] = write_csv(tmp_path / f"{kind}.csv", headers, rows)
    return {"paths": paths, "outsider": outsider, "households": (ha, hb, hc)}


ORDER = ("projects", "funds", "allocations", "expenditures", "project_beneficiaries", "village_cadres", "payments")


def import_all(paths: dict[str, Path]) -> None:
    for kind in ORDER:
        out = funds("import", kind, str(paths[kind]), "--user", "county")
        assert "错误 0 条" in out, out


def by_rule(records: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for r in records:
        found.setdefault(r["rule"], set()).add(r["key"])
    return found


def test_import_then_check_finds_exactly_the_planted_problems(county_files, tmp_path):
    paths = county_files["paths"]
    import_all(paths)
    # An approval announcement that ran before any spending: XM-FRESH is announced, XM-IDLE is not.
    fresh = Project.objects.get(project_no="XM-FRESH")
    Announcement.objects.create(project=fresh, kind="approval", title="立项公告", start_date=dt.date(2020, 1, 1),
                                end_date=dt.date(2020, 1, 10))
    ben = Project.objects.get(project_no="XM-BEN")
    Announcement.objects.create(project=ben, kind="approval", title="立项公告", start_date=dt.date(2020, 1, 1),
                                end_date=dt.date(2020, 1, 10))
    Announcement.objects.create(project=ben, kind="result", title="结果公告", start_date=dt.date(2020, 7, 1),
                                end_date=dt.date(2020, 7, 10))
    # Re-importing every file changes nothing.
    for kind in ORDER:
        out = funds("import", kind, str(paths[kind]), "--user", "county")
        assert "新增 0 条,更新 0 条" in out and "错误 0 条" in out, (kind, out)

    out_file = tmp_path / "x.json"
    printed = funds("check", "--year", "2020", "--today", "2020-12-31", "--out", str(out_file), "--user", "county")
    assert "资金项目核查" in printed
    records = json.loads(out_file.read_text(encoding="utf-8"))
    assert records and all(set(r) == KEYS for r in records)
    found = by_rule(records)
    assert found["F-DELAY"] == {"ZJ-DUE"}                      # issued exactly 90 days before T; ZJ-NEW (89) not
    assert found["F-IDLE"] == {"XM-IDLE"}                      # allocated on T − 90; XM-FRESH (T − 89) not
    assert found["F-OVERSPEND"] == {"XM-OVER"}
    assert found["P-OVERDUE"] == {"XM-LATE"}                   # planned_end T − 1; XM-FRESH ends on T: not
    assert found["P-NOBENEFIT"] == {"XM-NOBEN"}
    assert "XM-IDLE" in found["P-NOANNOUNCE"] and not {"XM-FRESH", "XM-BEN"} & found["P-NOANNOUNCE"]
    # The payment rules: after a death known only to the deaths dataset (P02), and someone never registered
    # (P09); not the exited household's P08.
    assert found["F-INELIGIBLE"] == {"P02", "P09"}
    # A once-ever household item paid to two members of one household: F-DUP and F-OVER; the monthly item
    # paid for two different months (P03, P04) is neither.
    assert found["F-DUP"] == {"P05;P06"}
    assert found["F-OVER"] == {"P05;P06"}
    # A serving cadre's household (P07); a cadre whose term ended before the payment (P08) is not flagged.
    assert found["F-CADRE"] == {"P07"}

    rows = {(r["rule"], r["key"]): r for r in records}
    over = rows[("F-OVER", "P05;P06")]
    assert (over["subject"], over["household_no"], over["amount"], over["year"]) == ("payment", "HA", 30000.0, 2020)
    assert rows[("F-DELAY", "ZJ-DUE")]["amount"] == 700000.0
    assert rows[("F-IDLE", "XM-IDLE")]["amount"] == 200000.0
    assert rows[("F-OVERSPEND", "XM-OVER")]["amount"] == 20000.0
    outsider = county_files["outsider"]
    stranger = rows[("F-INELIGIBLE", "P09")]
    assert stranger["id_number"] == mask_id_number(outsider) != outsider
    assert outsider not in out_file.read_text(encoding="utf-8")

    # The findings are in the verification workflow: a payment's owned by the household's village, a project's
    # or fund's by the county.
    cadre = Finding.objects.get(rule="F-CADRE")
    assert (cadre.subject, cadre.key, cadre.amount, cadre.division_id, cadre.status) == (
        "payment", "P07", Decimal("5000.00"), f.VILLAGE_B, "pending")
    assert cadre.household.household_no == "HB"
    idle = Finding.objects.get(rule="F-IDLE")
    assert (idle.subject, idle.key, idle.amount, idle.division_id) == ("project", "XM-IDLE", Decimal("200000.00"),
                                                                      f.COUNTY)
    assert Finding.objects.get(rule="F-DELAY").division_id == f.COUNTY
    total = Finding.objects.count()
    assert total == len({(r["rule"], r["key"]) for r in records})

    # A second check links the same problems as recurring, not as new findings.
    unmasked = tmp_path / "full.json"
    printed = funds("check", "--year", "2020", "--today", "2020-12-31", "--out", str(unmasked), "--unmasked",
                    "--user", "county")
    assert f"新发现 0,再次发现 {total}" in printed
    assert Finding.objects.count() == total
    assert FindingOccurrence.objects.filter(recurring=True).count() == total
    full = {(r["rule"], r["key"]): r for r in json.loads(unmasked.read_text(encoding="utf-8"))}
    assert full[("F-INELIGIBLE", "P09")]["id_number"] == outsider
    assert Payment.objects.get(payment_no="P06").household.household_no == "HA"   # found by the payee's hash


def test_findings_without_an_owner_are_kept_by_county_runs_only():
    """A payment to someone outside the registry naming no project or fund has no owner division: the
    engine's division filter used to drop it, so F-INELIGIBLE never reported the plainest case."""
    import pyarrow as pa

    from sunshine.funds.check.services import within

    table = pa.table({"division_code": [f.VILLAGE_A, None, f.VILLAGE_B], "key": ["a", "nobody", "b"]})
    assert within(table, "320321").column("key").to_pylist() == ["a", "nobody", "b"]
    assert within(table, f.VILLAGE_A).column("key").to_pylist() == ["a"]
