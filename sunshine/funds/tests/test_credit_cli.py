"""End to end (issue 14): loan, repayment, asset and income files → `sunshine loans import` / `sunshine assets
import` → `sunshine loans subsidy` and `sunshine assets dividends` with the exact amounts of the acceptance cases
(funds.md §5–6) → `sunshine funds check` raising the L-* findings and F-OVER against the computed standards.

2020 is a leap year; every loan runs at 0.05 a year on 36,000 元, so a day earns 36000 × 0.05 ÷ 360 = 5.00 元."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from sunshine.comparison.models import Finding
from sunshine.funds.choices import LoanAction
from sunshine.funds.models_credit import Asset, AssetIncome, Loan, LoanEvent, LoanRepayment
from sunshine.registry import choices as c
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
V_A, V_A2 = f.VILLAGE_A, f.VILLAGE_A2


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def write_csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def run(command: str, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        raise AssertionError(f"exit {exc.code}: {err.getvalue()}") from exc
    return out.getvalue()


def failing(command: str, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(command, *args, stdout=out, stderr=err)
    assert exc.value.code == 2
    return err.getvalue()


def head_id(household_year) -> str:
    return household_year.members.select_related("person").order_by("pk")[0].person.id_number


LOAN_HEADERS = ["贷款编号", "户编号", "身份证号", "姓名", "放款银行", "放款日期", "到期日期", "展期到期日", "贷款金额",
                "年利率", "担保方式", "贷款用途", "续贷"]


@pytest.fixture
def county(users, tmp_path):
    actor = users["county"]
    ha = f.make_household(actor, village=V_A, household_no="HA", members=3)
    hb = f.make_household(actor, village=V_A, household_no="HB", members=1, status=c.HouseholdStatus.RETURNED)
    f.make_household(actor, village=V_A, household_no="HC", members=2, status=c.HouseholdStatus.EXITED,
                     exit_year=2018)      # exited two years ago: still shares
    f.make_household(actor, village=V_A, household_no="HD", members=4, status=c.HouseholdStatus.EXITED,
                     exit_year=2017)      # three years ago: no longer
    old = f.make_household(actor, village=f.VILLAGE_B, household_no="HO", members=1,
                           head_id=f.new_id(dt.date(1950, 1, 1)))
    borrower, outsider = head_id(ha), f.new_id(dt.date(1980, 1, 1))

    def loan(no, start, due, *, extended=None, amount=36000, renewal_of=None, who=borrower, household="HA"):
        return [no, household, who, "借款人", "农商行", start, due, extended, amount, "0.05", "免担保", "养殖",
                renewal_of]

    loans = write_csv(tmp_path / "loans.csv", LOAN_HEADERS, [
        loan("DK-S2", "2020-01-01", "2022-12-31"),
        loan("DK-R2", "2020-04-01", "2023-03-31", renewal_of="DK-R1"),   # names a loan later in the file
        loan("DK-R1", "2020-01-01", "2021-12-31"),
        loan("DK-X1", "2020-01-01", "2020-06-30", extended="2020-12-31"),
        loan("DK-X2", "2020-01-01", "2020-03-31", extended="2021-06-30"),
        loan("DK-V1", "2020-01-01", "2020-06-30"),
        loan("DK-OD", "2020-01-01", "2020-11-30"),
        loan("DK-Y1", "2020-02-29", "2022-02-28"),
        loan("DK-BIG", "2020-01-01", "2022-12-31", amount=60000),
        loan("DK-OLD", "2020-01-01", "2022-12-31", who=head_id(old), household="HO"),
        loan("DK-OUT", "2020-01-01", "2022-12-31", who=outsider, household=None),
        loan("DK-H", "2020-07-01", "2022-06-30", household=None),       # household found by the borrower
    ])
    repayments = write_csv(tmp_path / "repayments.csv", ["贷款编号", "还款日期", "本金", "利息"], [
        ["DK-S2", "2020-01-11", "18000", "25"], ["DK-S2", "2020-01-21", "18000", None],
        ["DK-V1", "2020-09-01", "18000", "100"],
    ])
    assets = write_csv(tmp_path / "assets.csv", [
        "资产编号", "资产名称", "项目编号", "资产类别", "区划代码", "原值", "形成日期", "运营主体", "分配方式",
        "农户分配比例", "受益村", "状态"], [
        ["ZC-1", "光伏电站", None, "光伏", V_A, "500000", "2019-06-30", "村集体", "按户", "0.7", f"{V_A2};{V_A}", None],
        ["ZC-2", "大棚", None, "设施农业", V_A, "100000", "2019-06-30", "合作社", "按人", "1", V_A, "运营"],
        ["ZC-3", "养殖场", None, "养殖", V_A, "80000", "2018-06-30", "合作社", "按户", "0.5", V_A, "处置"],
    ])
    incomes = write_csv(tmp_path / "incomes.csv", ["资产编号", "年度", "可分配收益"], [
        ["ZC-1", 2020, "1000.01"], ["ZC-2", 2020, "100"], ["ZC-3", 2020, "5000"],
    ])
    return {"loans": loans, "loan_repayments": repayments, "assets": assets, "asset_income": incomes,
            "borrower": borrower, "outsider": outsider, "hb_head": head_id(hb)}


def import_all(files) -> list[str]:
    return [run("loans", "import", "loans", str(files["loans"]), "--user", "county"),
            run("loans", "import", "loan_repayments", str(files["loan_repayments"]), "--user", "county"),
            run("assets", "import", "assets", str(files["assets"]), "--user", "county"),
            run("assets", "import", "asset_income", str(files["asset_income"]), "--user", "county")]


EXPECTED_SUBSIDY = {
    "DK-S2": 75.0,        # 10 days × 5.00, then from the repayment day 10 days × 2.50, then repaid
    "DK-R1": 455.0,       # 1 January – 31 March (29 February included): renewed on 1 April
    "DK-R2": 1375.0,      # 1 April – 31 December: 275 days
    "DK-X1": 1830.0,      # extended (within a year) to 31 December: never overdue
    "DK-X2": 1830.0,      # extended beyond a year: not overdue either (L-LIMIT's business)
    "DK-V1": 910.0,       # 1 January – 30 June; the overdue days earn nothing
    "DK-OD": 1675.0,      # 1 January – 30 November
    "DK-Y1": 1535.0,      # 29 February – 31 December: 307 days
    "DK-BIG": 3050.0,     # 366 × 60000 × 0.05 ÷ 360
    "DK-OLD": 1830.0, "DK-OUT": 1830.0,
    "DK-H": 920.0,        # 1 July – 31 December: 184 days
}


def test_import_subsidy_dividends_and_check(county, tmp_path, users):
    outs = import_all(county)
    assert all("错误 0 条" in out for out in outs), outs
    assert Loan.objects.count() == 12 and LoanRepayment.objects.count() == 3
    assert Loan.objects.get(loan_no="DK-H").household.household_no == "HA"
    r1, r2 = Loan.objects.get(loan_no="DK-R1"), Loan.objects.get(loan_no="DK-R2")
    assert r2.renewal_of == r1 and r2.household.household_no == "HA"
    assert Loan.objects.get(loan_no="DK-OUT").household is None
    assert Loan.objects.get(loan_no="DK-S2").id_number == county["borrower"]
    renewal = LoanEvent.objects.get(action=LoanAction.RENEWAL)
    assert (renewal.loan, renewal.new_loan, renewal.user) == (r1, r2, users["county"])
    assert sorted(LoanEvent.objects.filter(action=LoanAction.EXTENSION).values_list("loan__loan_no", "new_due_date")
                  ) == [("DK-X1", dt.date(2020, 12, 31)), ("DK-X2", dt.date(2021, 6, 30))]
    assert sorted(Asset.objects.get(asset_no="ZC-1").villages.values_list("code", flat=True)) == [V_A, V_A2]
    assert AssetIncome.objects.count() == 3

    # Re-importing every file changes nothing, and records no second event.
    for out in import_all(county):
        assert "新增 0 条,更新 0 条" in out and "错误 0 条" in out, out
    assert LoanEvent.objects.count() == 3

    subsidy_file = tmp_path / "subsidy.json"
    printed = run("loans", "subsidy", "--year", "2020", "--out", str(subsidy_file), "--user", "county")
    assert "已写入" in printed
    rows = json.loads(subsidy_file.read_text(encoding="utf-8"))
    assert all(set(r) == {"loan_no", "year", "subsidy"} and r["year"] == 2020 for r in rows)
    assert {r["loan_no"]: r["subsidy"] for r in rows} == EXPECTED_SUBSIDY

    dividend_file = tmp_path / "dividends.json"
    run("assets", "dividends", "--year", "2020", "--out", str(dividend_file), "--user", "county")
    shares = json.loads(dividend_file.read_text(encoding="utf-8"))
    assert all(set(r) == {"asset_no", "year", "household_no", "division_code", "amount"} for r in shares)
    assert [(r["asset_no"], r["household_no"], r["division_code"], r["amount"]) for r in shares] == [
        # 1000.01: households ⌊100001 × 0.7⌋ = 70000 fen among A, B, C (HD exited three years ago): 23333 each
        # and one fen left, to the smallest 户编号 (equal remainders); villages 30001: 15001 to the first code.
        ("ZC-1", None, V_A, 150.01), ("ZC-1", "HA", V_A, 233.34), ("ZC-1", "HB", V_A, 233.33),
        ("ZC-1", "HC", V_A, 233.33), ("ZC-1", None, V_A2, 150.0),
        # 按人: weights 3, 1, 2 of 100 元: 50.00, 16.66 r .67 (takes the last fen), 33.33 r .33.
        ("ZC-2", "HA", V_A, 50.0), ("ZC-2", "HB", V_A, 16.67), ("ZC-2", "HC", V_A, 33.33),
        # ZC-3 is disposed: no dividends.
    ]
    assert round(sum(r["amount"] for r in shares if r["asset_no"] == "ZC-1"), 2) == 1000.01
    # A village's clerk-level division: its rows only.
    village_file = tmp_path / "a2.csv"
    run("assets", "dividends", "--year", "2020", "--division", V_A2, "--out", str(village_file), "--user", "county")
    lines = village_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "资产编号,年度,户编号,区划代码,分红金额(元)" and lines[1:] == [f"ZC-1,2020,,{V_A2},150.0"]

    # Payments checked against the computed standards (F-OVER: more than the standard + 0.01).
    payments = write_csv(tmp_path / "payments.csv", [
        "发放编号", "身份证号", "姓名", "户编号", "补贴项目", "所属期", "金额", "发放日期", "贷款编号"], [
        ["TX-1", county["borrower"], "借款人", "HA", "小额信贷贴息", "2020", "75.02", "2020-12-20", "DK-S2"],
        ["TX-2", county["borrower"], "借款人", "HA", "小额信贷贴息", "2020", "1535.01", "2020-12-20", "DK-Y1"],
        ["FH-1", county["borrower"], "借款人", "HA", "资产收益分红", "2020", "300", "2020-12-20", None],
        ["FH-2", county["hb_head"], "乙", "HB", "资产收益分红", "2020", "250", "2020-12-20", None],
    ])
    run("funds", "import", "payments", str(payments), "--user", "county")

    found_file = tmp_path / "check.json"
    run("funds", "check", "--year", "2020", "--today", "2020-12-31", "--out", str(found_file), "--user", "county")
    records = json.loads(found_file.read_text(encoding="utf-8"))
    by_rule: dict[str, set[str]] = {}
    for r in records:
        by_rule.setdefault(r["rule"], set()).add(r["key"])
    assert by_rule["F-OVER"] == {"TX-1", "FH-1"}            # 75.02 > 75.00 + 0.01; 300 > 283.34 (two assets)
    assert by_rule["L-LIMIT"] == {"DK-X2", "DK-BIG"}        # extended beyond a year; over 50,000
    assert by_rule["L-INELIGIBLE"] == {"DK-OLD", "DK-OUT"}  # aged 70; never registered
    assert by_rule["L-OVERDUE"] == {"DK-V1", "DK-OD"}
    rows_by = {(r["rule"], r["key"]): r for r in records}
    assert rows_by[("L-OVERDUE", "DK-OD")]["severity"] == "risk"       # 31 days (funds.md §5)
    assert rows_by[("L-OVERDUE", "DK-V1")]["severity"] == "warning"    # 184 days (funds.md §5)
    assert rows_by[("L-OVERDUE", "DK-V1")]["subject"] == "loan"
    assert county["outsider"] not in found_file.read_text(encoding="utf-8")
    # The L-* findings join the verification workflow, owned by the borrower household's village.
    overdue = Finding.objects.get(rule="L-OVERDUE", key="DK-V1")
    assert (overdue.subject, overdue.division_id, overdue.household.household_no) == ("loan", V_A, "HA")
    assert Finding.objects.get(rule="L-INELIGIBLE", key="DK-OLD").division_id == f.VILLAGE_B
    assert Finding.objects.get(rule="L-INELIGIBLE", key="DK-OUT").division_id == f.COUNTY


def test_bad_rows_are_located_and_nothing_is_written(county, tmp_path):
    bad = write_csv(tmp_path / "bad.csv", LOAN_HEADERS, [
        ["DK-A", "HA", county["borrower"], "甲", "农商行", "2020-01-01", "2022-12-31", None, "36000", "0.05", "免担保",
         None, None],
        ["DK-B", "HX", county["borrower"], "甲", "农商行", "2020-01-01", "2022-12-31", None, "36000", "0.05", "免担保",
         None, None],
        ["DK-C", "HA", county["borrower"], "甲", "农商行", "2020-01-01", "2019-12-31", "2019-06-30", "36000",
         "4.35%", "有担保", None, "DK-NONE"],
        ["DK-A", "HA", f.new_id(dt.date(1985, 1, 1)), "甲", "农商行", "2020-01-01", "2022-12-31", None, "36000", "0.05",
         "免担保", None, None],
    ])
    err = failing("loans", "import", "loans", str(bad), "--user", "county", "--errors", str(tmp_path / "e.csv"))
    report = (tmp_path / "e.csv").read_text(encoding="utf-8-sig")
    assert Loan.objects.count() == 0 and LoanEvent.objects.count() == 0
    for text in ("户编号在建档立卡数据中不存在", "到期日期应晚于放款日期", "展期到期日应晚于到期日期", "年利率",
                 "担保方式", "与第2行重复"):
        assert text in report, text
    assert county["borrower"] not in err + report
    # --partial writes the good row only.
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("loans", "import", "loans", str(bad), "--user", "county", "--partial", stdout=out,
                     stderr=io.StringIO())
    assert list(Loan.objects.values_list("loan_no", flat=True)) == ["DK-A"]
    # The same loan extended by a later file: an update, and the extension recorded with the importing user.
    extended = write_csv(tmp_path / "ext.csv", LOAN_HEADERS, [
        ["DK-A", "HA", county["borrower"], "甲", "农商行", "2020-01-01", "2022-12-31", "2023-06-30", "36000", "0.05",
         "免担保", None, None]])
    assert "新增 0 条,更新 1 条" in run("loans", "import", "loans", str(extended), "--user", "county")
    event = LoanEvent.objects.get()
    assert (event.action, event.new_due_date, event.user.username) == (LoanAction.EXTENSION, dt.date(2023, 6, 30),
                                                                      "county")

    repay = write_csv(tmp_path / "r.csv", ["贷款编号", "还款日期", "本金"], [
        ["DK-A", "2019-12-31", "100"], ["DK-Z", "2020-03-01", "100"], ["DK-A", "2020-03-01", "100"]])
    failing("loans", "import", "loan_repayments", str(repay), "--user", "county", "--errors",
            str(tmp_path / "r_err.xlsx"))
    assert LoanRepayment.objects.count() == 0

    assets = write_csv(tmp_path / "a.csv", [
        "资产编号", "资产名称", "项目编号", "资产类别", "区划代码", "原值", "形成日期", "分配方式", "农户分配比例",
        "受益村"], [
        ["ZC-X", "光伏", "XM-NONE", "光伏", V_A, "1000", "2020-01-01", "按户", "1.5", f"{V_A};320321999999"],
        ["ZC-Y", "光伏", None, "光伏", V_A, "1000", "2020-01-01", "按户", "0.5", "110101001001"],
    ])
    failing("assets", "import", "assets", str(assets), "--user", "county", "--errors", str(tmp_path / "a_err.csv"))
    report = (tmp_path / "a_err.csv").read_text(encoding="utf-8-sig")
    for text in ("2,项目编号,XM-NONE,项目编号“XM-NONE”在本县尚未导入", "2,农户分配比例", "2,受益村,",
                 "3,受益村,110101001001,受益村 110101001001 不存在"):
        assert text in report, text
    assert Asset.objects.count() == 0


def test_templates(tmp_path, users):
    for command, kind in (("loans", "loans"), ("loans", "loan_repayments"), ("assets", "assets"),
                          ("assets", "asset_income")):
        out = tmp_path / f"{kind}.csv"
        run(command, "template", kind, "--out", str(out))
        assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith(("贷款编号", "资产编号"))


def test_amounts_are_exact_decimals(county):
    import_all(county)
    assert Loan.objects.get(loan_no="DK-S2").annual_rate == Decimal("0.05")
    assert Asset.objects.get(asset_no="ZC-1").household_ratio == Decimal("0.7")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_loan_and_asset_files_export_and_import_back_unchanged(county, tmp_path, suffix):
    """`sunshine loans|assets export KIND` writes the file it imports: importing the export changes nothing
    (renewals by loan number, villages as the ;-list, rates as written)."""
    import_all(county)
    before = (sorted(Loan.objects.values_list("loan_no", "amount", "annual_rate", "renewal_of__loan_no")),
              sorted(Asset.objects.values_list("asset_no", "household_ratio", "status")),
              LoanRepayment.objects.count(), AssetIncome.objects.count())
    for command, kind in (("loans", "loans"), ("loans", "loan_repayments"), ("assets", "assets"),
                          ("assets", "asset_income")):
        out = tmp_path / f"{kind}{suffix}"
        assert "已导出" in run(command, "export", kind, "--year", "2020", "--out", str(out), "--user", "county")
        printed = run(command, "import", kind, str(out), "--user", "county")
        assert "新增 0 条,更新 0 条" in printed, (kind, printed)
    assert (sorted(Loan.objects.values_list("loan_no", "amount", "annual_rate", "renewal_of__loan_no")),
            sorted(Asset.objects.values_list("asset_no", "household_ratio", "status")),
            LoanRepayment.objects.count(), AssetIncome.objects.count()) == before
    text = (tmp_path / f"assets{suffix}").read_bytes()
    if suffix == ".csv":
        assert f"{V_A};{V_A2}".encode() in text and b"0.7" in text
