"""The columns of households, members and villages files, declared once (docs/reference/registry-files.md is generated
from them by `sunshine docs`).

A Column names its English field, its Chinese header, its kind (how a cell is read and written), whether it
is required, and for enumerations the Chinese labels files carry mapped to the slugs code stores. Readers
accept either header; exporters write the Chinese headers in this order."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from django.db import models

from sunshine.registry import choices as c

# Kinds of cells. Each kind has one reader (validate.py) and one writer (export.py).
TEXT = "text"
INT = "int"
MONEY = "money"
BOOL = "bool"                  # 是 / 否
DATE = "date"                  # YYYY-MM-DD
ENUM = "enum"
ID_NUMBER = "id_number"
DIVISION_CODE = "division_code"
KINDS = (TEXT, INT, MONEY, BOOL, DATE, ENUM, ID_NUMBER, DIVISION_CODE)

YES, NO = "是", "否"
BOOL_LABELS = MappingProxyType({YES: True, NO: False})

KIND_LABELS = {
    TEXT: "文本", INT: "整数", MONEY: "金额(元,最多两位小数)", BOOL: "是/否", DATE: "日期(YYYY-MM-DD)",
    ENUM: "枚举", ID_NUMBER: "身份证号(18位,或15位旧号)", DIVISION_CODE: "12位统计用区划代码",
}


def _labels(choices: type[models.TextChoices]) -> Mapping[str, str]:
    """Chinese label → slug, in declaration order (the order templates list them)."""
    return MappingProxyType({str(label): value for value, label in choices.choices})


def _key_areas() -> Mapping[str, str]:
    # The six key areas are reference data shipped with the code (core migration 0002 loads the same
    # file), so reading the file keeps validation free of a database query.
    path = Path(__file__).resolve().parents[2] / "core" / "data" / "key_areas.csv"
    with path.open(encoding="utf-8") as fh:
        return MappingProxyType({row["name"]: row["slug"] for row in csv.DictReader(fh)})


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str
    required: bool = False
    choices: Mapping[str, str] | None = None   # enum only: Chinese label → slug
    max_length: int | None = None               # text: the model field's limit
    note: str = ""                              # shown in the template's 填写说明 sheet

    def __post_init__(self) -> None:
        assert self.kind in KINDS, self.kind
        assert (self.kind == ENUM) == (self.choices is not None), self.field

    @property
    def labels(self) -> Mapping[str, str]:
        """Slug → Chinese label (for writing files)."""
        return {slug: label for label, slug in (self.choices or {}).items()}

    def allowed_text(self) -> str:
        """What the column accepts, in Chinese (error messages and the template's instructions)."""
        if self.kind == ENUM:
            return "、".join(self.choices or ())
        if self.kind == BOOL:
            return f"{YES}、{NO}"
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """One kind of file: its columns and the sheet names it may have in a workbook."""

    name: str                      # households / members / villages (also the export file stem)
    title: str                     # 户信息 / 成员信息 / 村信息
    columns: tuple[Column, ...]
    key: tuple[str, ...]           # fields that identify a row
    sheet_names: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def column(self, name: str) -> Column:
        return self.by_field[name]

    @cached_property
    def by_field(self) -> dict[str, Column]:
        return {col.field: col for col in self.columns}

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Header as it may appear in a file (Chinese, or English in any case) → field."""
        lookup: dict[str, str] = {}
        for col in self.columns:
            lookup[col.header] = col.field
            lookup[col.field.lower()] = col.field
        return lookup


def _col(name: str, header: str, kind: str, required: bool = False, *,
         choices: type[models.TextChoices] | Mapping[str, str] | None = None, max_length: int | None = None,
         note: str = "") -> Column:
    if isinstance(choices, type):
        choices = _labels(choices)
    return Column(name, header, kind, required, choices, max_length, note)


HOUSEHOLDS = TableSpec(
    name="households", title="户信息", key=("household_no", "year"),
    sheet_names=("户信息", "households"),
    columns=(
        _col("household_no", "户编号", TEXT, True, max_length=30, note="跨年度不变;同一年度内唯一"),
        _col("year", "年度", INT, True),
        _col("division_code", "区划代码", DIVISION_CODE, True, note="所在村的12位代码"),
        _col("head_name", "户主姓名", TEXT, True, max_length=40, note="须与成员信息中“户主”的姓名一致"),
        _col("head_id_number", "户主身份证号", ID_NUMBER, True, note="须与成员信息中“户主”的身份证号一致"),
        _col("phone", "联系电话", TEXT, max_length=20, note="11位手机号或带区号的固定电话"),
        _col("household_type", "户类型", ENUM, choices=c.HouseholdType),
        _col("support_category", "帮扶类别", ENUM, choices=c.SupportCategory),
        _col("main_cause", "主要致贫原因", ENUM, choices=c.MainCause),
        _col("status", "状态", ENUM, choices=c.HouseholdStatus),
        _col("identified_year", "识别年度", INT),
        _col("exit_year", "脱贫年度", INT, note="状态为“已脱贫”时必填"),
        _col("wage_income", "工资性收入", MONEY, note="全户全年"),
        _col("business_income", "生产经营性收入", MONEY, note="毛收入"),
        _col("business_expense", "生产经营性支出", MONEY),
        _col("property_income", "财产性收入", MONEY, note="含资产收益分红"),
        _col("transfer_income", "转移性收入", MONEY, note="养老金、低保金、补贴、赡养费等"),
        _col("transfer_expense", "转移性支出", MONEY),
        _col("food_clothing_secure", "吃穿不愁", BOOL),
        _col("housing_grade", "住房安全等级", ENUM, choices=c.HousingGrade, note="C、D级为危房"),
        _col("renovation_status", "危房改造状态", ENUM, choices=c.RenovationStatus),
        _col("water_safe", "饮水安全", BOOL),
        _col("has_electricity", "通生活用电", BOOL),
    ),
)

MEMBERS = TableSpec(
    name="members", title="成员信息", key=("household_no", "year", "id_number"),
    sheet_names=("成员信息", "members"),
    columns=(
        _col("household_no", "户编号", TEXT, True, max_length=30, note="须在户信息中存在(同一年度)"),
        _col("year", "年度", INT, True),
        _col("name", "姓名", TEXT, True, max_length=40),
        _col("id_number", "身份证号", ID_NUMBER, True, note="同一年度内一人只能在一户中"),
        _col("gender", "性别", ENUM, choices=c.Gender, note="须与身份证号一致"),
        _col("birth_date", "出生日期", DATE, note="须与身份证号一致"),
        _col("relation", "与户主关系", ENUM, choices=c.Relation, note="每户有且只有一名户主"),
        _col("education_level", "文化程度", ENUM, choices=c.EducationLevel),
        _col("school_status", "在校生状况", ENUM, choices=c.SchoolStatus),
        _col("health", "健康状况", ENUM, choices=c.Health),
        _col("disability_level", "残疾等级", ENUM, choices=c.DisabilityLevel, note="仅健康状况为“残疾”时填写"),
        _col("disability_type", "残疾类别", ENUM, choices=c.DisabilityType, note="仅健康状况为“残疾”时填写"),
        _col("labour_ability", "劳动能力", ENUM, choices=c.LabourAbility),
        _col("employment", "务工状况", ENUM, choices=c.Employment),
        _col("medical_insured", "基本医疗保险", BOOL),
        _col("critical_illness_insured", "大病保险", BOOL),
        _col("pension_insured", "基本养老保险", BOOL),
        _col("receives_dibao", "享受低保", BOOL),
        _col("member_status", "成员状态", ENUM, choices=c.MemberStatus),
        _col("change_date", "变动日期", DATE, note="死亡或迁出的日期,不晚于今天"),
    ),
)

VILLAGES = TableSpec(
    name="villages", title="村信息", key=("division_code", "year"),
    sheet_names=("村信息", "villages"),
    columns=(
        _col("division_code", "区划代码", DIVISION_CODE, True, note="村级12位代码,所属县须已存在"),
        _col("year", "年度", INT, True),
        _col("name", "村名", TEXT, True, max_length=60),
        _col("township_name", "乡镇名称", TEXT, max_length=60, note="乡镇(代码前9位)尚未建立时必填"),
        _col("weak_village", "省定经济薄弱村", BOOL),
        _col("key_area", "重点片区", ENUM, choices=_key_areas(), note="不属于重点片区的留空"),
        _col("collective_income", "村集体经济收入", MONEY, note="全年,元"),
        _col("two_lane_road", "通双车道四级公路", BOOL),
        _col("clinic_ok", "村卫生室达标", BOOL),
    ),
)

TABLES = {spec.name: spec for spec in (HOUSEHOLDS, MEMBERS, VILLAGES)}
