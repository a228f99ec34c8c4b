"""The micro-credit rules of funds.md §5 (L-LIMIT, L-INELIGIBLE, L-OVERDUE) in the funds catalogue, on DuckDB and
on Spark: loans that must be flagged and loans that must not, at the boundaries funds.md draws. T = 2020-12-31
(a leap year), so T − 90 days = 2020-10-02."""

from __future__ import annotations

import datetime as dt

import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.funds.catalogue import HIGH, MEDIUM, RISK, RULES, WARNING
from sunshine.engine.tests.funds_builders import OTHER_VILLAGE, VILLAGE, YEAR, FundsScenario, by_rule, money, run

D = dt.date
LOAN_RULES = ["L-LIMIT", "L-INELIGIBLE", "L-OVERDUE"]


BORN = D(1980, 5, 1)


def borrower(s: FundsScenario, name: str, *, born: dt.date | None = BORN, **kwargs: object) -> dict:
    row = s.person(name, **kwargs)
    row["birth_date"] = born
    return row


def limits(s: FundsScenario) -> None:
    ok = borrower(s, "限额甲")
    s.loan("DK-L1", ok, "50000.01", D(YEAR, 3, 1), D(YEAR + 2, 3, 1))                  # over the amount
    s.loan("DK-L2", ok, 50000, D(YEAR, 3, 1), D(YEAR + 2, 3, 1))                       # at the amount
    s.loan("DK-L3", ok, 30000, D(YEAR, 2, 29), D(YEAR + 3, 2, 28))                     # 3 years from 29 Feb
    s.loan("DK-L4", ok, 30000, D(YEAR, 2, 29), D(YEAR + 3, 3, 1))                      # a day more
    s.loan("DK-L5", ok, 30000, D(YEAR, 3, 1), D(YEAR + 1, 3, 1), guarantee="other")    # not 免担保
    s.loan("DK-L6", ok, 30000, D(YEAR - 1, 6, 30), D(YEAR, 6, 30), extended=D(YEAR + 1, 6, 30))  # 1 year
    s.loan("DK-L7", ok, 30000, D(YEAR - 1, 6, 30), D(YEAR, 6, 30), extended=D(YEAR + 1, 7, 1))   # beyond
    s.loan("DK-L8", ok, 60000, D(YEAR - 1, 6, 30), D(YEAR + 1, 6, 30))                 # issued last year
    s.loan("DK-L9", ok, 60000, D(YEAR + 1, 1, 1), D(YEAR + 2, 1, 1))                   # issued after T


def eligibility(s: FundsScenario) -> None:
    s.loan("DK-E1", s.outsider("册外甲"), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))
    s.loan("DK-E2", borrower(s, "销户甲", status="closed"), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))
    s.loan("DK-E3", borrower(s, "脱贫甲", status="exited"), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))
    s.loan("DK-E4", borrower(s, "少年甲", born=D(2002, 4, 2)), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))  # 17
    s.loan("DK-E5", borrower(s, "成年甲", born=D(2002, 4, 1)), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))  # 18 today
    s.loan("DK-E6", borrower(s, "老年甲", born=D(1954, 4, 2)), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))  # 65
    s.loan("DK-E7", borrower(s, "老年乙", born=D(1954, 4, 1)), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))  # 66 today
    s.loan("DK-E8", borrower(s, "未知甲", born=None), 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))
    moved = borrower(s, "迁出甲", member_status="moved_out", change_date=D(YEAR, 9, 1))
    s.loan("DK-E9", moved, 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))                    # left after the loan
    left = borrower(s, "迁出乙", member_status="moved_out", change_date=D(YEAR, 3, 1))
    s.loan("DK-E10", left, 20000, D(YEAR, 4, 1), D(YEAR + 1, 4, 1))                    # left before it


