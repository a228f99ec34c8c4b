"""§2 village assessment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.engine.tests.builders import params, run_villages, village


@pytest.mark.parametrize(("income", "state", "result", "text"), [
    ("180000", "pass", "meets", "达标:村集体经济收入180000.00元,不低于村集体经济收入标准180000元。"),
    ("179999.99", "fail", "fails", "未达标:村集体经济收入179999.99元,低于村集体经济收入标准180000元。"),
    (None, "missing", "incomplete", "缺数据:村集体经济收入缺数据。"),
])
def test_collective_income_decides(income, state, result, text):
    (row,) = run_villages([village(collective_income=None if income is None else Decimal(income))])
    assert (row["v_inc"], row["result"]) == (state, result)
    assert row["explanation"].startswith(text)


@pytest.mark.parametrize(("road", "clinic"), [(False, False), (None, True), (True, None)])
def test_road_and_clinic_are_reported_not_required(road, clinic):
    (row,) = run_villages([village(two_lane_road=road, clinic_ok=clinic)])
    assert row["result"] == "meets"
    names = {True: "pass", False: "fail", None: "missing"}
    assert (row["v_road"], row["v_clinic"]) == (names[road], names[clinic])
    words = {True: "是", False: "否", None: "缺数据"}
    assert row["explanation"].endswith(
        f"基础设施(不计入认定):通双车道四级公路{words[road]},村卫生室达标{words[clinic]}。")


def test_village_line_is_a_parameter_and_scope_and_year_filter():
    rows = run_villages([village("320321101001"), village("320322101001"), village("320321101002", year=2019)],
                        params(village_income_line=250000), prefix="320321")
    assert [(r["division_code"], r["v_inc"]) for r in rows] == [("320321101001", "fail")]
