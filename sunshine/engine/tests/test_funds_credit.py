"""The computed standards of funds.md §5–6 on DuckDB and on Spark: the interest subsidy per loan and year and the
dividends per asset, village and household — the acceptance cases of issue 14, hand-computed, and agreement with
the per-day Python reference on seeded random loans. Loans are 36000.00 元 at 5 %, which earns exactly 5.00 元
of subsidy a day (36000 × 0.05 ÷ 360); 2020 is a leap year (366 days)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pyarrow as pa
import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.funds import reference
from sunshine.engine.funds.credit import computed_standards, dividends_sql, subsidy_sql
from sunshine.engine.funds.run import dividends, interest_subsidy, prepare, run_dividends, run_subsidy
from sunshine.engine.funds.tables import DIVIDENDS, STANDARDS, SUBSIDY
from sunshine.engine.tests.funds_builders import OTHER_VILLAGE, VILLAGE, YEAR, FundsScenario, by_rule, money, run

D = dt.date
V2 = "320321101002"
V3 = OTHER_VILLAGE


# --- interest subsidy -------------------------------------------------------------------------------------------

def loans(s: FundsScenario) -> None:
    p = s.person("贷款甲")
    s.loan("DK-S1", p, 36000, D(YEAR - 1, 7, 1), D(YEAR + 2, 6, 30))            # the whole (leap) year
    s.loan("DK-S2", p, 36000, D(YEAR, 1, 1), D(YEAR + 2, 12, 31))               # repaid in two halves
    s.repay("DK-S2", D(YEAR, 1, 11), 18000)
    s.repay("DK-S2", D(YEAR, 1, 21), 18000)
    s.loan("DK-R1", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 12, 31))               # renewed on 1 April
    s.loan("DK-R2", p, 36000, D(YEAR, 4, 1), D(YEAR + 3, 3, 31), renewal_of="DK-R1")
    s.loan("DK-X1", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30), extended=D(YEAR, 12, 31))   # extended ≤ 1 year
    s.loan("DK-X2", p, 36000, D(YEAR - 1, 4, 1), D(YEAR, 3, 31), extended=D(YEAR + 1, 6, 30))  # beyond 1 year
    s.loan("DK-V1", p, 36000, D(YEAR - 1, 1, 1), D(YEAR, 6, 30))                # overdue from 1 July
    s.repay("DK-V1", D(YEAR, 9, 1), 18000)
    s.loan("DK-H1", p, 36, D(YEAR, 12, 31), D(YEAR + 1, 12, 31))                 # 0.005 元: half-up to 0.01
    s.loan("DK-F1", p, 36000, D(YEAR + 1, 1, 1), D(YEAR + 2, 1, 1))             # issued after the year
    s.loan("DK-P1", p, 36000, D(YEAR - 2, 1, 1), D(YEAR + 1, 1, 1))             # repaid before the year
    s.repay("DK-P1", D(YEAR - 1, 12, 31), 36000)
    s.loan("DK-P2", p, 36000, D(YEAR - 2, 1, 1), D(YEAR + 1, 1, 1))             # repaid on 1 January
    s.repay("DK-P2", D(YEAR, 1, 1), 36000)
    s.loan("DK-P3", p, 36000, D(YEAR - 2, 1, 1), D(YEAR + 1, 1, 1))             # repaid on 2 January
    s.repay("DK-P3", D(YEAR, 1, 2), 36000)
    s.loan("DK-O1", p, 36000, D(YEAR - 2, 1, 1), D(YEAR - 1, 12, 31))           # overdue all year
    s.loan("DK-Y1", p, 36000, D(YEAR, 2, 29), D(YEAR + 2, 2, 28))               # from 29 February
    s.loan("DK-Q1", p, 10000, D(YEAR, 3, 15), D(YEAR + 1, 3, 15), rate="0.0435")
    s.repay("DK-Q1", D(YEAR, 8, 20), "3333.33")


EXPECTED_SUBSIDY: dict[str, str | None] = {
    "DK-S1": "1830.00",          # 366 days × 5.00
    "DK-S2": "75.00",            # 10 days × 5.00, then from the repayment day 10 days × 2.50, then repaid
    "DK-R1": "455.00",           # 1 January – 31 March: 91 days (29 February included)
    "DK-R2": "1375.00",          # 1 April – 31 December: 275 days
    "DK-X1": "1830.00",          # extended to 31 December: never overdue
    "DK-X2": "1830.00",          # extended beyond a year (L-LIMIT's business): not overdue either
    "DK-V1": "910.00",           # 1 January – 30 June (182 days); overdue days earn nothing
    "DK-H1": "0.01",
    "DK-P2": None,               # fully repaid on its first day of the year: no subsidised day, no row
    "DK-P3": "5.00",             # one day (1 January)
    "DK-O1": "0.00",             # outstanding all year, overdue all year
    "DK-Y1": "1535.00",          # 29 February – 31 December: 307 days
}


@pytest.fixture(scope="module")
def subsidy_scenario() -> FundsScenario:
    s = FundsScenario()
    loans(s)
    return s


@pytest.fixture(scope="module")
def subsidy(backend, subsidy_scenario) -> dict[str, Decimal]:
    backend.register_all(prepare(subsidy_scenario.tables()))
    table = run_subsidy(backend, year=YEAR)
    assert table.schema == SUBSIDY
    assert table.column("loan_no").to_pylist() == sorted(table.column("loan_no").to_pylist())
    assert set(table.column("year").to_pylist()) == {YEAR}
    return dict(zip(table.column("loan_no").to_pylist(), table.column("subsidy").to_pylist(), strict=True))


def test_subsidy_acceptance_cases(subsidy):
    for loan_no, expected in EXPECTED_SUBSIDY.items():
        if expected is None:
            assert loan_no not in subsidy, loan_no
        else:
            assert subsidy[loan_no] == money(expected), loan_no
    assert {"DK-F1", "DK-P1", "DK-P2"}.isdisjoint(subsidy)


def test_subsidy_matches_the_per_day_reference(subsidy, subsidy_scenario):
    rows = subsidy_scenario.rows
    assert subsidy == reference.subsidy(rows["loans"], rows["loan_repayments"], YEAR)
    # 10000 × 0.0435 ÷ 360 a day for 158 days, then 6666.67 × 0.0435 ÷ 360 for 134 days = 298.8612: rounded once
    # at the end (rounding each day would give 158 × 1.21 + 134 × 0.81 = 299.72).
    assert subsidy["DK-Q1"] == money("298.86")


def test_subsidy_of_a_common_year(backend, subsidy_scenario, subsidy):
    """DK-S1 earns 366 days in 2020 and 365 in 2021; DK-S2, repaid in 2020, earns nothing in 2021."""
    backend.register_all(prepare(subsidy_scenario.tables()))
    table = run_subsidy(backend, year=YEAR + 1)
    found = dict(zip(table.column("loan_no").to_pylist(), table.column("subsidy").to_pylist(), strict=True))
    assert subsidy["DK-S1"] == money("1830.00") and found["DK-S1"] == money("1825.00")
    assert "DK-S2" not in found and found["DK-F1"] == money("1825.00")


def random_loans(seed: int, count: int) -> FundsScenario:
    """Loans with repayments on random days (some on the loan date, some before, some after the year), renewals,
    extensions and odd rates and amounts."""
    rng = random.Random(seed)
    s = FundsScenario()
    p = s.person("随机甲")
    for i in range(count):
        start = D(YEAR - 2, 1, 1) + dt.timedelta(days=rng.randrange(3 * 366))
        due = start + dt.timedelta(days=rng.choice([90, 365, 730, 1095]))
        extended = due + dt.timedelta(days=rng.randrange(400)) if rng.random() < 0.2 else None
        renewal = f"RD-{rng.randrange(i):04d}" if i and rng.random() < 0.1 else None
        amount = Decimal(rng.randrange(100, 5_000_000)) / 100
        s.loan(f"RD-{i:04d}", p, str(amount), start, due, extended=extended, renewal_of=renewal,
               rate=rng.choice(["0.0435", "0.0475", "0.049", "0.051234"]))
        for _ in range(rng.randrange(6)):
            day = start + dt.timedelta(days=rng.randrange(-5, 900))
            s.repay(f"RD-{i:04d}", day, str((amount * Decimal(rng.random())).quantize(Decimal("0.01"))))
    return s


@pytest.mark.parametrize("seed", [1, 2])
def test_subsidy_agrees_with_the_reference_on_random_loans(backend, seed):
    s = random_loans(seed, 150)
    backend.register_all(prepare(s.tables()))
    for year in (YEAR - 1, YEAR):
        table = run_subsidy(backend, year=year)
        got = dict(zip(table.column("loan_no").to_pylist(), table.column("subsidy").to_pylist(), strict=True))
        assert got == reference.subsidy(s.rows["loans"], s.rows["loan_repayments"], year)
        assert len(got) > 50


# --- dividends --------------------------------------------------------------------------------------------------

def assets(s: FundsScenario) -> dict[str, str]:
    """Households of VILLAGE and V2 and the assets sharing among them; returns name → 户编号."""
    h = {}
    for name, village, status, exit_year, members in [
        ("A", VILLAGE, "in_poverty", None, 3), ("B", VILLAGE, "returned", None, 1),
        ("C", VILLAGE, "exited", YEAR - 2, None),       # exited two years ago: still shares
        ("D", VILLAGE, "exited", YEAR - 3, 4),          # three years ago: no longer
        ("E", VILLAGE, "closed", None, 2), ("G", VILLAGE, "exited", None, 2),
        ("F", V2, "in_poverty", None, 2),
    ]:
        h[name] = f"HH-{name}"
        s.household_year(h[name], village=village, status=status, exit_year=exit_year, members=members)
    # C's size comes from the registry: two active members and one who died.
    for member_status in ("active", "active", "deceased"):
        s.person(f"丙{member_status}", household=h["C"], status="exited", member_status=member_status)
    s.household_year(h["A"], status="in_poverty", year=YEAR - 1)     # another year's row changes nothing
    # 1000.03 元: households ⌊100003 × 0.7⌋ = 70002 fen (4 households: 17500 each, 2 fen left, to A and B);
    # villages 30001 fen: 15001 to VILLAGE (first in code order), 15000 to V2.
    s.asset("ZC-1", villages=f"{V2};{VILLAGE}", ratio="0.7", income="1000.03")
    # 按人, households only: weights A 3, B 1, C 2 of 10000 fen: 5000, 1666 r4, 3333 r2 → B takes the last fen.
    s.asset("ZC-2", villages=VILLAGE, ratio="1", method="per_person", income=100)
    s.asset("ZC-3", villages=VILLAGE, ratio="0.5", status="disposed", income=5000)
    s.asset("ZC-4", villages=VILLAGE, ratio="0.5", status="scrapped", income=5000)
    # No villages listed: the asset's own division; none of its households shares, so that pool stays.
    s.asset("ZC-5", villages=None, ratio="0.5", division=V3, income="10.01")
    # Villages only, 100 fen among three: 34, 33, 33 in code order whatever the listed order.
    s.asset("ZC-6", villages=f"{V3}; {V2};{VILLAGE};", ratio="0", income=1)
    s.asset("ZC-7", villages=VILLAGE, ratio="0.5", income=1000, year=YEAR - 1)    # income of another year
    return h


@pytest.fixture(scope="module")
def dividend_scenario() -> tuple[FundsScenario, dict[str, str]]:
    s = FundsScenario()
    return s, assets(s)


@pytest.fixture(scope="module")
def shares(backend, dividend_scenario) -> pa.Table:
    backend.register_all(prepare(dividend_scenario[0].tables()))
    table = run_dividends(backend, year=YEAR)
    assert table.schema == DIVIDENDS
    return table


def rows_of(table: pa.Table) -> list[tuple]:
    return [(r["asset_no"], r["household_no"], r["division_code"], r["amount"]) for r in table.to_pylist()]


def test_dividends_acceptance_cases(shares, dividend_scenario):
    h = dividend_scenario[1]
    assert rows_of(shares) == [
        ("ZC-1", None, VILLAGE, money("150.01")),
        ("ZC-1", h["A"], VILLAGE, money("175.01")), ("ZC-1", h["B"], VILLAGE, money("175.01")),
        ("ZC-1", h["C"], VILLAGE, money("175.00")),
        ("ZC-1", None, V2, money("150.00")), ("ZC-1", h["F"], V2, money("175.00")),
        ("ZC-2", h["A"], VILLAGE, money("50.00")), ("ZC-2", h["B"], VILLAGE, money("16.67")),
        ("ZC-2", h["C"], VILLAGE, money("33.33")),
        ("ZC-5", None, V3, money("5.01")),
        ("ZC-6", None, VILLAGE, money("0.34")), ("ZC-6", None, V2, money("0.33")), ("ZC-6", None, V3, money("0.33")),
    ]


def test_every_pool_sums_exactly(shares):
    total: dict[str, Decimal] = defaultdict(Decimal)
    for asset_no, _, _, amount in rows_of(shares):
        total[asset_no] += amount
    assert total == {"ZC-1": money("1000.03"), "ZC-2": money(100), "ZC-5": money("5.01"), "ZC-6": money(1)}


def test_dividends_match_the_reference(shares, dividend_scenario):
    rows = dividend_scenario[0].rows
    assert rows_of(shares) == reference.dividends(rows["assets"], rows["asset_income"], rows["household_years"],
                                                  YEAR, members=rows["members"])


def test_keep_years_and_division():
    s = FundsScenario()
    h = assets(s)
    three = dividends(s.tables(), year=YEAR, keep_years=3, threads=1)
    assert h["D"] in three.column("household_no").to_pylist()
    assert rows_of(three) == reference.dividends(s.rows["assets"], s.rows["asset_income"], s.rows["household_years"],
                                                 YEAR, keep_years=3, members=s.rows["members"])
    standard = dividends(s.tables(), year=YEAR, params={"dividend_keep_years": 3}, threads=1)
    assert standard.equals(three)
    only = dividends(s.tables(), year=YEAR, division_prefix=V2, threads=1)
    assert set(only.column("division_code").to_pylist()) == {V2}


def test_random_pools_sum_exactly():
    """Odd incomes, ratios and household sizes: every household pool and every village pool sums exactly."""
    rng = random.Random(7)
    s = FundsScenario()
    villages = [f"3203211010{i:02d}" for i in range(1, 7)]
    for i in range(120):
        s.household_year(f"HR-{i:03d}", village=rng.choice(villages), members=rng.randrange(0, 7),
                         status=rng.choice(["in_poverty", "returned", "exited", "closed"]),
                         exit_year=rng.choice([None, YEAR - 4, YEAR - 2, YEAR - 1]))
    for i in range(30):
        s.asset(f"ZR-{i:02d}", villages=";".join(rng.sample(villages, rng.randrange(1, 4))),
                ratio=str(Decimal(rng.randrange(0, 1_000_001)) / 1_000_000),
                method=rng.choice(["per_household", "per_person"]), income=str(Decimal(rng.randrange(1, 10**7)) / 100))
    out = dividends(s.tables(), year=YEAR, threads=1)
    assert rows_of(out) == reference.dividends(s.rows["assets"], s.rows["asset_income"], s.rows["household_years"],
                                               YEAR)
    households: dict[str, Decimal] = defaultdict(Decimal)
    for asset_no, household_no, _, amount in rows_of(out):
        if household_no:
            households[asset_no] += amount
    for asset in s.rows["assets"]:
        income = next(r["income"] for r in s.rows["asset_income"] if r["asset_no"] == asset["asset_no"])
        pool = (income * asset["household_ratio"]).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
        assert households.get(asset["asset_no"], pool) == pool


# --- the standards F-OVER reads --------------------------------------------------------------------------------

def test_computed_standards_feed_f_over(subsidy_scenario, dividend_scenario):
    scenario, h = dividend_scenario
    subsidy = interest_subsidy(subsidy_scenario.tables(), year=YEAR, threads=1)
    shares = dividends(scenario.tables(), year=YEAR, threads=1)
    standards = computed_standards(subsidy, shares)
    assert standards.schema == STANDARDS
    found = {(r["item"], r["key"]): r["amount"] for r in standards.to_pylist()}
    assert found[("loan_interest_subsidy", "DK-S2")] == money(75)
    assert found[("dividend", h["A"])] == money("225.01")        # ZC-1 175.01 + ZC-2 50.00
    assert ("dividend", h["F"]) in found and not any(k[0] == "dividend" and k[1] is None for k in found)

    s = FundsScenario()
    s.rows["standards"] = standards.to_pylist()
    payee = s.person("贷款甲")
    s.pay("PAY-S1", payee, "loan_interest_subsidy", "75.01", loan_no="DK-S2")        # within 0.01
    s.pay("PAY-S2", payee, "loan_interest_subsidy", "1830.02", loan_no="DK-S1")      # over
    member = s.person("甲", household=h["A"])
    s.pay("PAY-S3", member, "dividend", "225.01")
    member_b = s.person("乙", household=h["B"])
    s.pay("PAY-S4", member_b, "dividend", "200.00")                                 # B's standard: 191.68
    with DuckDBBackend(threads=1) as duck:
        over = by_rule(run(duck, s, rules=["F-OVER"]))["F-OVER"]
    assert {f["key"]: f["amount"] for f in over} == {"PAY-S2": money("0.02"), "PAY-S4": money("8.32")}
    assert computed_standards().num_rows == 0


def test_sql_is_one_statement_per_computation():
    for sql in (subsidy_sql(year=YEAR), dividends_sql(year=YEAR)):
        assert sql.startswith("WITH") and sql.count("ORDER BY s.") == 1
    with pytest.raises(ValueError, match="digits"):
        subsidy_sql(year=YEAR, division_prefix="32;")
