"""Every rule of the funds catalogue (funds.md §3–4), on DuckDB and on Spark: records that must be flagged and
records that must not, at the boundaries funds.md and issue 13 draw. All cases live in one scenario, run once
per backend (the whole catalogue), so the Spark part stays short. T = 2020-12-31, so T − 90 days = 2020-10-02
and T − 10 days = 2020-12-21."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.funds.catalogue import RULES
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.run import run_funds_check
from sunshine.engine.tests.funds_builders import (
    COUNTY,
    OTHER_VILLAGE,
    YEAR,
    FundsScenario,
    T,
    by_rule,
    keys,
    money,
    run,
)
from sunshine.policy.parameters import StandardParameters

D = dt.date


def announced(s: FundsScenario, project_no: str, *, result_from: dt.date | None = None) -> None:
    """A valid approval announcement early in the year (and a result announcement from ``result_from``)."""
    s.add("announcements", project_no=project_no, kind="approval", start_date=D(YEAR, 1, 1), end_date=D(YEAR, 1, 10))
    if result_from:
        s.add("announcements", project_no=project_no, kind="result", start_date=result_from, days=10)


def project(s: FundsScenario, project_no: str, *, status: str = "approved", category: str = "infrastructure",
            **extra: object) -> None:
    s.add("projects", project_no=project_no, name=f"{project_no}工程", division_code=extra.pop("division_code",
          "320321101000"), category=category, year=YEAR, status=status, **extra)


def money_flow(s: FundsScenario) -> None:
    # F-DELAY: issued exactly 90 days before T is due, 89 days is not; an allocation after T does not count.
    s.add("funds", fund_no="ZJ-D1", document_no="苏财农〔2020〕1号", source="provincial", year=YEAR,
          division_code=COUNTY, issued_date=D(YEAR, 10, 2), amount=money(1000000))
    s.add("allocations", fund_no="ZJ-D1", project_no="XM-D", date=D(YEAR, 11, 1), amount=money(600000))
    s.add("funds", fund_no="ZJ-D2", year=YEAR, division_code=COUNTY, issued_date=D(YEAR, 10, 3), amount=money(500))
    s.add("funds", fund_no="ZJ-D3", year=YEAR, division_code=COUNTY, issued_date=D(YEAR, 3, 1), amount=money(1000))
    for day in (D(YEAR, 4, 1), D(YEAR, 12, 31)):
        s.add("allocations", fund_no="ZJ-D3", project_no="XM-D", date=day, amount=money(500))
    s.add("funds", fund_no="ZJ-D4", year=YEAR, division_code=COUNTY, issued_date=D(YEAR, 3, 1), amount=money(1000))
    s.add("allocations", fund_no="ZJ-D4", project_no="XM-D", date=D(YEAR, 4, 1), amount=money(700))
    s.add("allocations", fund_no="ZJ-D4", project_no="XM-D", date=D(YEAR + 1, 1, 5), amount=money(300))
    project(s, "XM-D", budget=money(10000000))
    s.add("expenditures", project_no="XM-D", date=D(YEAR, 11, 2), amount=money(601200))

    # F-IDLE: allocated exactly 90 days before T counts, 89 days does not; spending after T does not count;
    # payments naming the project are its spending.
    s.add("funds", fund_no="ZJ-I", year=YEAR, division_code=COUNTY, issued_date=D(YEAR, 1, 1), amount=money(600000))
    for no, day, amount in [("XM-I1", D(YEAR, 10, 2), 200000), ("XM-I2", D(YEAR, 10, 3), 200000),
                            ("XM-I3", D(YEAR, 5, 1), 100000), ("XM-I4", D(YEAR, 5, 1), 100000)]:
        project(s, no, budget=money(1000000))
        s.add("allocations", fund_no="ZJ-I", project_no=no, date=day, amount=money(amount))
    s.add("expenditures", project_no="XM-I1", date=D(YEAR, 11, 1), amount=money(77000), payee="某施工队")
    s.add("expenditures", project_no="XM-I3", date=D(YEAR, 12, 31), amount=money(100000))
    s.add("expenditures", project_no="XM-I4", date=D(YEAR + 1, 1, 2), amount=money(100000))
    worker = s.person("工资甲")
    s.pay("PAY-I1", worker, "temporary_relief", 3000, project_no="XM-I1", paid=D(YEAR, 11, 5))

    # F-OVERSPEND: spending (expenditures + payments) over the budget; equal is not; after T does not count.
    project(s, "XM-O1", budget=money(100000))
    s.add("expenditures", project_no="XM-O1", date=D(YEAR, 5, 1), amount=money(80000))
    s.pay("PAY-O1", s.person("工资乙"), "temporary_relief", 3000, project_no="XM-O1")
    for _ in range(9):
        s.add("expenditures", project_no="XM-O1", date=D(YEAR, 6, 1), amount=money(3000))
    project(s, "XM-O2", budget=money(100000))
    s.add("expenditures", project_no="XM-O2", date=D(YEAR, 5, 1), amount=money(100000))
    project(s, "XM-O3", budget=money(100000))
    s.add("expenditures", project_no="XM-O3", date=D(YEAR, 5, 1), amount=money(90000))
    s.add("expenditures", project_no="XM-O3", date=D(YEAR + 1, 1, 1), amount=money(20000))


def project_library(s: FundsScenario) -> None:
    # P-OVERDUE
    for no, status, end in [("XM-P1", "implementing", D(YEAR, 12, 30)), ("XM-P2", "implementing", T),
                            ("XM-P3", "completed", D(YEAR, 6, 30))]:
        project(s, no, status=status, planned_end=end)
        announced(s, no)
    # P-NOANNOUNCE: the approval announcement's 10 days must have ended before the first spending.
    for no, status, start, end, days, spent, by_payment in [
        ("XM-A1", "implementing", D(YEAR, 3, 1), D(YEAR, 3, 10), None, D(YEAR, 3, 11), False),
        ("XM-A2", "implementing", D(YEAR, 3, 1), D(YEAR, 3, 10), None, D(YEAR, 3, 10), False),
        ("XM-A3", "implementing", D(YEAR, 3, 1), D(YEAR, 3, 9), None, D(YEAR, 5, 1), False),
        ("XM-A4", "implementing", D(YEAR, 3, 1), None, 10, D(YEAR, 3, 11), True),
        ("XM-A5", "completed", None, None, None, None, False),
        ("XM-A6", "approved", None, None, None, D(YEAR, 3, 1), False),
    ]:
        project(s, no, status=status)
        if start:
            s.add("announcements", project_no=no, kind="approval", start_date=start, end_date=end, days=days)
        if spent and by_payment:
            s.pay(f"PAY-{no}", s.person(f"工资{no[-1]}"), "temporary_relief", 100, project_no=no, paid=spent)
        elif spent:
            s.add("expenditures", project_no=no, date=spent, amount=money(100))
    # … and a result announcement must follow 验收 within 10 days (accepted 2020-12-20 is 11 days before T).
    for no, accepted, actual_end, result_from in [
        ("XM-A7", D(YEAR, 12, 20), None, None), ("XM-A8", D(YEAR, 12, 21), None, None),
        ("XM-A9", D(YEAR, 6, 1), None, D(YEAR, 6, 5)), ("XM-A10", None, D(YEAR, 5, 1), None),
        ("XM-A11", D(YEAR, 6, 1), None, D(YEAR, 5, 20)),
    ]:
        project(s, no, status="accepted", accepted_date=accepted, actual_end=actual_end)
        announced(s, no, result_from=result_from)
    # P-NOBENEFIT: industry / employment / asset_income projects accepted without a registered beneficiary.
    closed = s.person("销户甲", status="closed")
    exited = s.person("脱贫甲", status="exited")
    for no, status, category, beneficiary in [
        ("XM-B1", "accepted", "industry", closed), ("XM-B2", "accepted", "employment", exited),
        ("XM-B3", "accepted", "asset_income", None), ("XM-B4", "implementing", "industry", None),
        ("XM-B5", "accepted", "infrastructure", None),
    ]:
        project(s, no, status=status, category=category, accepted_date=D(YEAR, 6, 1))
        announced(s, no, result_from=D(YEAR, 6, 2))
        if beneficiary:
            s.add("project_beneficiaries", project_no=no, household_no=beneficiary["household_no"])


def ineligible(s: FundsScenario) -> None:
    s.pay("PAY-E1", s.outsider("册外甲"), "education_aid", 2000)
    s.pay("PAY-E2", s.person("销户乙", status="closed"), "education_aid", 2000)
    s.pay("PAY-E3", s.person("脱贫乙", status="exited"), "education_aid", 2000)   # 脱贫不脱政策
    s.pay("PAY-E4", s.outsider("册外乙"), "temporary_relief", 3000)               # needs no registration
    gone = s.outsider("死亡甲")                                                    # only in the deaths dataset
    s.add("deaths", id_hash=gone["id_hash"], death_date=D(YEAR, 3, 1))
    s.pay("PAY-E5", gone, "temporary_relief", 3000, paid=D(YEAR, 6, 1))
    same_day = s.person("死亡乙")
    s.add("deaths", id_hash=same_day["id_hash"], death_date=D(YEAR, 6, 1))
    s.pay("PAY-E6", same_day, "medical_premium", 280, paid=D(YEAR, 6, 1))
    s.pay("PAY-E7", s.person("死亡丙", member_status="deceased", change_date=D(YEAR, 4, 1)), "industry_award", 5000,
          paid=D(YEAR, 5, 1))
    s.pay("PAY-E8", s.person("迁出甲", member_status="moved_out", change_date=D(YEAR, 9, 1)), "education_aid", 2000,
          paid=D(YEAR, 6, 1))
    s.pay("PAY-E9", s.person("上年甲", year=YEAR - 1), "education_aid", 2000)
    s.pay("PAY-E10", s.outsider("册外丙"), "education_aid", 2000, period=str(YEAR - 1), paid=D(YEAR - 1, 6, 1))
    s.pay("PAY-E11", s.outsider("册外丁"), "education_aid", 2000, paid=D(YEAR + 1, 1, 1))   # after T


def duplicates_and_standards(s: FundsScenario) -> None:
    p = s.person("重复甲")
    s.pay("PAY-U1b", p, "education_aid", 1000)
    s.pay("PAY-U1a", p, "education_aid", 2000)
    p = s.person("岗位甲")
    s.pay("PAY-U2a", p, "public_job", 800, period=f"{YEAR}-03")
    s.pay("PAY-U2b", p, "public_job", 800, period=f"{YEAR}-04")          # two months: no F-DUP
    s.pay("PAY-U3a", p, "public_job", 400, period=f"{YEAR}-05")
    s.pay("PAY-U3b", p, "public_job", 400, period=f"{YEAR}-05")          # F-DUP, but 800 is the standard
    head = s.person("危房甲")
    spouse = s.person("危房乙", household=head["household_no"])
    s.pay("PAY-U4a", head, "housing_renovation", 30000)
    s.pay("PAY-U4b", spouse, "housing_renovation", 30000)               # once ever per household
    again = s.person("危房丙")
    s.pay("PAY-U5a", again, "housing_renovation", 20000, period=str(YEAR - 2), paid=D(YEAR - 2, 5, 1),
          household_no=again["household_no"])
    s.pay("PAY-U5b", again, "housing_renovation", 15000)
    old = s.person("危房丁")
    for no, year in [("PAY-U6a", YEAR - 3), ("PAY-U6b", YEAR - 2)]:       # both in earlier years: not this run's
        s.pay(no, old, "housing_renovation", 30000, period=str(year), paid=D(year, 5, 1),
              household_no=old["household_no"])
    head = s.person("奖补甲")
    s.pay("PAY-U7a", head, "industry_award", 5000)
    s.pay("PAY-U7b", s.person("奖补乙", household=head["household_no"]), "industry_award", 5000)
    s.pay("PAY-U8a", s.person("同项甲"), "industry_award", 5000)           # two households: no F-DUP
    s.pay("PAY-U8b", s.person("同项乙"), "industry_award", 5000)
    p = s.person("跨年甲")
    s.pay("PAY-U9a", p, "education_aid", 2000, period=str(YEAR - 1), paid=D(YEAR - 1, 9, 1))
    s.pay("PAY-U9b", p, "education_aid", 2000)
    s.pay("PAY-V1", s.person("超标甲"), "education_aid", 2500)
    s.pay("PAY-V2", s.person("达标甲"), "education_aid", 2000)
    # Computed standards (loans and assets fill the table): 0.01 元 is allowed; a loan missing from a year the
    # table covers has a standard of 0; an item and year the table does not cover is not judged.
    borrower = s.person("贷款甲")
    s.add("standards", item="loan_interest_subsidy", key="DK-1", year=YEAR, amount=money("120.49"))
    s.add("standards", item="loan_interest_subsidy", key="DK-2", year=YEAR, amount=money("120.00"))
    s.pay("PAY-L1", borrower, "loan_interest_subsidy", "120.50", loan_no="DK-1")
    s.pay("PAY-L2", borrower, "loan_interest_subsidy", "130.00", loan_no="DK-2")
    s.pay("PAY-L3", borrower, "loan_interest_subsidy", "50.00", loan_no="DK-3")
    s.pay("PAY-L4", borrower, "dividend", "300.00")


def cadres(s: FundsScenario) -> None:
    for no, relation, village, start, end in [
        ("PAY-C1", "member", "320321101001", D(2018, 1, 1), None),
        ("PAY-C2", "member", "320321101001", D(2018, 1, 1), D(YEAR, 3, 31)),   # term ended before the payment
        ("PAY-C3", "self", "320321101001", D(2018, 1, 1), None),
        ("PAY-C4", "member", OTHER_VILLAGE, D(2018, 1, 1), None),              # a cadre of another village
        ("PAY-C5", "member", "320321101001", D(YEAR, 7, 1), None),            # term starts after the payment
    ]:
        payee = s.person(f"干部户{no[-1]}")
        cadre = payee if relation == "self" else s.person(f"村干部{no[-1]}", household=payee["household_no"])
        s.add("village_cadres", id_hash=cadre["id_hash"], name=cadre["name"], division_code=village,
              position="director", start_date=start, end_date=end)
        s.pay(no, payee, "industry_award", 5000, paid=D(YEAR, 6, 1))
        if no == "PAY-C1":   # someone outside the registry paid as a member of that household (户编号 stated)
            s.pay("PAY-C6", s.outsider("册外戊"), "temporary_relief", 1000, household_no=payee["household_no"])


def loans(s: FundsScenario) -> None:
    """One loan per L-rule, so that the whole catalogue runs here too (the cases: test_funds_loans.py)."""
    p = s.person("贷款乙")
    s.loan("DK-A1", p, 60000, D(YEAR, 3, 1), D(YEAR + 1, 3, 1))                       # L-LIMIT
    s.loan("DK-A2", s.outsider("册外己"), 20000, D(YEAR, 3, 1), D(YEAR + 1, 3, 1))     # L-INELIGIBLE
    s.loan("DK-A3", p, 20000, D(YEAR - 1, 3, 1), D(YEAR, 3, 1))                       # L-OVERDUE
    s.repay("DK-A3", D(YEAR, 3, 1), 5000)


def build() -> FundsScenario:
    s = FundsScenario()
    money_flow(s)
    project_library(s)
    ineligible(s)
    duplicates_and_standards(s)
    cadres(s)
    loans(s)
    # One duplicate in another village, for the division filter.
    p = s.person("外村甲", village=OTHER_VILLAGE)
    s.pay("PAY-X1", p, "medical_premium", 140)
    s.pay("PAY-X2", p, "medical_premium", 140)
    return s


SCENARIO = build()


@pytest.fixture(scope="module")
def findings(backend):
    return run(backend, SCENARIO)


@pytest.fixture(scope="module")
def rules(findings):
    return by_rule(findings)


def test_delay(rules):
    assert keys(rules["F-DELAY"]) == {"ZJ-D1", "ZJ-D4"}
    first = next(f for f in rules["F-DELAY"] if f["key"] == "ZJ-D1")
    assert first["amount"] == money(400000) and first["subject"] == "fund" and first["division_code"] == COUNTY
    assert first["explanation"] == ("资金ZJ-D1(苏财农〔2020〕1号)于2020-10-02下达1000000.00元,截至2020-12-31已拨付"
                                    "600000.00元,400000.00元下达超过90天仍未拨付到项目")
    assert next(f for f in rules["F-DELAY"] if f["key"] == "ZJ-D4")["amount"] == money(300)


def test_idle(rules):
    found = {f["key"]: f for f in rules["F-IDLE"]}
    assert set(found) == {"XM-I1", "XM-I4"}
    assert found["XM-I1"]["amount"] == money(120000) and found["XM-I1"]["subject"] == "project"
    assert found["XM-I1"]["explanation"] == ("项目XM-I1(XM-I1工程)截至2020-10-02已拨付200000.00元,截至2020-12-31支出"
                                             "80000.00元,120000.00元拨付超过90天仍未使用")
    assert found["XM-I4"]["amount"] == money(100000)


def test_overspend(rules):
    assert [(f["key"], f["amount"]) for f in rules["F-OVERSPEND"]] == [("XM-O1", money(10000))]
    assert rules["F-OVERSPEND"][0]["explanation"] == (
        "项目XM-O1(XM-O1工程)预算100000.00元,截至2020-12-31支出110000.00元,超出预算10000.00元")


def test_overdue(rules):
    assert keys(rules["P-OVERDUE"]) == {"XM-P1"}
    assert rules["P-OVERDUE"][0]["explanation"] == "项目XM-P1(XM-P1工程)计划于2020-12-30完工,截至2020-12-31仍在实施"
    assert rules["P-OVERDUE"][0]["amount"] is None


def test_no_announcement(rules):
    found = {f["key"]: f["explanation"] for f in rules["P-NOANNOUNCE"]}
    assert set(found) == {"XM-A2", "XM-A3", "XM-A5", "XM-A7", "XM-A10", "XM-A11"}
    assert found["XM-A2"] == "项目XM-A2(XM-A2工程)已进入实施阶段,首笔支出(2020-03-10)前无公示期满10天的立项公告"
    assert found["XM-A5"] == "项目XM-A5(XM-A5工程)已进入完工阶段,截至2020-12-31无公示期满10天的立项公告"
    assert found["XM-A7"] == "项目XM-A7(XM-A7工程)已于2020-12-20验收,超过10天仍未发布结果公告"
    assert found["XM-A10"] == "项目XM-A10(XM-A10工程)已于2020-05-01验收,超过10天仍未发布结果公告"


def test_no_benefit(rules):
    found = {f["key"]: f["explanation"] for f in rules["P-NOBENEFIT"]}
    assert set(found) == {"XM-B1", "XM-B3"}
    assert found["XM-B1"] == "产业发展项目XM-B1(XM-B1工程)已验收,登记受益户1户,均不是建档立卡户"
    assert found["XM-B3"] == "资产收益项目XM-B3(XM-B3工程)已验收,未登记受益户"


def test_ineligible(rules):
    found = {f["key"]: f for f in rules["F-INELIGIBLE"]}
    assert set(found) == {"PAY-E1", "PAY-E2", "PAY-E5", "PAY-E7", "PAY-E9"}
    assert found["PAY-E1"]["explanation"] == (
        "2020-06-01向册*甲发放教育资助2000.00元,该人员2020年度不是建档立卡户在册成员,不符合该项目发放条件")
    assert found["PAY-E5"]["explanation"] == "2020-06-01向死*甲发放临时救助3000.00元,该人员已于2020-03-01死亡"
    assert found["PAY-E7"]["explanation"].endswith("该人员已于2020-04-01死亡")
    assert found["PAY-E5"]["amount"] == money(3000) and found["PAY-E5"]["subject"] == "payment"
    assert found["PAY-E2"]["household_no"] and found["PAY-E2"]["division_code"] == "320321101001"
    assert found["PAY-E1"]["household_no"] is None and found["PAY-E1"]["id_hash"]


def test_duplicates(rules):
    found = {f["key"]: f for f in rules["F-DUP"]}
    assert set(found) == {"PAY-U1a;PAY-U1b", "PAY-U3a;PAY-U3b", "PAY-U4a;PAY-U4b", "PAY-U5a;PAY-U5b",
                          "PAY-U7a;PAY-U7b", "PAY-X1;PAY-X2"}
    assert found["PAY-U1a;PAY-U1b"]["explanation"] == (
        "2020年度教育资助向重*甲发放2笔(PAY-U1a、PAY-U1b),共3000.00元,同一人员同一项目同一期间重复发放")
    assert found["PAY-U1a;PAY-U1b"]["amount"] == money(3000) and found["PAY-U1a;PAY-U1b"]["id_hash"]
    assert found["PAY-U3a;PAY-U3b"]["explanation"].startswith("2020年05月公益性岗位补贴向岗*甲发放2笔")
    household = found["PAY-U4a;PAY-U4b"]
    assert household["id_hash"] is None and household["household_no"]
    assert household["explanation"] == (
        f"危房改造补助(每户限享受一次)向户编号{household['household_no']}(危*甲等2人)发放2笔(PAY-U4a、PAY-U4b),"
        "共60000.00元,重复享受")


def test_over_standard(rules):
    found = {f["key"]: f for f in rules["F-OVER"]}
    assert set(found) == {"PAY-U1a;PAY-U1b", "PAY-U4a;PAY-U4b", "PAY-U5a;PAY-U5b", "PAY-U7a;PAY-U7b", "PAY-V1",
                          "PAY-L2", "PAY-L3"}
    assert found["PAY-V1"]["explanation"] == "2020年度教育资助向超*甲发放1笔(PAY-V1),共2500.00元,超过标准2000元"
    assert found["PAY-V1"]["amount"] == money(500)
    assert found["PAY-U4a;PAY-U4b"]["amount"] == money(30000)
    assert found["PAY-U5a;PAY-U5b"]["amount"] == money(5000)
    assert found["PAY-L2"]["amount"] == money(10) and found["PAY-L2"]["explanation"] == (
        "2020年度小额信贷贴息向贷款编号DK-2发放1笔(PAY-L2),共130.00元,超过核定标准120.00元")
    assert found["PAY-L3"]["amount"] == money(50)


def test_cadre(rules):
    found = {f["key"]: f for f in rules["F-CADRE"]}
    assert set(found) == {"PAY-C1", "PAY-C3", "PAY-C6"}
    assert found["PAY-C1"]["severity"] == "signal"
    assert found["PAY-C1"]["explanation"] == (
        "2020-06-01向干*1发放产业奖补5000.00元,其家庭成员村*1时任本村主任(任职开始2018-01-01)")
    assert "其本人时任本村主任" in found["PAY-C3"]["explanation"]


def test_funds_engine_imports_no_django():
    import subprocess
    import sys

    code = ("import sys; import sunshine.engine.funds.run, sunshine.engine.funds.rules; "
            "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603


def test_registry_facts_accept_the_comparison_people_table():
    """The comparison's ``people`` snapshot carries every registry fact the funds rules read."""
    from sunshine.engine.comparison.snapshot import PEOPLE
    from sunshine.engine.funds.tables import MEMBERS, conform

    assert conform("members", PEOPLE.empty_table()).schema == MEMBERS


