"""Validation of registry files (sunshine.registry.transfer.validate): every rule, with its row and column."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.registry.models import Household, MemberYear
from sunshine.registry.tests import transfer_samples as s
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES
from sunshine.registry.transfer.model import RowError
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.transfer.validate import validate_registry, validate_villages, write_errors
from sunshine.testing import factories as f

H, M = "households.csv", "members.csv"
Mutation = Callable[[s.Rows, s.Rows, int], None]


def _m(h: int, k: int) -> int:
    return s.MEMBERS_PER_HOUSEHOLD * h + k


def _set(table: str, k: int | None, field: str, value: str | None) -> Mutation:
    def mutate(hs: s.Rows, ms: s.Rows, h: int) -> None:
        row = hs[h] if table == "h" else ms[_m(h, k or 0)]
        row[field] = value(hs, ms, h) if callable(value) else value
    return mutate


def _flip_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def _both(*mutations: Mutation) -> Mutation:
    def mutate(hs: s.Rows, ms: s.Rows, h: int) -> None:
        for m in mutations:
            m(hs, ms, h)
    return mutate


FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()

# id, mutation of household h and its members, file, member offset (None = the household row), column, message
CASES: list[tuple[str, Mutation, str, int | None, str, str]] = [
    ("enum", _set("h", None, "household_type", "贫困户"), H, None, "户类型", "一般户、低保户、特困供养户"),
    ("money_places", _set("h", None, "wage_income", "12000.123"), H, None, "工资性收入", "两位小数"),
    ("money_negative", _set("h", None, "business_expense", "-1.00"), H, None, "生产经营性支出", "负数"),
    ("money_text", _set("h", None, "property_income", "二百"), H, None, "财产性收入", "金额数字"),
    ("phone", _set("h", None, "phone", "12345"), H, None, "联系电话", "11位手机号"),
    ("exit_year_missing", _set("h", None, "exit_year", None), H, None, "脱贫年度", "已脱贫"),
    ("bool", _set("h", None, "water_safe", "有"), H, None, "饮水安全", "“是”或“否”"),
    ("year_text", _set("h", None, "year", "二〇二〇"), H, None, "年度", "年份"),
    ("identified_year", _set("h", None, "identified_year", "16"), H, None, "识别年度", "年份"),
    ("code_digits", _set("h", None, "division_code", "3203211010"), H, None, "区划代码", "12位"),
    ("code_township", _set("h", None, "division_code", "320321101000"), H, None, "区划代码", "村级"),
    ("village_unknown", _set("h", None, "division_code", "320321101099"), H, None, "区划代码", "不是已知的村"),
    ("head_name_differs", _set("h", None, "head_name", "李四"), H, None, "户主姓名", "一致"),
    ("head_id_differs", _set("h", None, "head_id_number", lambda hs, ms, h: ms[_m(h, 1)]["id_number"]),
     H, None, "户主身份证号", "一致"),
    ("head_id_checksum", _set("h", None, "head_id_number", lambda hs, ms, h: _flip_check(hs[h]["head_id_number"])),
     H, None, "户主身份证号", "校验位"),
    ("head_id_as_number", _set("h", None, "head_id_number", "3.20321197005170E+17"), H, None, "户主身份证号", "数值"),
    ("required", _set("h", None, "head_name", None), H, None, "户主姓名", "必填"),
    ("too_long", _set("h", None, "head_name", "张" * 41), H, None, "户主姓名", "40个字符"),
    ("no_head", _set("m", 0, "relation", "配偶"), H, None, "户编号", "户主"),
    ("gender_differs", _set("m", 1, "gender", "男"), M, 1, "性别", "不符"),
    ("birth_differs", _set("m", 1, "birth_date", "1980-01-01"), M, 1, "出生日期", "不符"),
    ("date_format", _set("m", 1, "birth_date", "01/08/1972"), M, 1, "出生日期", "YYYY-MM-DD"),
    ("id_checksum", _set("m", 2, "id_number", lambda hs, ms, h: _flip_check(ms[_m(h, 2)]["id_number"])),
     M, 2, "身份证号", "校验位"),
    ("id_as_number", _set("m", 2, "id_number", "3.20321200503090E+17"), M, 2, "身份证号", "数值"),
    ("household_missing", _set("m", 2, "household_no", "X9999"), M, 2, "户编号", "户信息中没有"),
    ("person_twice", _both(_set("m", 2, "id_number", lambda hs, ms, h: ms[_m(h, 1)]["id_number"]),
                           _set("m", 2, "birth_date", None)), M, 2, "身份证号", "同一人一年只能在一户中"),
    ("second_head", _set("m", 1, "relation", "户主"), M, 1, "与户主关系", "已有户主"),
    ("relation_enum", _set("m", 0, "relation", "户长"), M, 0, "与户主关系", "户主、配偶"),
    ("disability_level", _set("m", 0, "disability_level", "一级"), M, 0, "残疾等级", "残疾"),
    ("disability_type", _set("m", 0, "disability_type", "视力"), M, 0, "残疾类别", "残疾"),
    ("change_date_future", _set("m", 1, "change_date", FUTURE), M, 1, "变动日期", "不能晚于今天"),
    ("member_name", _set("m", 1, "name", None), M, 1, "姓名", "必填"),
    ("member_enum", _set("m", 1, "education_level", "博士"), M, 1, "文化程度", "文盲或半文盲、小学"),
    ("member_year", _set("m", 1, "year", "20二0"), M, 1, "年度", "年份"),
    ("member_id_missing", _set("m", 1, "id_number", None), M, 1, "身份证号", "必填"),
]


def _expected_row(h: int, k: int | None) -> int:
    return h + 2 if k is None else _m(h, k) + 2


@pytest.mark.parametrize(("mutate", "file", "k", "column", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_rule_reports_one_error_at_its_cell(region, mutate, file, k, column, fragment):
    hs, ms = s.sample(2)
    mutate(hs, ms, 1)
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(file, _expected_row(1, k), column)], parsed.errors
    assert fragment in parsed.errors[0].message
    assert parsed.bad_households <= {("H0002", 2020), ("X9999", 2020)}
    good = [r for r in parsed.households if r["household_no"] == "H0001"]
    assert len(good) == 1 and ("H0001", 2020) not in parsed.bad_households


def test_twenty_planted_errors_of_twenty_kinds_give_exactly_twenty_rows(region, tmp_path):
    kinds = [c for c in CASES if c[0] not in {"head_id_as_number", "id_as_number", "code_township", "member_year",
                                               "member_id_missing", "too_long", "money_text", "identified_year",
                                               "disability_type", "date_format", "year_text", "required",
                                               "relation_enum", "head_id_checksum", "member_name"}]
    assert len(kinds) == 20
    hs, ms = s.sample(22)
    for h, (_, mutate, *_rest) in enumerate(kinds, start=1):
        mutate(hs, ms, h)
    paths = {"households": s.write_csv(tmp_path / H, HOUSEHOLDS, hs),
             "members": s.write_csv(tmp_path / M, MEMBERS, ms, encoding="gb18030")}
    before = (Household.objects.count(), MemberYear.objects.count())
    parsed = validate_registry(households=read_table(paths["households"], HOUSEHOLDS),
                               members=read_table(paths["members"], MEMBERS))
    expected = sorted((file, _expected_row(h, k), column)
                      for h, (_, _, file, k, column, _) in enumerate(kinds, start=1))
    assert sorted((e.file, e.row, e.column) for e in parsed.errors) == expected
    assert len(parsed.errors) == 20
    # households 0 and 21 are untouched; the child with a wrong 户编号 is skipped but its household is good
    moved = 1 + [c[0] for c in kinds].index("household_missing")
    good = {"H0001", "H0022", f"H{moved + 1:04d}"}
    assert {f"H{i + 1:04d}" for i in range(22)} - {no for no, _ in parsed.bad_households} == good
    assert (Household.objects.count(), MemberYear.objects.count()) == before


def test_valid_files_give_typed_rows(region):
    hs, ms = s.sample(1)
    hs[0]["head_id_number"] = hs[0]["head_id_number"].lower()
    parsed = validate_registry(**s.tables(hs, ms))
    assert parsed.ok and parsed.bad_households == set()
    household, = parsed.households
    assert household["_row"] == 2
    assert household["year"] == 2020 and household["status"] == "exited" and household["exit_year"] == 2019
    assert household["wage_income"] == Decimal("12000.00") and household["business_income"] == Decimal("3000.50")
    assert household["food_clothing_secure"] is True and household["has_electricity"] is False
    assert household["housing_grade"] == "B" and household["renovation_status"] == "not_needed"
    head, spouse, child = parsed.members
    assert head["gender"] == "male" and type(head["gender"]) is str  # filled from the ID
    assert head["birth_date"] == dt.date(1970, 5, 17)
    assert spouse["relation"] == "spouse" and spouse["gender"] == "female"
    assert child["disability_level"] == "level2" and child["disability_type"] == "physical"
    assert child["change_date"] is None and child["pension_insured"] is False


def test_fifteen_digit_and_lower_case_ids_are_normalised(region):
    hs, ms = s.sample(1)
    fifteen = "110105491231002"   # → 11010519491231002X, a woman born 1949-12-31
    ms[1].update(id_number=fifteen, birth_date=None)
    ms[2]["id_number"] = ms[2]["id_number"][:-1] + ms[2]["id_number"][-1].lower()
    parsed = validate_registry(**s.tables(hs, ms))
    assert parsed.ok, parsed.errors
    assert parsed.members[1]["id_number"] == "11010519491231002X"
    assert parsed.members[1]["birth_date"] == dt.date(1949, 12, 31)



def test_gender_and_birth_date_against_the_id_say_what_the_id_shows(region):
    """The members' ID numbers are parsed a column at a time; what a disagreement says is what check_identity says
    of one number, and an invalid number still says why."""
    hs, ms = s.sample(1)
    spouse = ms[1]["id_number"]
    shown = f"{spouse[6:10]}-{spouse[10:12]}-{spouse[12:14]}"
    ms[1].update(gender="男", birth_date="1980-01-01")
    ms[2]["id_number"] = ms[2]["id_number"][:6] + "19701332" + ms[2]["id_number"][14:]
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (3, "出生日期", f"出生日期与身份证号不符(身份证号显示为{shown})"),
        (3, "性别", f"性别与身份证号不符(身份证号显示为{'女' if int(spouse[16]) % 2 == 0 else '男'})"),
        (4, "身份证号", "身份证号无效:身份证号中的出生日期无效"),
    ]


def test_slugs_and_lower_case_grade_are_accepted(region):
    hs, ms = s.sample(1)
    hs[0].update(status="exited", housing_grade="c")
    parsed = validate_registry(**s.tables(hs, ms))
    assert parsed.ok and parsed.households[0]["housing_grade"] == "C"


def test_duplicate_household_number_in_a_year(region):
    hs, ms = s.sample(2)
    hs.append(copy.deepcopy(hs[0]))
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(H, 4, "户编号")]
    assert "第2行" in parsed.errors[0].message
    assert parsed.bad_households == {("H0001", 2020)}


def test_household_without_members(region):
    hs, ms = s.sample(2)
    hs.append(s.household_row("H0003", "王五", f.new_id()))
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.row, e.column) for e in parsed.errors] == [(4, "户编号")]
    assert "没有该户的成员" in parsed.errors[0].message


def test_same_number_in_another_year_is_another_household(region):
    hs, ms = s.sample(1)
    hs2, ms2 = s.sample(1, year=2019)
    hs2[0]["household_no"] = hs[0]["household_no"]
    for m in ms2:
        m["household_no"] = hs[0]["household_no"]
    parsed = validate_registry(**s.tables(hs + hs2, ms + ms2))
    assert parsed.ok, parsed.errors
    assert {(r["household_no"], r["year"]) for r in parsed.households} == {("H0001", 2020), ("H0001", 2019)}


def test_person_in_two_households_of_the_file(region):
    hs, ms = s.sample(2)
    ms[5].update(id_number=ms[2]["id_number"], birth_date=None)   # H0002's child is H0001's child
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(M, 7, "身份证号")]
    assert "第4行" in parsed.errors[0].message and "H0001" in parsed.errors[0].message
    assert parsed.bad_households == {("H0002", 2020)}


def test_person_in_a_database_household_not_in_the_file(household_a):
    head = household_a.members.get(relation="head").person
    hs, ms = s.sample(1)
    ms[2].update(id_number=head.id_number, name=head.name, birth_date=None)
    parsed = validate_registry(**s.tables(hs, ms))
    assert [(e.row, e.column) for e in parsed.errors] == [(4, "身份证号")]
    assert "系统中另一户" in parsed.errors[0].message
    assert household_a.household.household_no not in parsed.errors[0].message  # not named: maybe out of scope


def test_reimporting_a_database_household_is_not_a_conflict(household_a):
    rows = [s.member_row(household_a.household.household_no, m.person.name, m.person.id_number,
                         "户主" if m.relation == "head" else "子女")
            for m in household_a.members.select_related("person").order_by("id")]
    hs = [s.household_row(household_a.household.household_no, household_a.head_name, household_a.head_id_number)]
    parsed = validate_registry(**s.tables(hs, rows))
    assert parsed.ok, parsed.errors
    # … and a person moving into a household of the file from another household of the file is fine too
    hs2, ms2 = s.sample(1)
    rows[2]["household_no"] = hs2[0]["household_no"]
    parsed = validate_registry(**s.tables(hs + hs2, rows + ms2))
    assert parsed.ok, parsed.errors


def test_year_argument_refuses_rows_of_another_year(region):
    hs, ms = s.sample(1, year=2019)
    parsed = validate_registry(**s.tables(hs, ms), year=2020)
    assert {(e.file, e.row, e.column) for e in parsed.errors} == {(H, 2, "年度"), (M, 2, "年度"), (M, 3, "年度"),
                                                                  (M, 4, "年度")}
    assert all("2020" in e.message for e in parsed.errors)


def test_year_out_of_range(region):
    hs, ms = s.sample(1, year=1999)
    parsed = validate_registry(**s.tables(hs, ms))
    assert len(parsed.errors) == 4 and all("2000至2100" in e.message for e in parsed.errors)


def test_errors_are_sorted_by_file_sheet_row_column(region):
    hs, ms = s.sample(3)
    hs[2]["phone"] = "1"
    hs[0].update(phone="2", household_type="x")
    ms[4]["gender"] = "男"
    parsed = validate_registry(**s.tables(hs, ms))
    keys = [(e.file, e.sheet, e.row, e.column) for e in parsed.errors]
    assert keys == sorted(keys) and len(keys) == 4


# ---- villages ----

def test_household_in_a_village_introduced_by_the_village_file(region):
    new_village = "320321101050"
    hs, ms = s.sample(1, village=new_village)
    vs = [s.village_row(new_village, "新村")]
    assert not validate_registry(**s.tables(hs, ms)).ok
    parsed = validate_registry(**s.tables(hs, ms, vs))
    assert parsed.ok, parsed.errors
    village, = parsed.villages
    assert village["key_area"] == "fengxian_huxi" and village["collective_income"] == Decimal("150000.00")
    assert village["weak_village"] is True and village["clinic_ok"] is False


def test_household_in_a_bad_village_row(region):
    new_village = "320321101050"
    hs, ms = s.sample(1, village=new_village)
    vs = [s.village_row(new_village, "新村")]
    vs[0]["key_area"] = "苏南"
    parsed = validate_registry(**s.tables(hs, ms, vs))
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(H, 2, "区划代码"), ("villages.csv", 2, "重点片区")]
    assert "村信息" in parsed.errors[0].message
    assert parsed.bad_villages == {(new_village, 2020)} and parsed.bad_households == {("H0001", 2020)}


VILLAGE_CASES = [
    ("county_unknown", {"division_code": "320399101001"}, "区划代码", "所属县"),
    ("township_unnamed", {"township_name": None}, "乡镇名称", "请填写乡镇名称"),
    ("not_village", {"division_code": "320321109000"}, "区划代码", "村级"),
    ("key_area", {"key_area": "苏南"}, "重点片区", "丰县湖西地区"),
    ("negative", {"collective_income": "-3.00"}, "村集体经济收入", "负数"),
    ("name", {"name": None}, "村名", "必填"),
    ("bool", {"two_lane_road": "通"}, "通双车道四级公路", "是"),
]


@pytest.mark.parametrize(("change", "column", "fragment"), [c[1:] for c in VILLAGE_CASES],
                         ids=[c[0] for c in VILLAGE_CASES])
def test_village_rules(region, change, column, fragment):
    vs = [s.village_row(f.VILLAGE_A, "甲一村"), s.village_row("320321109002", "新村", township="新镇")]
    vs[1].update(change)
    parsed = validate_villages(s.raw(VILLAGES, vs))
    assert [(e.row, e.column) for e in parsed.errors] == [(3, column)], parsed.errors
    assert fragment in parsed.errors[0].message
    assert len(parsed.bad_villages) <= 1 and (f.VILLAGE_A, 2020) not in parsed.bad_villages


def test_village_file_valid_and_duplicate(region, django_assert_max_num_queries):
    vs = [s.village_row(f.VILLAGE_A, "甲一村"), s.village_row("320321109002", "新村", township="新镇"),
          s.village_row(f.VILLAGE_A, "甲一村", year=2019)]
    with django_assert_max_num_queries(1):
        parsed = validate_villages(s.raw(VILLAGES, vs))
    assert parsed.ok and len(parsed.villages) == 3
    parsed = validate_villages(s.raw(VILLAGES, [*vs, vs[0]]), year=2020)
    assert [(e.row, e.column) for e in parsed.errors] == [(4, "年度"), (5, "区划代码")]


# ---- headers ----

def test_missing_required_column_rejects_the_files_whole(region):
    hs, ms = s.sample(1)
    tables = s.tables(hs, ms)
    members = tables["members"]
    members.fields.remove("id_number")
    del members.headers["id_number"]
    parsed = validate_registry(**tables)
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(M, 1, "身份证号")]
    assert "缺少必填列" in parsed.errors[0].message
    assert parsed.households == parsed.members == []


def test_duplicate_and_unknown_columns(region):
    hs, ms = s.sample(1)
    tables = s.tables(hs, ms)
    tables["members"].duplicate_headers.append("id_number")
    tables["households"].unknown_headers.append("备注")
    parsed = validate_registry(**tables)
    assert [(e.file, e.row, e.column) for e in parsed.errors] == [(M, 1, "id_number")]
    assert parsed.warnings == ["households.csv: 未知列“备注”已忽略"]


def test_english_headers_name_the_column_as_written(region):
    hs, ms = s.sample(1)
    hs[0]["phone"] = "1"
    tables = {"households": s.raw(HOUSEHOLDS, hs, english=True), "members": s.raw(MEMBERS, ms, english=True)}
    parsed = validate_registry(**tables)
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "phone")]


def test_a_fixed_number_of_queries(region, django_assert_max_num_queries):
    hs, ms = s.sample(30)
    vs = [s.village_row(f.VILLAGE_A, "甲一村")]
    with django_assert_max_num_queries(2):
        parsed = validate_registry(**s.tables(hs, ms, vs))
    assert parsed.ok


# ---- error report ----

def test_write_errors_csv_and_xlsx(tmp_path):
    errors = [RowError(M, "", 3, "身份证号", "11010519491231002X", "此人11010519491231002X重复"),
              RowError(M, "", 4, "身份证号", "110105491231002", "身份证号校验位错误"),
              RowError(H, "户信息", 2, "联系电话", "1", "联系电话应为11位手机号")]
    text = write_errors(errors, tmp_path / "e.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0] == "文件,工作表,行,列,值,说明"
    assert "11010519491231002X" not in text.decode("utf-8-sig") and "110105********002X" in lines[1]
    assert lines[2] == "members.csv,,4,身份证号,110105*********,身份证号校验位错误"
    import openpyxl

    ws = openpyxl.load_workbook(write_errors(errors, tmp_path / "e.xlsx")).active
    rows = list(ws.values)
    assert rows[0] == RowError.ERROR_HEADERS and rows[3][:4] == (H, "户信息", 2, "联系电话")


# ---- robustness ----

NASTY = st.sampled_from(["", " ", "是", "否", "户主", "男", "女", "2020", "1e5", "NaN", "-0", "３２０", "2020-02-30",
                         "0.001", "3.2E+17", "\x00", "=SUM(A1)", "320321101001", "110105491231002", "H0001",
                         "11010519491231002x", "一般户", "残疾", "一级", "9" * 40])
CELL = st.one_of(st.none(), NASTY, st.text(max_size=20))


def _random_rows(spec, draw_rows):
    return [{col.field: row[i % len(row)] if row else None for i, col in enumerate(spec)} for row in draw_rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hrows=st.lists(st.lists(CELL, min_size=1, max_size=23), max_size=6),
       mrows=st.lists(st.lists(CELL, min_size=1, max_size=20), max_size=8),
       year=st.one_of(st.none(), st.just(2020)))
def test_random_malformed_rows_never_raise(region, hrows, mrows, year):
    hs, ms = s.sample(1)
    hs += _random_rows(HOUSEHOLDS, hrows)
    ms += _random_rows(MEMBERS, mrows)
    parsed = validate_registry(**s.tables(hs, ms, [s.village_row(f.VILLAGE_A, "甲一村")]), year=year)
    assert all(isinstance(e, RowError) and e.message for e in parsed.errors)
    assert all(2 <= e.row <= 1 + max(len(hs), len(ms)) for e in parsed.errors)
    rows_with_errors = {(e.file, e.row) for e in parsed.errors}
    for row in parsed.households:
        if (H, row["_row"]) in rows_with_errors:
            assert (row["household_no"], row["year"]) in parsed.bad_households