def overdue(s: FundsScenario) -> None:
    p = borrower(s, "逾期甲", village=OTHER_VILLAGE)
    s.loan("DK-O1", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30))                       # 184 days: warning
    s.repay("DK-O1", D(YEAR, 9, 1), 18000)
    s.loan("DK-O2", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 10, 2))                       # 90 days: risk
    s.loan("DK-O3", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 10, 1))                       # 91 days: warning
    s.loan("DK-O4", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 12, 31))                      # due on T
    s.loan("DK-O5", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30))                       # repaid in full
    for day in (D(YEAR, 3, 1), D(YEAR, 6, 30)):
        s.repay("DK-O5", day, 18000)
    s.loan("DK-O6", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30))                       # renewed
    s.loan("DK-O7", p, 36000, D(YEAR, 6, 30), D(YEAR + 1, 6, 30), renewal_of="DK-O6")
    s.loan("DK-O8", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30), extended=D(YEAR + 1, 6, 30))  # extended
    s.loan("DK-O9", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30))                       # repaid after T
    s.repay("DK-O9", D(YEAR + 1, 1, 5), 36000)


def build() -> FundsScenario:
    s = FundsScenario()
    limits(s)
    eligibility(s)
    overdue(s)
    return s


SCENARIO = build()


@pytest.fixture(scope="module")
def rules(backend):
    return by_rule(run(backend, SCENARIO, rules=LOAN_RULES))


def found(rules, code: str) -> dict[str, dict]:
    return {f["key"]: f for f in rules[code]}


def test_limit(rules):
    hits = found(rules, "L-LIMIT")
    assert set(hits) == {"DK-L1", "DK-L4", "DK-L5", "DK-L7"}
    assert hits["DK-L1"]["explanation"] == (
        "贷款DK-L1(限*甲)于2020-03-01发放50000.01元:贷款金额50000.01元,超过上限50000元")
    assert hits["DK-L4"]["explanation"].endswith("到期日2023-03-01,期限超过3年")
    assert hits["DK-L5"]["explanation"].endswith("担保方式为其他,不是免担保")
    assert hits["DK-L7"]["explanation"].endswith("展期至2021-07-01,超过原到期日2020-06-30后1年")
    first = hits["DK-L1"]
    assert (first["subject"], first["severity"], first["amount"]) == ("loan", MEDIUM, money("50000.01"))
    assert first["household_no"] and first["id_hash"] and first["division_code"] == VILLAGE


def test_ineligible(rules):
    hits = found(rules, "L-INELIGIBLE")
    assert set(hits) == {"DK-E1", "DK-E2", "DK-E4", "DK-E7", "DK-E10"}
    assert hits["DK-E1"]["explanation"] == (
        "贷款DK-E1于2020-04-01向册*甲发放20000.00元,该借款人2020年度不是建档立卡户在册成员")
    assert hits["DK-E4"]["explanation"].endswith("放款时17岁,未满18周岁")
    assert hits["DK-E7"]["explanation"].endswith("放款时66岁,超过65周岁")
    assert hits["DK-E1"]["severity"] == HIGH and hits["DK-E1"]["division_code"] is None


def test_overdue(rules):
    hits = found(rules, "L-OVERDUE")
    assert set(hits) == {"DK-O1", "DK-O2", "DK-O3", "DK-O9"}
    assert {k: f["severity"] for k, f in hits.items()} == {"DK-O1": WARNING, "DK-O2": RISK, "DK-O3": WARNING,
                                                            "DK-O9": WARNING}
    one = hits["DK-O1"]
    assert one["amount"] == money(18000) and one["division_code"] == OTHER_VILLAGE
    assert one["explanation"] == ("贷款DK-O1(逾*甲)于2019-01-01在农商银行放款36000.00元,到期日2020-06-30,"
                                  "截至2020-12-31尚欠本金18000.00元,逾期184天")


def test_overdue_parameters():
    """The standard's loan_overdue_* days move both the finding's threshold and its severity."""
    params = {"loan_overdue_risk_days": 90, "loan_overdue_warning_days": 150}
    with DuckDBBackend(threads=1) as duck:
        hits = found(by_rule(run(duck, SCENARIO, rules=["L-OVERDUE"], params=params)), "L-OVERDUE")
    assert {k: f["severity"] for k, f in hits.items()} == {"DK-O1": WARNING, "DK-O3": RISK, "DK-O9": WARNING}


def test_loan_rules_in_the_catalogue():
    assert [c for c in RULES if c.startswith("L-")] == LOAN_RULES
    assert {RULES[c].subject for c in LOAN_RULES} == {"loan"}


def test_division_filter():
    with DuckDBBackend(threads=1) as duck:
        out = run(duck, SCENARIO, rules=LOAN_RULES, division_prefix=OTHER_VILLAGE[:9])
    assert set(out.column("rule").to_pylist()) == {"L-OVERDUE"}