def test_loans(rules):
    assert [(f["rule"], f["key"]) for code in ("L-LIMIT", "L-INELIGIBLE", "L-OVERDUE") for f in rules[code]] == [
        ("L-LIMIT", "DK-A1"), ("L-INELIGIBLE", "DK-A2"), ("L-OVERDUE", "DK-A3")]
    assert rules["L-OVERDUE"][0]["amount"] == money(15000) and rules["L-OVERDUE"][0]["severity"] == "warning"


def test_every_rule_flags_something(rules):
    assert set(rules) == set(RULES)


def test_no_full_names_or_hashes_in_explanations(findings):
    texts = findings.column("explanation").to_pylist()
    people = SCENARIO.rows["members"]
    assert not any(p["name"] in text or p["id_hash"] in text for p in people for text in texts)


def test_fixed_order(findings):
    codes = findings.column("rule").to_pylist()
    assert codes == sorted(codes, key=list(RULES).index)
    for code in set(codes):
        rows = [f["key"] for f in findings.to_pylist() if f["rule"] == code]
        assert rows == sorted(rows, key=lambda k: k.encode())


def test_same_findings_on_both_engines(findings):
    """Spark gives DuckDB's table exactly: rows, order, explanation text, types."""
    with DuckDBBackend(threads=1) as duck:
        assert findings.equals(run(duck, SCENARIO))


