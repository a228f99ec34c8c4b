"""§5 monitoring on constructed households (DuckDB): every warning code, must and must-not, the 30% boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sunshine.core.ids import make_id_number
from sunshine.engine.tests.builders import aged, household, income, member, params
from sunshine.engine.tests.monitoring_builders import (
    LAST,
    VILLAGE,
    day,
    h,
    loan,
    monitored,
    one,
    pair,
    person,
    run,
    signal,
    snapshot,
)

ID1, ID2, ID3 = "320321197001010011", "320321197502020022", "320321201003030033"


# --- M-UNSTABLE -------------------------------------------------------------------------------------------

def test_exited_household_below_the_monitoring_line():
    row = one(pair(status="exited", **income("5321")), person(id_number=ID1, name="张三"))
    assert row["codes"] == ["M-UNSTABLE"]
    assert row["contributions"][0] == {"signal": "income_below_line", "points": 40}
    assert row["explanation"].startswith("已脱贫户人均可支配收入5321.00元,低于监测线9000.00元;较上年16600.00元下降")
    assert row["name"] == "张三" and row["per_capita_income"] == Decimal("5321.00")
    assert ID1 not in row["explanation"]


@pytest.mark.parametrize(("now", "fires"), [("8999.99", True), ("9000", False), ("9000.01", False)])
def test_monitoring_line_boundary(now, fires):
    rows = run(pair(status="exited", last=income(now), **income(now)), person(id_number=ID1))
    assert bool(rows) is fires


@pytest.mark.parametrize(("now", "fires"), [
    ("14000.00", True),      # exactly 30% down fires (≤)
    ("14000.01", False),     # 29.99995% down
    ("14002.00", False),     # 29.99% down
    ("13999.99", True),
])
def test_income_drop_boundary_is_exactly_30_percent(now, fires):
    rows = run(pair(status="exited", last=income("20000"), **income(now)), person(id_number=ID1))
    if not fires:
        assert rows == []
        return
    (row,) = rows
    assert row["codes"] == ["M-UNSTABLE"]
    assert row["contributions"] == [{"signal": "income_drop", "points": 30}]
    assert row["score"] == 30
    assert row["explanation"] == f"已脱贫户人均可支配收入{now}元,较上年20000.00元下降30.00%。"
    assert row["signals_text"] == f"income_drop:20000.00:{now}"


def test_drop_share_is_a_parameter():
    h, ms = pair(status="exited", last=income("20000"), **income("15000")), person(id_number=ID1)
    assert run(h, ms) == []
    assert one(h, ms, p=params(income_drop_share="0.25"))["codes"] == ["M-UNSTABLE"]


def test_unstable_only_for_exited_households():
    for status in ("in_poverty", "returned"):
        assert run(pair(status=status, **income("5000")), person(id_number=ID1)) == []


def test_unknown_income_never_fires_unstable():
    hs = pair(status="exited", last=income("20000"), **(income("1000") | {"property_income": None}))
    assert run(hs, person(id_number=ID1)) == []


def test_no_drop_without_a_positive_previous_income():
    hs = [household(year=LAST, **(income("0"))), household(status="exited", **income("9500"))]
    assert run(hs, person(id_number=ID1)) == []
    assert run([household(status="exited", **income("9500"))], [member(id_number=ID1)]) == []  # no last year


def test_closed_households_are_not_monitored():
    assert run(pair(status="closed", **income("100")), person(id_number=ID1)) == []


# --- M-SUDDEN ---------------------------------------------------------------------------------------------

def test_medical_cost_and_disaster_signals():
    text = "医疗保障数据显示成员户主2020年就诊2次,个人自付合计12000.00元,达到预警线10000元"
    signals = [signal("C-MEDCOST", "H1", id_number=ID1, explanation=text),
               signal("C-DISASTER", "H1", id_number=ID1, explanation="应急管理数据显示受灾")]
    row = one(pair(), person(id_number=ID1), signals)
    assert row["codes"] == ["M-SUDDEN"]
    assert row["contributions"] == [{"signal": "medical_cost", "points": 25}, {"signal": "disaster", "points": 20}]
    assert row["score"] == 45
    assert row["explanation"] == f"{text};应急管理数据显示受灾。"
    assert row["signals_text"] == f"medical_cost:{h(ID1)}:{text}|disaster:{h(ID1)}:应急管理数据显示受灾"


def test_signals_of_another_year_or_rule_do_not_count():
    signals = [signal("C-MEDCOST", "H1", id_number=ID1, year=LAST), signal("C-CAR", "H1", id_number=ID1)]
    assert run(pair(), person(id_number=ID1), signals) == []


@pytest.mark.parametrize(("labour", "fires"), [("ordinary", True), ("skilled", True), ("weak", False),
                                               ("none", False), (None, False)])
def test_death_of_a_working_member(labour, fires):
    ms = person(id_number=ID1) + person(name="张三", id_number=ID2, member_status="deceased",
                                        change_date=day(5, 1), labour_ability=labour)
    rows = run(pair(), ms)
    assert bool(rows) is fires
    if fires:
        word = "普通劳动力" if labour == "ordinary" else "技能劳动力"
        assert rows[0]["explanation"] == f"成员张三2020-05-01死亡(原为{word})。"
        assert rows[0]["contributions"] == [{"signal": "breadwinner_death", "points": 35}]


def test_death_labour_ability_falls_back_to_last_year():
    ms = person(id_number=ID1) + person(name="张三", id_number=ID2, last={"labour_ability": "skilled"},
                                        member_status="deceased", change_date=day(12, 31))
    assert one(pair(), ms)["codes"] == ["M-SUDDEN"]


@pytest.mark.parametrize("change", [day(12, 31, LAST), None])
def test_death_outside_the_year_does_not_count(change):
    ms = person(id_number=ID1) + person(name="张三", id_number=ID2, member_status="deceased", change_date=change,
                                        labour_ability="ordinary")
    assert run(pair(), ms) == []


@pytest.mark.parametrize(("last", "now", "fires"), [
    ({"health": "healthy"}, {"health": "serious_illness"}, True),
    ({"health": None}, {"health": "serious_illness"}, True),
    ({"health": "disabled", "disability_level": "level3"}, {"health": "disabled", "disability_level": "level2"}, True),
    ({"health": "healthy"}, {"health": "disabled", "disability_level": "level1"}, True),
    ({"health": "healthy"}, {"health": "disabled", "disability_level": "level3"}, False),
    ({"health": "serious_illness"}, {"health": "serious_illness"}, False),
    ({"health": "disabled", "disability_level": "level1"}, {"health": "serious_illness"}, False),
    ({"health": "healthy"}, {"health": "serious_illness", "member_status": "moved_out"}, False),
])
def test_new_serious_illness_or_disability(last, now, fires):
    ms = person(id_number=ID1) + person(name="李四", id_number=ID2, last=last, **now)
    rows = run(pair(), ms)
    assert bool(rows) is fires
    if fires:
        assert rows[0]["contributions"] == [{"signal": "new_illness", "points": 25}]
        assert rows[0]["explanation"].startswith("成员李四健康状况为")


def test_illness_explanation_names_both_years():
    ms = person(id_number=ID1) + person(name="李四", id_number=ID2, last={"health": "disabled",
                                        "disability_level": "level3"}, health="disabled", disability_level="level1")
    row = one(pair(), ms)
    assert row["explanation"] == "成员李四健康状况为残疾(一级),上年为残疾(三级)。"
    assert row["signals_text"] == f"new_illness:{h(ID2)}:disabled/level1"


def test_a_new_member_counts_only_in_a_household_that_existed_last_year():
    ill = member(name="王五", id_number=ID3, health="serious_illness")
    row = one(pair(), [*person(id_number=ID1), ill])
    assert row["explanation"] == "成员王五健康状况为大病,上年不在册。"
    assert run([household()], [member(id_number=ID1), ill]) == []  # new to the registry: nothing is "new"


def test_a_person_who_moved_in_keeps_last_years_health():
    hs = pair("H1") + pair("H2")
    ms = person("H1", id_number=ID1) + [member("H2", "李四", id_number=ID2, year=LAST, health="serious_illness"),
                                        member("H1", "李四", id_number=ID2, health="serious_illness")]
    assert run(hs, ms) == []


# --- M-SLIP -----------------------------------------------------------------------------------------------

def test_slip_of_all_three_guarantees():
    ms = [member(id_number=ID1, year=LAST), member(id_number=ID1, medical_insured=False)]
    hs = pair(housing_grade="D", renovation_status="pending")
    row = one(hs, ms)
    assert row["codes"] == ["M-SLIP"]
    assert row["contributions"] == [{"signal": "slip_med", "points": 20}, {"signal": "slip_house", "points": 20}]
    assert row["explanation"] == ("上年达标,本年基本医疗无保障(成员户主未参加基本医疗保险)、"
                                  "住房安全无保障(住房安全等级为D,危房改造状态为未改造)。")


def test_slip_of_education():
    child = [member(name="小明", id_number=ID3, birth=aged(12), year=LAST, school_status="primary",
                    education_level="primary"),
             member(name="小明", id_number=ID3, birth=aged(12), school_status="dropped_out", education_level="primary")]
    row = one(pair(), [*person(id_number=ID1), *child])
    assert row["codes"] == ["M-SLIP"]
    assert row["explanation"] == "上年达标,本年义务教育无保障(成员小明(12岁)在校生状况为辍学)。"
    assert row["signals_text"] == "slip_edu:成员小明(12岁)在校生状况为辍学"


def test_no_slip_when_last_year_did_not_meet_or_this_year_is_only_missing():
    ms = [member(id_number=ID1, year=LAST), member(id_number=ID1, medical_insured=False)]
    assert run(pair(last={"water_safe": False}), ms) == []          # last year: fails
    assert run(pair(last={"wage_income": None}), ms) == []          # last year: incomplete
    missing = [member(id_number=ID1, year=LAST), member(id_number=ID1, medical_insured=None)]
    assert run(pair(), missing) == []                                # this year: 缺数据, not a fail
    assert run(pair(food_clothing_secure=False), person(id_number=ID1)) == []  # H-FOOD is not one of the three


# --- M-EDGE -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("income_", "fires"), [("8999.99", True), ("9000.00", False), (None, False)])
def test_monitored_household_below_the_line(income_, fires):
    rows = run([], [], watched=[monitored(7, per_capita=income_)])
    assert bool(rows) is fires
    if fires:
        (row,) = rows
        assert (row["subject"], row["monitored_key"], row["number"], row["codes"], row["score"]) == (
            "monitored", 7, "M0007", ["M-EDGE"], 40)
        assert row["explanation"] == "监测户人均可支配收入8999.99元,低于监测线9000.00元。"


def test_monitored_of_another_year_is_ignored():
    assert run([], [], watched=[monitored(1, per_capita="100", year=LAST)]) == []


DIBAO = "民政低保特困数据显示户主赵六家(3人)在2020年12月31日享受低保(起始日期2019-03-01),该户主不是建档立卡在册成员"


def test_dibao_head_outside_the_registry_is_always_edge():
    row = one([], [], [signal("C-DIBAO-MISSING", None, id_number=ID3, name="赵六", explanation=DIBAO,
                              village_code=VILLAGE)])
    assert (row["subject"], row["id_hash"], row["name"], row["division_code"]) == ("outside", h(ID3), "赵六", VILLAGE)
    assert row["codes"] == ["M-EDGE"] and row["contributions"] == [{"signal": "edge", "points": 40}]
    assert "民政低保名单" in row["explanation"] and ID3 not in row["explanation"]
    assert row["signals_text"] == f"edge:dibao:{h(ID3)}:{DIBAO}"


def test_dibao_head_of_a_monitored_household_is_merged_into_its_row():
    rows = run([], [], [signal("C-DIBAO-MISSING", None, id_number=ID3, explanation=DIBAO, village_code=VILLAGE)],
               [monitored(1, per_capita="9500", head_id=ID3)])
    (row,) = rows
    assert row["subject"] == "monitored" and row["codes"] == ["M-EDGE"]
    assert row["explanation"].startswith(DIBAO)
    both = one([], [], [signal("C-DIBAO-MISSING", None, id_number=ID3, explanation=DIBAO, village_code=VILLAGE)],
               [monitored(1, per_capita="5000", head_id=ID3)])
    assert both["explanation"].startswith("监测户人均可支配收入5000.00元,低于监测线9000.00元;" + DIBAO)
    assert both["score"] == 40  # one signal, counted once


# --- overdue micro-credit (扶贫小额信贷, funds.md §5) -------------------------------------------------------

@pytest.mark.parametrize(("days", "fires"), [(89, False), (90, False), (91, True)])
def test_loan_overdue_more_than_the_warning_days(days, fires):
    rows = run(pair(), person(id_number=ID1), loans=[loan("H1", "XD001", days=days, outstanding="15000.50")])
    assert bool(rows) is fires
    if fires:
        (row,) = rows
        assert row["codes"] == ["M-SUDDEN"]
        assert row["contributions"] == [{"signal": "loan_overdue", "points": 20}] and row["score"] == 20
        assert row["explanation"] == "扶贫小额信贷XD001逾期91天,尚欠本金15000.50元。"
        assert row["signals_text"] == "loan_overdue:XD001"


def test_loan_weight_and_days_come_from_the_standard():
    loans = [loan("H1", "XD001", days=61)]
    assert run(pair(), person(id_number=ID1), loans=loans) == []
    row = one(pair(), person(id_number=ID1), loans=loans, p=params(loan_overdue_warning_days=60, risk_loan_overdue=33))
    assert row["score"] == 33 and row["contributions"] == [{"signal": "loan_overdue", "points": 33}]


def test_loans_of_a_household_in_one_text_and_a_signature_without_the_days():
    def rows(days):
        return one(pair(status="exited", last=income("100"), **income("100")), person(id_number=ID1),
                   loans=[loan("H1", "XD002", days=days, outstanding="100"), loan("H1", "XD001", days=200),
                          loan("H1", "XD003", days=30)])
    row = rows(120)
    assert row["codes"] == ["M-UNSTABLE", "M-SUDDEN"]
    assert [c["signal"] for c in row["contributions"]] == ["income_below_line", "loan_overdue"]
    assert row["explanation"].endswith(";扶贫小额信贷XD001逾期200天,尚欠本金20000.00元;"
                                       "扶贫小额信贷XD002逾期120天,尚欠本金100.00元。")
    assert row["signals_text"].endswith("|loan_overdue:XD001,XD002")
    # A day later the loans are a day more overdue: the same signature, so the open warning is not raised again.
    assert rows(121)["signals_text"] == row["signals_text"]


def test_loans_of_closed_households_or_another_division_do_not_count():
    hs = pair("H1", status="closed") + pair("H2", village_code="320321102001")
    ms = person("H1", id_number=ID1) + person("H2", id_number=ID2)
    loans = [loan("H1", "XD001", days=200), loan("H2", "XD002", days=200)]
    assert [r["household_no"] for r in run(hs, ms, loans=loans)] == ["H2"]
    assert run(hs, ms, loans=loans, prefix=VILLAGE) == []


# --- score, order, scope, determinism ----------------------------------------------------------------------

def test_score_is_capped_at_100_and_weights_are_parameters():
    ms = [member(id_number=ID1, year=LAST),
          member(id_number=ID1, medical_insured=False, health="serious_illness")]
    hs = pair(status="exited", housing_grade="D", renovation_status="pending", **income("100"))
    signals = [signal("C-MEDCOST", "H1", id_number=ID1), signal("C-DISASTER", "H1", id_number=ID1)]
    row = one(hs, ms, signals)
    assert row["codes"] == ["M-UNSTABLE", "M-SUDDEN", "M-SLIP"]
    assert [c["signal"] for c in row["contributions"]] == [
        "income_below_line", "income_drop", "medical_cost", "disaster", "new_illness", "slip_med", "slip_house"]
    assert sum(c["points"] for c in row["contributions"]) == 180 and row["score"] == 100
    low = one(hs, ms, signals, p=params(risk_income_below_line=1, risk_income_drop=2, risk_medical_cost=3,
                                          risk_disaster=4, risk_new_illness=5, risk_slip=6))
    assert low["score"] == 1 + 2 + 3 + 4 + 5 + 6 + 6


def test_rows_are_ordered_and_filtered_by_division():
    other = "320321102001"
    hs = pair("H2", status="exited", **income("100")) + pair("H1", status="exited", village_code=other,
                                                              **income("100"))
    ms = person("H2", id_number=ID1) + person("H1", id_number=ID2)
    watched = [monitored(2, per_capita="1"), monitored(1, per_capita="1", division=other)]
    outside = [signal("C-DIBAO-MISSING", None, id_number=ID3, village_code=other, explanation=DIBAO)]
    rows = run(hs, ms, outside, watched)
    assert [(r["subject"], r["household_no"] or r["number"] or r["id_hash"]) for r in rows] == [
        ("registered", "H1"), ("registered", "H2"), ("monitored", "M0001"), ("monitored", "M0002"),
        ("outside", h(ID3))]
    scoped = run(hs, ms, outside, watched, prefix=VILLAGE)
    assert [(r["subject"], r["division_code"]) for r in scoped] == [("registered", VILLAGE), ("monitored", VILLAGE)]


def test_same_data_same_rows_changed_data_changed_signals_text():
    def scenario(claim="12000.00", wage="5000"):
        return run(pair(status="exited", **income(wage)), person(id_number=ID1),
                   [signal("C-MEDCOST", "H1", id_number=ID1, explanation=f"个人自付合计{claim}元")])

    first = scenario()
    assert first == scenario()
    assert scenario(claim="15000.00")[0]["signals_text"] != first[0]["signals_text"]
    assert scenario(wage="4000")[0]["signals_text"] != first[0]["signals_text"]


def test_without_optional_tables_nothing_outside_the_registry_is_read():
    assert run(pair(), person(id_number=ID1)) == []


# --- ID hashes: matched and signed on hashes, ordered as the plain numbers -----------------------------------

def _reversed_pair() -> tuple[str, str]:
    """Two ID numbers, lower first, whose hashes are in the other order."""
    ids = [make_id_number("320321", dt.date(1960 + k, 1, 1), 11) for k in range(20)]
    return next((a, b) for a in ids for b in ids if a < b and h(a) > h(b))


def test_signal_texts_follow_the_plain_ids_not_their_hashes():
    low, high = _reversed_pair()
    ms = person(id_number=low, name="甲") + person(id_number=high, name="乙")
    signals = [signal("C-MEDCOST", "H1", id_number=high, explanation="乙就诊"),
               signal("C-MEDCOST", "H1", id_number=low, explanation="甲就诊")]
    row = one(pair(), ms, signals)
    assert row["explanation"] == "甲就诊;乙就诊。"
    assert row["signals_text"] == f"medical_cost:{h(low)}:甲就诊,{h(high)}:乙就诊"


def test_outside_heads_follow_the_plain_ids_and_take_the_region_of_their_id():
    low, high = _reversed_pair()
    rows = run([], [], [signal("C-DIBAO-MISSING", None, id_number=i, name=n, explanation=DIBAO)
                        for i, n in ((high, "乙"), (low, "甲"))])
    assert [(r["id_hash"], r["name"], r["division_code"]) for r in rows] == [
        (h(low), "甲", "320321000000"), (h(high), "乙", "320321000000")]


def test_prepared_tables_hold_no_plain_id():
    hs, ms = pair(), person(id_number=ID1) + person(id_number=ID2, name="乙")
    snap = snapshot(hs, ms, [signal("C-MEDCOST", "H1", id_number=ID1)], [monitored(1, per_capita="1", head_id=ID3)])
    assert snap["members"].column("id_number").null_count == snap["members"].num_rows
    assert snap["members"].column("id_hash").to_pylist() == [h(ID1), h(ID1), h(ID2), h(ID2)]
    assert "id_number" not in snap["signals"].column_names and "head_id_number" not in snap["monitored"].column_names
    text = repr({name: table.to_pylist() for name, table in snap.items()})
    assert [i for i in (ID1, ID2, ID3) if i in text] == []
