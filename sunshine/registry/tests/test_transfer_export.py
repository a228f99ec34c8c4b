"""Exporting the registry (sunshine.registry.transfer.export): the data-dictionary format, read back exactly."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from sunshine.core.models import KeyArea
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear, VillageYear
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, TABLES, VILLAGES
from sunshine.registry.transfer.export import (
    export_households,
    export_members,
    export_villages,
    export_year,
    write_template,
)
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.transfer.validate import validate_registry
from sunshine.testing import factories as f

FORMATS = ["csv", "xlsx", "parquet"]


@pytest.fixture
def registry(household_a, household_b):
    """Two households, a few odd values (an empty phone, a disabled member who moved out), village rows."""
    member = household_a.members.exclude(relation=c.Relation.HEAD).first()
    MemberYear.objects.filter(pk=member.pk).update(
        health=c.Health.DISABLED, disability_level=c.DisabilityLevel.LEVEL1, disability_type=c.DisabilityType.VISUAL,
        member_status=c.MemberStatus.MOVED_OUT, change_date=dt.date(2020, 6, 1), medical_insured=None)
    HouseholdYear.objects.filter(pk=household_b.pk).update(
        phone="", status=c.HouseholdStatus.EXITED, exit_year=2019, wage_income=Decimal("1234.50"),
        housing_grade=c.HousingGrade.C, water_safe=None)
    area = KeyArea.objects.get(slug="fengxian_huxi")
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=2020, weak_village=True, key_area=area,
                               collective_income=Decimal("150000.00"), two_lane_road=False)
    VillageYear.objects.create(village_id=f.VILLAGE_B, year=2020)
    return household_a, household_b


def _expected_households() -> list[dict]:
    fields = [col.field for col in HOUSEHOLDS]
    out = []
    for hy in HouseholdYear.objects.select_related("household").order_by("household__household_no"):
        row = {name: getattr(hy, name, None) for name in fields}
        row.update(household_no=hy.household.household_no, division_code=hy.household.village_id)
        out.append({k: (None if v == "" else v) for k, v in row.items()})
    return out


def _expected_members() -> list[dict]:
    out = []
    qs = MemberYear.objects.select_related("person", "household_year__household")
    for m in sorted(qs, key=lambda m: (m.household_year.household.household_no, m.relation != "head",
                                       m.person.id_number)):
        row = {col.field: getattr(m, col.field, None) for col in MEMBERS}
        row.update(household_no=m.household_year.household.household_no, name=m.person.name,
                   id_number=m.person.id_number, gender=m.person.gender, birth_date=m.person.birth_date)
        out.append({k: (None if v == "" else v) for k, v in row.items()})
    return out


def _without_row(rows):
    return [{k: v for k, v in row.items() if k != "_row"} for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_read_and_validate_gives_the_stored_values(registry, tmp_path, fmt):
    paths = export_year(2020, tmp_path, fmt, unmasked=True)
    assert set(paths) == {"households", "members", "villages"}
    parsed = validate_registry(households=read_table(paths["households"], HOUSEHOLDS),
                               members=read_table(paths["members"], MEMBERS),
                               villages=read_table(paths["villages"], VILLAGES), year=2020)
    assert parsed.ok, parsed.errors
    assert _without_row(parsed.households) == _expected_households()
    assert _without_row(parsed.members) == _expected_members()
    village_a, village_b = _without_row(parsed.villages)
    assert village_a == {"division_code": f.VILLAGE_A, "year": 2020, "name": "甲一村", "township_name": "测试甲镇",
                         "weak_village": True, "key_area": "fengxian_huxi", "collective_income": Decimal("150000.00"),
                         "two_lane_road": False, "clinic_ok": None}
    assert village_b["name"] == "乙一村" and village_b["key_area"] is None


def test_csv_is_the_data_dictionary_format(registry, tmp_path):
    household_a, household_b = registry
    export_households(HouseholdYear.objects.all(), tmp_path / "h.csv", unmasked=True)
    export_members(MemberYear.objects.all(), tmp_path / "m.csv", unmasked=True)
    raw = (tmp_path / "h.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == [col.header for col in HOUSEHOLDS]
    b_row = dict(zip(rows[0], rows[2], strict=True))
    assert b_row["户编号"] == household_b.household.household_no
    assert b_row["状态"] == "已脱贫" and b_row["住房安全等级"] == "C" and b_row["工资性收入"] == "1234.50"
    assert b_row["联系电话"] == "" and b_row["饮水安全"] == "" and b_row["通生活用电"] == "是"
    assert b_row["户主身份证号"] == household_b.head_id_number
    members = list(csv.DictReader((tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()))
    first_a = [m for m in members if m["户编号"] == household_a.household.household_no]
    assert first_a[0]["与户主关系"] == "户主"   # head first, then by ID number
    others = [m["身份证号"] for m in first_a[1:]]
    assert others == sorted(others)
    assert {m["成员状态"] for m in members} == {"在册", "迁出"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_deterministic(registry, tmp_path, fmt):
    first = export_year(2020, tmp_path / "1", fmt, unmasked=True)
    second = export_year(2020, tmp_path / "2", fmt, unmasked=True)
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_masked_export_hides_ids_phones_and_birth_dates(registry, tmp_path):
    household_a, _ = registry
    export_households(HouseholdYear.objects.filter(pk=household_a.pk), tmp_path / "h.csv")
    export_members(MemberYear.objects.filter(household_year=household_a), tmp_path / "m.csv")
    h_text = (tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    m_text = (tmp_path / "m.csv").read_text(encoding="utf-8-sig")
    assert household_a.head_id_number not in h_text and household_a.head_id_number[:6] + "********" in h_text
    assert "13800001234" not in h_text and "138****1234" in h_text
    member = next(csv.DictReader(m_text.splitlines()))
    assert member["出生日期"] == "" and "********" in member["身份证号"]
    # such a file is not importable: the ID numbers are not valid any more
    parsed = validate_registry(households=read_table(tmp_path / "h.csv", HOUSEHOLDS),
                               members=read_table(tmp_path / "m.csv", MEMBERS))
    assert not parsed.ok and {e.column for e in parsed.errors} >= {"户主身份证号", "身份证号"}


def test_export_year_of_one_division_and_few_queries(registry, tmp_path, django_assert_max_num_queries):
    _, household_b = registry
    with django_assert_max_num_queries(3):
        paths = export_year(2020, tmp_path, "csv", division=f.VILLAGE_B, unmasked=True)
    households = list(csv.DictReader(paths["households"].read_text(encoding="utf-8-sig").splitlines()))
    assert [h["户编号"] for h in households] == [household_b.household.household_no]
    villages = list(csv.DictReader(paths["villages"].read_text(encoding="utf-8-sig").splitlines()))
    assert [v["区划代码"] for v in villages] == [f.VILLAGE_B]
    with pytest.raises(ValueError, match="不支持"):
        export_year(2020, tmp_path, "ods")


def test_export_of_an_empty_queryset_has_the_headers(db, tmp_path):
    for fmt in FORMATS:
        path = tmp_path / f"v.{fmt}"
        assert export_villages(VillageYear.objects.none(), path) == 0
        table = read_table(path, VILLAGES)
        assert table.rows == [] and table.fields == [col.field for col in VILLAGES]


def test_xlsx_cells_keep_text_and_numbers(registry, tmp_path):
    import openpyxl

    household_a, _ = registry
    export_households(HouseholdYear.objects.all(), tmp_path / "h.xlsx", unmasked=True)
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx").active
    assert ws.title == "户信息"
    header, first = list(ws.values)[:2]
    row = dict(zip(header, first, strict=True))
    assert row["户主身份证号"] == household_a.head_id_number and row["区划代码"] == f.VILLAGE_A
    assert row["年度"] == 2020 and row["工资性收入"] == 12000 and row["联系电话"] == "13800001234"
    assert ws["M2"].number_format == "0.00"


@pytest.mark.parametrize("kind", list(TABLES))
def test_templates(db, tmp_path, kind):
    import openpyxl

    spec = TABLES[kind]
    csv_path = write_template(kind, tmp_path / f"{kind}.csv")
    assert csv_path.read_text(encoding="utf-8-sig").strip() == ",".join(col.header for col in spec)
    book = openpyxl.load_workbook(write_template(kind, tmp_path / f"{kind}.xlsx"))
    assert book.sheetnames == [spec.title, "填写说明"]
    assert [cell.value for cell in book[spec.title][1]] == [col.header for col in spec]
    help_rows = list(book["填写说明"].values)
    by_header = {row[0]: row for row in help_rows[1:len(spec) + 1]}
    assert set(by_header) == {col.header for col in spec}
    for col in spec:
        if col.kind == "enum":
            assert all(label in by_header[col.header][4] for label in col.choices)
        assert (by_header[col.header][3] == "必填") == col.required
    # an empty template reads as an empty table with every column
    table = read_table(tmp_path / f"{kind}.xlsx", spec)
    assert table.rows == [] and table.fields == [col.field for col in spec]