# --- DuckDB only: the entry point, parameters, division ---------------------------------------------------------

def test_entry_point_from_parquet(tmp_path):
    paths = {}
    for name, table in SCENARIO.tables().items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    del paths["standards"]          # absent: computed items are not judged
    out = by_rule(run_funds_check(paths, year=YEAR, check_date=T, threads=1))
    assert keys(out["F-OVER"]) & {"PAY-L2", "PAY-L3"} == set()
    assert keys(out["F-DELAY"]) == {"ZJ-D1", "ZJ-D4"}


def test_division_filter():
    with DuckDBBackend(threads=1) as duck:
        found = run(duck, SCENARIO, division_prefix="320321102")
    assert [(f["rule"], f["key"]) for f in found.to_pylist()] == [("F-DUP", "PAY-X1;PAY-X2")]


def test_parameters_move_the_boundaries():
    standard = StandardParameters().to_dict() | {"funds_delay_days": 89, "announcement_days": 9}
    with DuckDBBackend(threads=1) as duck:
        found = by_rule(run(duck, SCENARIO, params=standard, rules=["F-DELAY", "P-NOANNOUNCE"]))
    assert keys(found["F-DELAY"]) == {"ZJ-D1", "ZJ-D2", "ZJ-D4"}
    assert "XM-A3" not in keys(found["P-NOANNOUNCE"])


def test_check_date_defaults_and_params():
    from sunshine.engine.funds.rules import default_check_date

    assert default_check_date(2020, dt.date(2020, 7, 1)) == dt.date(2020, 7, 1)
    assert default_check_date(2020, dt.date(2021, 7, 1)) == dt.date(2020, 12, 31)
    params = Params.from_mapping(StandardParameters().to_dict())
    assert params.funds_delay_days == 90 and params.item("housing_renovation").period == "once"
    custom = Params.from_mapping({"subsidy_items": [{"code": "education_aid", "label": "教育资助", "unit": "person",
                                                     "period": "year", "standard": "2500"}]})
    assert custom.item("education_aid").standard == money(2500) and custom.item("dividend") is None
    with pytest.raises(ValueError, match="unit"):
        Params.from_mapping({"subsidy_items": [{"code": "x", "unit": "village", "period": "year"}]})
    with pytest.raises(ValueError, match="whole number"):
        Params.from_mapping({"funds_idle_days": "9.5"})
