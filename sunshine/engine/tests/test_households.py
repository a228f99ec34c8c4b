"""§1 household assessment, criterion by criterion and boundary by boundary (Arrow in, Arrow out; no
database). Every case also checks that the per-household Python reference gives the same row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sunshine.engine.tests.builders import (
    YEAR,
    aged,
    assess,
    assess_one,
    household,
    income,
    member,
    run_households,
)

DAY = dt.timedelta(days=1)


# --- H-INC ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "members", "state", "per_capita"), [
    ("6000", 1, "pass", "6000.00"),              # exactly at the line passes
    ("5999.99", 1, "fail", "5999.99"),
    ("18000", 3, "pass", "6000.00"),             # 3 × 6000
    ("17999.99", 3, "fail", "5999.99"),          # 5999.9966…: truncated to the fen, never rounded up to the line
    ("18000.02", 3, "pass", "6000.00"),
    ("-300", 1, "fail", "-300.00"),              # a business loss can make income negative
    ("0", 2, "fail", "0.00"),
])
def test_income_line(total, members, state, per_capita):
    ms = [member(name=f"成员{i}") for i in range(members)]
    row = assess_one(household(**income(total)), ms)
    assert row["h_inc"] == state
    assert row["per_capita_income"] == Decimal(per_capita)
    if state == "fail":
        assert row["explanation"] == f"未达标:人均可支配收入{per_capita}元,低于收入标准6000元。"
    else:
        assert row["result"] == "meets"
        assert row["explanation"] == f"达标:人均可支配收入{per_capita}元,不低于收入标准6000元;两不愁三保障均有保障。"


def test_income_formula_subtracts_expenses():
    h = household(wage_income=Decimal("5000"), business_income=Decimal("3000"), business_expense=Decimal("1000"),
                  property_income=Decimal("100"), transfer_income=Decimal("1000"), transfer_expense=Decimal("100"))
    assert assess_one(h, [member()])["per_capita_income"] == Decimal("8000.00")


@pytest.mark.parametrize(("item", "label"), [
    ("wage_income", "工资性收入"), ("business_income", "生产经营性收入"), ("business_expense", "生产经营性支出"),
    ("property_income", "财产性收入"), ("transfer_income", "转移性收入"), ("transfer_expense", "转移性支出"),
])
def test_a_missing_income_item_is_incomplete_not_fails(item, label):
    row = assess_one(household(**{item: None}), [member()])
    assert row["h_inc"] == "missing"
    assert row["result"] == "incomplete"
    assert row["per_capita_income"] is None
    assert row["explanation"] == f"缺数据:{label}缺数据。"


def test_several_missing_items_are_all_named():
    row = assess_one(household(wage_income=None, transfer_expense=None), [member()])
    assert row["explanation"] == "缺数据:工资性收入、转移性支出缺数据。"


def test_what_if_line_moves_the_boundary():
    h, ms = household(**income("6200")), [member()]
    assert assess_one(h, ms)["h_inc"] == "pass"
    assert assess_one(h, ms, income_line=6500)["h_inc"] == "fail"
    assert assess_one(household(**income("6500")), ms, income_line=6500)["h_inc"] == "pass"


def test_deceased_and_moved_out_members_are_not_in_the_denominator():
    ms = [member(name="甲"), member(name="乙", member_status="deceased"), member(name="丙", member_status="moved_out")]
    row = assess_one(household(**income("6000")), ms)
    assert (row["active_members"], row["per_capita_income"], row["h_inc"]) == (1, Decimal("6000.00"), "pass")
    everyone = [m | {"member_status": "active"} for m in ms]
    assert assess_one(household(**income("6000")), everyone)["h_inc"] == "fail"


def test_household_without_active_members_is_incomplete():
    row = assess_one(household(), [member(member_status="deceased")])
    assert (row["active_members"], row["h_inc"], row["result"]) == (0, "missing", "incomplete")
    assert row["explanation"] == "缺数据:无在册成员,无法计算人均可支配收入。"


# --- H-FOOD, H-WATER --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "column", "label"), [
    ("food_clothing_secure", "h_food", "吃穿不愁"), ("water_safe", "h_water", "饮水安全"),
])
@pytest.mark.parametrize(("value", "state", "text"), [(True, "pass", None), (False, "fail", "为否"),
                                                     (None, "missing", "缺数据")])
def test_yes_no_indicators(field, column, label, value, state, text):
    row = assess_one(household(**{field: value}), [member()])
    assert row[column] == state
    if text:
        prefix = "未达标" if state == "fail" else "缺数据"
        assert row["explanation"] == f"{prefix}:{label}{text}。"


# --- H-EDU ------------------------------------------------------------------------------------------------

def child(age: int | None, school: str | None, education: str | None = None, *, birth: dt.date | None = None,
          status: str = "active", name: str = "张三") -> dict:
    return member(name=name, birth=birth or (aged(age) if age is not None else None), relation="child",
                  school_status=school, education_level=education, member_status=status)


@pytest.mark.parametrize(("age", "school", "education", "state", "reason"), [
    (15, "not_in_school", "junior", "pass", None),             # completed 初中
    (15, "not_in_school", "senior", "pass", None),
    (15, "not_in_school", "primary", "fail", "成员张三(15岁)为非在校生,文化程度为小学,未完成初中"),
    (15, "not_in_school", None, "missing", "成员张三(15岁)为非在校生,文化程度缺数据"),
    (13, "dropped_out", "primary", "fail", "成员张三(13岁)在校生状况为辍学"),
    (13, "dropped_out", "junior", "fail", "成员张三(13岁)在校生状况为辍学"),
    (10, "home_taught", None, "pass", None),                   # 送教上门 passes
    (12, "suspended", "primary", "pass", None),                # 休学 passes, with a note
    (10, "primary", "illiterate", "pass", None),
    (6, "preschool", None, "pass", None),
    (10, None, None, "missing", "成员张三(10岁)在校生状况缺数据"),
    (16, "not_in_school", "primary", "pass", None),            # above school age
    (16, "dropped_out", "primary", "pass", None),
    (5, "not_in_school", None, "pass", None),                  # below school age
    (6, "dropped_out", None, "fail", "成员张三(6岁)在校生状况为辍学"),
])
def test_compulsory_education(age, school, education, state, reason):
    row = assess_one(household(**income("20000")), [member(), child(age, school, education)])
    assert row["h_edu"] == state
    if reason:
        assert reason in row["explanation"]
        assert row["result"] == ("fails" if state == "fail" else "incomplete")
    else:
        assert row["result"] == "meets"


def test_suspension_adds_a_note():
    row = assess_one(household(**income("20000")), [member(), child(12, "suspended")])
    assert row["explanation"].endswith("两不愁三保障均有保障。备注:成员张三(12岁)在校生状况为休学。")


@pytest.mark.parametrize(("birth", "state"), [
    (dt.date(YEAR - 16, 9, 1), "pass"),   # 16 on 1 September: no longer of school age
    (dt.date(YEAR - 16, 9, 2), "fail"),   # a day younger: 15
    (dt.date(YEAR - 6, 9, 1), "fail"),    # 6 on the day
    (dt.date(YEAR - 6, 9, 2), "pass"),    # 5
    (dt.date(2008, 2, 29), "fail"),       # a leap-day birthday: 12
])
def test_age_is_completed_years_on_1_september(birth, state):
    row = assess_one(household(), [member(), child(None, "dropped_out", birth=birth)])
    assert row["h_edu"] == state


def test_unknown_birth_date_is_missing_unless_at_school():
    ms = [member(), child(None, "dropped_out", birth=None, name="李四")]
    row = assess_one(household(), ms)
    assert row["h_edu"] == "missing"
    assert "成员李四出生日期缺数据,无法判断是否处于义务教育年龄,在校生状况为辍学" in row["explanation"]
    assert assess_one(household(), [member(), child(None, "junior", birth=None)])["h_edu"] == "pass"


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_members_no_longer_active_do_not_count_for_education(status):
    row = assess_one(household(), [member(), child(13, "dropped_out", status=status)])
    assert row["h_edu"] == "pass"


def test_every_failing_member_is_named_oldest_first():
    ms = [member(), child(9, "dropped_out", name="小二"), child(14, "dropped_out", name="大毛")]
    row = assess_one(household(**income("30000")), ms)
    assert row["explanation"] == "未达标:成员大毛(14岁)在校生状况为辍学;成员小二(9岁)在校生状况为辍学。"


def test_school_age_range_is_a_parameter():
    ms = [member(), child(16, "dropped_out")]
    assert assess_one(household(), ms)["h_edu"] == "pass"
    assert assess_one(household(), ms, school_age_max=16)["h_edu"] == "fail"


# --- H-MED ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("insured", "state", "text"), [
    (True, "pass", None), (False, "fail", "未达标:成员王五未参加基本医疗保险。"),
    (None, "missing", "缺数据:成员王五基本医疗保险缺数据。"),
])
def test_basic_medical_insurance(insured, state, text):
    row = assess_one(household(), [member(), member(name="王五", medical_insured=insured)])
    assert row["h_med"] == state
    if text:
        assert row["explanation"] == text


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_members_no_longer_active_do_not_count_for_insurance(status):
    row = assess_one(household(), [member(), member(name="王五", medical_insured=False, member_status=status)])
    assert row["h_med"] == "pass"


# --- H-HOUSE ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("grade", "renovation", "state", "reason"), [
    ("A", "not_needed", "pass", None),
    ("B", None, "pass", None),
    ("C", "done", "pass", None),                  # C-grade house 已改造 passes
    ("D", "done", "pass", None),
    ("C", "in_progress", "fail", "住房安全等级为C,危房改造状态为改造中"),  # 改造中 fails
    ("D", "pending", "fail", "住房安全等级为D,危房改造状态为未改造"),
    ("C", "not_needed", "fail", "住房安全等级为C,危房改造状态为无需改造"),
    ("C", None, "missing", "住房安全等级为C,危房改造状态缺数据"),
    (None, None, "missing", "住房安全等级缺数据"),
    (None, "in_progress", "missing", "住房安全等级缺数据,危房改造状态为改造中"),
    (None, "done", "pass", None),
    ("", "", "missing", "住房安全等级缺数据"),      # an empty string is an unknown value too
])
def test_safe_housing(grade, renovation, state, reason):
    row = assess_one(household(housing_grade=grade, renovation_status=renovation), [member()])
    assert row["h_house"] == state
    if reason:
        assert row["explanation"] == f"{'未达标' if state == 'fail' else '缺数据'}:{reason}。"


# --- the result -------------------------------------------------------------------------------------------

def test_fails_wins_over_missing_and_every_reason_is_listed_in_criterion_order():
    h = household(wage_income=None, water_safe=False, housing_grade="C", renovation_status="in_progress")
    ms = [member(), member(name="王五", medical_insured=None), child(13, "dropped_out")]
    row = assess_one(h, ms)
    assert row["result"] == "fails"
    assert [row[c] for c in ("h_inc", "h_food", "h_water", "h_edu", "h_med", "h_house")] == [
        "missing", "pass", "fail", "fail", "missing", "fail"]
    assert row["explanation"] == (
        "未达标:工资性收入缺数据;饮水安全为否;成员张三(13岁)在校生状况为辍学;成员王五基本医疗保险缺数据;"
        "住房安全等级为C,危房改造状态为改造中。")


def test_only_households_of_the_year_not_closed_and_in_scope_are_assessed():
    hs = [household("H1"), household("H2", status="closed"), household("H3", year=YEAR - 1),
          household("H4", status="exited"), household("H5", status="returned"),
          household("H6", village_code="320322101001")]
    ms = [member(h["household_no"], year=h["year"]) for h in hs]
    assert [r["household_no"] for r in assess(hs, ms)] == ["H1", "H4", "H5", "H6"]
    assert [r["household_no"] for r in run_households(hs, ms, prefix="320321")] == ["H1", "H4", "H5"]


def test_members_of_another_year_are_ignored():
    ms = [member(), member(name="去年", year=YEAR - 1, medical_insured=False)]
    row = assess_one(household(), ms)
    assert (row["active_members"], row["h_med"]) == (1, "pass")


def test_an_empty_snapshot_gives_no_rows():
    assert run_households([], []) == []
