"""Extracting the registry into the engine's Arrow tables: exact money, NULL for blanks, scope and year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

from sunshine.assessment import snapshot
from sunshine.engine import snapshot as s
from sunshine.registry import choices as c
from sunshine.registry import services
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f


def test_households_and_members_of_the_scope_and_year(household_a, household_b, users):
    services.update_household_year(
        actor=users["county"], household_year=household_a, wage_income=Decimal("12345.67"),
        transfer_expense=Decimal("0.29"), property_income=None, housing_grade="", renovation_status="",
        water_safe=None,
    )
    f.make_household(users["county"], village=f.VILLAGE_A, year=2019)
    snap = snapshot.extract("households", year=2020, prefix=f.VILLAGE_A)
    hh, members = snap.tables["households"], snap.tables["members"]
    assert hh.schema == s.HOUSEHOLDS and members.schema == s.MEMBERS
    (row,) = hh.to_pylist()
    assert row == {
        "household_key": household_a.household_id, "household_no": household_a.household.household_no,
        "year": 2020, "village_code": f.VILLAGE_A,
        "status": c.HouseholdStatus.IN_POVERTY, "wage_income": Decimal("12345.67"),
        "business_income": Decimal("3000.00"), "business_expense": Decimal("1000.00"), "property_income": None,
        "transfer_income": Decimal("2400.00"), "transfer_expense": Decimal("0.29"), "food_clothing_secure": True,
        "water_safe": None, "housing_grade": None, "renovation_status": None,
    }
    assert snap.household_ids == {household_a.household.household_no: household_a.household_id}
    rows = sorted(members.to_pylist(), key=lambda m: m["relation"] != "head")
    assert len(rows) == 3
    assert rows[0]["name"] == "甲户主" and rows[0]["relation"] == "head" and rows[0]["school_status"] is None
    assert rows[1]["birth_date"] == dt.date(2008, 3, 1)
    assert rows[1]["school_status"] == c.SchoolStatus.JUNIOR and rows[1]["education_level"] is None
    assert all(m["member_status"] == "active" and m["medical_insured"] is True for m in rows)


def test_villages_and_key_counties(region):
    VillageYear.objects.create(village=region.village_a, year=2020, weak_village=True,
                               collective_income=Decimal("180000.10"), two_lane_road=False)
    VillageYear.objects.create(village=region.village_b, year=2019, weak_village=True)
    table = snapshot.villages(2020, "320321")
    assert table.to_pylist() == [{"division_code": f.VILLAGE_A, "year": 2020, "weak_village": True,
                                  "collective_income": Decimal("180000.10"), "two_lane_road": False,
                                  "clinic_ok": None}]
    assert snapshot.key_counties("3203").column("division_code").to_pylist() == ["320321000000", "320324000000"]
    assert snapshot.key_counties(f.VILLAGE_A).column("division_code").to_pylist() == ["320321000000"]
    assert snapshot.key_counties("3201").num_rows == 0


def test_an_empty_scope_gives_empty_tables(db):
    snap = snapshot.extract("counties", year=2020, prefix="320321")
    assert {name: t.num_rows for name, t in snap.tables.items()} == {
        "households": 0, "members": 0, "villages": 0, "counties": 1}
    assert isinstance(snap.tables["members"], pa.Table)
