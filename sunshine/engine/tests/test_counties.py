"""§3 key-county assessment: the two shares, the boundaries, and what falls short."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.engine.tests.builders import household, member, params, run_counties, village

COUNTY = "320321000000"


def region(meeting: int, failing: int = 0, incomplete: int = 0, *, extra: list[dict] | None = None):
    hs, ms = [], []
    for i in range(meeting + failing + incomplete):
        no = f"H{i:04d}"
        if i < meeting:
            h = household(no)
        elif i < meeting + failing:
            h = household(no, water_safe=False)
        else:
            h = household(no, water_safe=None)
        hs.append(h)
        ms.append(member(no))
    for h in extra or []:
        hs.append(h)
        ms.append(member(h["household_no"]))
    return hs, ms


@pytest.mark.parametrize(("meeting", "failing", "incomplete", "state"), [
    (97, 3, 0, "pass"),        # exactly 97 %
    (96, 4, 0, "fail"),
    (96, 3, 1, "missing"),     # 96 % known; 97 % if the incomplete household turns out to meet
    (96, 0, 4, "missing"),
    (95, 4, 1, "fail"),
    (100, 0, 0, "pass"),
])
def test_household_share(meeting, failing, incomplete, state):
    hs, ms = region(meeting, failing, incomplete)
    (row,) = run_counties(hs, ms, [village()], [COUNTY])
    assert row["k_hh"] == state
    assert row["registered_households"] == meeting + failing + incomplete
    assert row["household_share"] == pytest.approx(meeting / 100)
    assert len(row["households_short"]) == failing + incomplete


def test_registered_means_every_status_but_closed():
    hs, ms = region(97, 2, extra=[household("R1", status="returned", water_safe=False),
                                  household("X1", status="closed", water_safe=False),
                                  household("E1", status="exited")])
    (row,) = run_counties(hs, ms, [village()], [COUNTY])
    assert row["registered_households"] == 101  # 97 + 2 + 返贫 + 已脱贫; 已销户 left out
    assert row["households_meeting"] == 98
    assert row["households_short"] == ["H0097", "H0098", "R1"]


@pytest.mark.parametrize(("incomes", "state", "share"), [
    (["200000", "180000"], "pass", 1.0),
    (["200000", "179999"], "fail", 0.5),
    (["200000", None], "missing", 0.5),
])
def test_weak_village_share(incomes, state, share):
    vs = [village(f"32032110100{i}", collective_income=None if x is None else Decimal(x))
          for i, x in enumerate(incomes, 1)]
    vs.append(village("320321101009", weak_village=False, collective_income=Decimal(1)))  # not weak: not counted
    hs, ms = region(1)
    (row,) = run_counties(hs, ms, vs, [COUNTY])
    assert (row["k_vil"], row["weak_villages"], row["village_share"]) == (state, 2, share)
    assert row["villages_short"] == ([] if state == "pass" else ["320321101002"])


def test_no_weak_village_passes_but_no_data_is_missing():
    hs, ms = region(1)
    (row,) = run_counties(hs, ms, [village(weak_village=False)], [COUNTY])
    assert (row["k_vil"], row["village_share"], row["result"]) == ("pass", None, "meets")
    assert row["explanation"] == (
        "达标:建档立卡户(未脱贫、已脱贫、返贫)1户中达标1户,占100.00%,不低于标准97%;无省定经济薄弱村。")
    (row,) = run_counties([], [], [], [COUNTY])
    assert (row["k_hh"], row["k_vil"], row["result"]) == ("missing", "missing", "incomplete")
    assert row["explanation"] == "缺数据:无建档立卡户数据;无村年度数据。"


def test_explanation_of_a_failing_county():
    hs, ms = region(95, 4, 1)
    vs = [village("320321101001"), village("320321101002", collective_income=Decimal("100000"))]
    (row,) = run_counties(hs, ms, vs, [COUNTY], params(county_household_share=0.975))
    assert row["result"] == "fails"
    assert row["explanation"] == (
        "未达标:建档立卡户(未脱贫、已脱贫、返贫)100户中达标95户,占95.00%,低于标准97.5%,其中1户缺数据;"
        "省定经济薄弱村2个中村集体经济收入达标1个,占50.00%,低于标准100%。")


def test_counties_listed_or_found_and_kept_apart():
    other = household("O1", village_code="320322101001", water_safe=False)
    hs, ms = region(3, extra=[other])
    vs = [village(), village("320322101001")]
    rows = run_counties(hs, ms, vs, None)
    assert [(r["division_code"], r["registered_households"], r["k_hh"]) for r in rows] == [
        (COUNTY, 3, "pass"), ("320322000000", 1, "fail")]
    assert [r["division_code"] for r in run_counties(hs, ms, vs, [COUNTY, "320322000000"], prefix="320321")] == [COUNTY]


def test_a_county_run_needs_whole_counties():
    with pytest.raises(ValueError, match="whole counties"):
        run_counties([], [], [], [COUNTY], prefix="320321101")
