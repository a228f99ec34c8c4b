"""Every validation rule of a department file, table-driven: the exact spreadsheet row, column and message of
each error; what is accepted and how it is stored; the rules on a file's columns as a whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from sunshine.comparison.datasets import load_dataset, load_path
from sunshine.comparison.datasets.parse import HASH_MESSAGE, NUMBER_MESSAGE
from sunshine.comparison.datasets.samples import write_csv
from sunshine.comparison.datasets.sealing import read_plain
from sunshine.comparison.models import DatasetLoad
from sunshine.core.ids import make_id_number

pytestmark = pytest.mark.django_db

ID_M = make_id_number("320321", dt.date(1970, 5, 17), 11)   # male (odd 17th digit)
ID_F = make_id_number("320321", dt.date(1985, 1, 2), 20)    # female
HASH = "ab" * 32


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def load(users, tmp_path: Path, dataset: str, headers: list[str], rows: list[list[object]], **kw):
    path = write_csv(tmp_path / f"{dataset}.csv", headers, rows)
    return load_dataset(dataset, path, actor=users["county"], **kw)


# (dataset, headers, rows, [(row, column, message fragment)]): one case per rule; every other cell is good.
ROW_ERRORS = {
    "required name empty": ("deaths", ["身份证号", "姓名", "死亡日期"],
                            [[ID_M, "张三", "2020-01-02"], [ID_F, "", "2020-01-02"]], [(3, "姓名", "必填,不能为空")]),
    "required date empty": ("deaths", ["身份证号", "姓名", "死亡日期"],
                            [[ID_M, "张三", ""]], [(2, "死亡日期", "必填,不能为空")]),
    "enum not allowed": ("medical_insurance", ["身份证号", "姓名", "参保年度", "参保状态"],
                         [[ID_M, "张三", "2020", "参保"], [ID_F, "李四", "2020", "在保"]],
                         [(3, "参保状态", "不是允许的值,应为以下之一:参保、停保")]),
    "optional enum not allowed": ("students", ["身份证号", "姓名", "学段", "学籍状态"],
                                  [[ID_M, "张三", "大学", "在读"]],
                                  [(2, "学段", "应为以下之一:小学、初中、高中、中职、高职、高校")]),
    "gender not allowed": ("deaths", ["身份证号", "姓名", "性别", "死亡日期"],
                           [[ID_M, "张三", "男性", "2020-01-02"]], [(2, "性别", "应为以下之一:男、女")]),
    "date not a date": ("deaths", ["身份证号", "姓名", "死亡日期"],
                        [[ID_M, "张三", "2020-02-30"], [ID_F, "李四", "去年"]],
                        [(2, "死亡日期", "不是有效的日期"), (3, "死亡日期", "应为日期,格式 YYYY-MM-DD")]),
    "date before 1900": ("deaths", ["身份证号", "姓名", "死亡日期"], [[ID_M, "张三", "1899-12-31"]],
                         [(2, "死亡日期", "应为日期")]),
    "money": ("medical_claims", ["身份证号", "姓名", "就诊日期", "医疗总费用", "个人自付"],
              [[ID_M, "张三", "2020-03-01", "1,000", "12.345"]],
              [(2, "个人自付", "最多两位小数"), (2, "医疗总费用", "应为金额数字")]),
    "int year": ("medical_insurance", ["身份证号", "姓名", "参保年度", "参保状态"],
                 [[ID_M, "张三", "二〇二〇", "参保"], [ID_F, "李四", "1800", "参保"]],
                 [(2, "参保年度", "应为四位数字的年份"), (3, "参保年度", "应为1900至2100之间的年份")]),
    "number": ("real_estate", ["身份证号", "姓名", "房屋性质", "面积"], [[ID_M, "张三", "商品房", "85平方米"]],
               [(2, "面积", NUMBER_MESSAGE)]),
    "yes/no": ("disability", ["身份证号", "姓名", "残疾等级", "生活补贴"], [[ID_M, "张三", "一级", "有"]],
               [(2, "生活补贴", "应填“是”或“否”")]),
    "malformed hash": ("deaths", ["身份证号哈希", "姓名", "死亡日期"],
                       [[HASH, "张三", "2020-01-02"], ["ab" * 31, "李四", "2020-01-02"],
                        ["zz" * 32, "王五", "2020-01-02"]],
                       [(3, "身份证号哈希", HASH_MESSAGE), (4, "身份证号哈希", HASH_MESSAGE)]),
    "division code": ("deaths", ["身份证号", "姓名", "死亡日期", "区划代码"],
                      [[ID_M, "张三", "2020-01-02", "3203211010"], [ID_F, "李四", "2020-01-02", "3.20321E+11"]],
                      [(2, "区划代码", "应为12位数字的统计用区划代码"),
                       (3, "区划代码", "区划代码被保存为数值后已变形")]),
    "gender disagrees with the ID": ("deaths", ["身份证号", "姓名", "性别", "死亡日期"],
                                     [[ID_M, "张三", "女", "2020-01-02"], [ID_F, "李四", "女", "2020-01-02"]],
                                     [(2, "性别", "性别与身份证号不符(身份证号显示为男)")]),
    "birth date disagrees with the ID": ("deaths", ["身份证号", "姓名", "出生日期", "死亡日期"],
                                         [[ID_M, "张三", "1970-05-18", "2020-01-02"]],
                                         [(2, "出生日期", "出生日期与身份证号不符(身份证号显示为1970-05-17)")]),
    "several in one row, by column": ("medical_insurance", ["身份证号", "姓名", "参保年度", "参保状态"],
                                      [[ID_M, "", "x", ""]],
                                      [(2, "参保年度", "年份"), (2, "参保状态", "必填"), (2, "姓名", "必填")]),
}


@pytest.mark.parametrize("case", ROW_ERRORS)
def test_row_errors(users, tmp_path, case):
    dataset, headers, rows, expected = ROW_ERRORS[case]
    outcome = load(users, tmp_path, dataset, headers, rows)
    found = [(e.row, e.column, e.message) for e in outcome.errors]
    assert len(found) == len(expected) == outcome.error_count, found
    for (row, column, message), (want_row, want_column, fragment) in zip(found, expected, strict=True):
        assert (row, column) == (want_row, want_column) and fragment in message, found
    assert {e.file for e in outcome.errors} == {f"{dataset}.csv"} and {e.sheet for e in outcome.errors} == {""}
    assert outcome.load is None and not DatasetLoad.objects.exists()


# Texts a clerk or a machine writes that are accepted, and what is stored.
ACCEPTED = [
    ("死亡日期", "2020/3/4", "death_date", dt.date(2020, 3, 4)),
    ("死亡日期", "20200304", "death_date", dt.date(2020, 3, 4)),
    ("死亡日期", "2020-03-04 00:00:00", "death_date", dt.date(2020, 3, 4)),
    ("死亡日期", "２０２０－０３－０４", "death_date", dt.date(2020, 3, 4)),
    ("区划代码", "320321101", "division_code", "320321101000"),
    ("区划代码", "320321101001", "division_code", "320321101001"),
    ("性别", "female", "gender", "female"),
    ("身份证号", ID_M.lower()[:-1] + "x" if ID_M.endswith("X") else " " + ID_M + " ", "id_number", ID_M),
    ("身份证号", ID_M.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")), "id_number", ID_M),
]


@pytest.mark.parametrize(("header", "text", "field", "stored"), ACCEPTED)
def test_accepted_values(users, tmp_path, header, text, field, stored):
    base = {"身份证号": ID_F if header != "身份证号" else text, "姓名": "张三", "死亡日期": "2020-01-02"}
    base[header] = text
    if header == "性别":
        base["身份证号"] = ID_F
    outcome = load(users, tmp_path, "deaths", list(base), [list(base.values())])
    assert not outcome.errors, outcome.errors
    assert read_plain(load_path(outcome.load)).column(field).to_pylist() == [stored]


def test_money_and_numbers_are_stored_exactly(users, tmp_path):
    outcome = load(users, tmp_path, "medical_claims", ["身份证号", "姓名", "就诊日期", "医疗总费用", "个人自付"],
                   [[ID_M, "张三", "2020-03-01", "1234.5", "0"], [ID_F, "李四", "2020-03-02", "", "-12.05"],
                    [ID_F, "李四", "2020-03-02", "１２.５", "+3"]])
    table = read_plain(load_path(outcome.load))
    assert table.column("total_cost").to_pylist() == [Decimal("1234.50"), None, Decimal("12.50")]
    assert table.column("self_paid").to_pylist() == [Decimal("0.00"), Decimal("-12.05"), Decimal("3.00")]
    estate = load(users, tmp_path, "real_estate", ["身份证号", "姓名", "房屋性质", "面积"],
                  [[ID_M, "张三", "商品房", "85.5"], [ID_M, "张三", "自建房", "1e2"], [ID_M, "张三", "other", ""]])
    table = read_plain(load_path(estate.load))
    assert table.column("area_m2").to_pylist() == [85.5, 100.0, None]
    assert table.column("property_kind").to_pylist() == ["commercial", "self_built", "other"]


def test_yes_no_and_enums_are_stored_as_slugs(users, tmp_path):
    outcome = load(users, tmp_path, "disability", ["身份证号", "姓名", "残疾类别", "残疾等级", "生活补贴", "护理补贴"],
                   [[ID_M, "张三", "肢体", "一级", "是", "否"], [ID_F, "李四", "", "四级", "", "是"]])
    rows = read_plain(load_path(outcome.load)).to_pylist()
    assert [(r["disability_type"], r["disability_level"], r["living_subsidy"], r["care_subsidy"]) for r in rows] == [
        ("physical", "level1", True, False), (None, "level4", None, True)]


# The rules on the columns: the file is refused whole, even with --partial.
HEADER_ERRORS = {
    "no ID column": (["姓名", "死亡日期"], "身份证号", "缺少“身份证号”列"),
    "both ID columns": (["身份证号", "身份证号哈希", "姓名", "死亡日期"], "身份证号哈希", "只能提供其中一列"),
    "required column missing": (["身份证号", "姓名"], "死亡日期", "缺少必填列“死亡日期”(也可写作 death_date)"),
    "column twice": (["身份证号", "姓名", "死亡日期", "death_date"], "death_date", "列重复"),
}


@pytest.mark.parametrize("case", HEADER_ERRORS)
def test_header_errors_refuse_the_file_whole(users, tmp_path, case):
    headers, column, fragment = HEADER_ERRORS[case]
    outcome = load(users, tmp_path, "deaths", headers, [[ID_M] * len(headers)], partial=True)
    assert [(e.row, e.column) for e in outcome.errors] == [(1, column)] and fragment in outcome.errors[0].message
    assert outcome.load is None and not DatasetLoad.objects.exists()


@pytest.mark.parametrize(("headers", "fragment"), [
    (["身份证号哈希", "姓名", "救助类型", "起始日期", "户主身份证号"], "此列也应为哈希值(“户主身份证号哈希”列)"),
    (["身份证号", "姓名", "救助类型", "起始日期", "户主身份证号哈希"], "此列也应为明文身份证号(“户主身份证号”列)"),
])
def test_head_id_comes_in_the_same_form_as_the_id(users, tmp_path, headers, fragment):
    outcome = load(users, tmp_path, "dibao", headers, [[HASH, "张三", "低保", "2020-01-01", HASH]])
    assert len(outcome.errors) == 1 and outcome.errors[0].row == 1 and fragment in outcome.errors[0].message
    assert outcome.errors[0].column == headers[-1]


def test_english_headers_title_rows_and_unknown_columns(users, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_text(f"某县户籍死亡人员名单,,,\n\nID_NUMBER,Name,death_date,备注\n{ID_M},张三,2020-01-02,x\n"
                    f",李四,2020-01-03,\n", encoding="utf-8-sig")
    outcome = load_dataset("deaths", path, actor=users["county"])
    assert outcome.warnings == ["deaths.csv: 未知列“备注”已忽略"]
    rows = read_plain(load_path(outcome.load)).to_pylist()
    assert [(r["source_row"], r["id_number"], r["name"]) for r in rows] == [(4, ID_M, "张三"), (5, None, "李四")]


def test_blank_lines_count_as_spreadsheet_rows(users, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_text(f"身份证号,姓名,死亡日期\n{ID_M},张三,2020-01-02\n\n,,\n{ID_F},,2020-01-02\n",
                    encoding="utf-8")
    outcome = load_dataset("deaths", path, actor=users["county"])
    assert [(e.row, e.column) for e in outcome.errors] == [(5, "姓名")]


def test_an_empty_file_is_refused(users, tmp_path):
    outcome = load(users, tmp_path, "deaths", ["身份证号", "姓名", "死亡日期"], [])
    assert [e.message for e in outcome.errors] == ["文件中没有数据行"] and outcome.load is None
