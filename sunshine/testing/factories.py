"""Builders for tests: a tiny synthetic region with two townships and three villages, users of each role,
and households made through the real services."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.ids import make_id_number
from sunshine.core.models import Division, KeyArea, User
from sunshine.core.reference_data import load_reference_divisions
from sunshine.registry import choices as c
from sunshine.registry import services
from sunshine.registry.models import HouseholdYear

COUNTY = "320321000000"  # 丰县, a real county shipped by the reference migration
TOWNSHIP_A = "320321101000"
TOWNSHIP_B = "320321102000"
VILLAGE_A = "320321101001"
VILLAGE_A2 = "320321101002"
VILLAGE_B = "320321102001"
PASSWORD = "Sunshine-Test-Pass-2020"

_sequence = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow by design; hash the shared test password once per run.
    return make_password(PASSWORD)


@dataclass
class Region:
    county: Division
    township_a: Division
    township_b: Division
    village_a: Division
    village_a2: Division
    village_b: Division


def restore_reference_data() -> None:
    """Transactional tests (browser tests) flush the tables the reference migrations filled: the divisions and
    the province's policy standard. Load them again when they are gone."""
    if not Division.objects.filter(code=COUNTY).exists():
        load_reference_divisions(Division, KeyArea)
        # The migration loads them without history (it runs on historical models); so does this.
        Division.history.all().delete()
    from sunshine.policy.models import PolicyStandard

    if not PolicyStandard.objects.exists():
        import_module("sunshine.policy.migrations.0002_jiangsu_2018_2020").load(django_apps, None)


def build_region() -> Region:
    restore_reference_data()
    county = Division.objects.get(code=COUNTY)
    ta = Division.objects.create(code=TOWNSHIP_A, name="测试甲镇", level=DivisionLevel.TOWNSHIP,
                                 parent=county, synthetic=True)
    tb = Division.objects.create(code=TOWNSHIP_B, name="测试乙镇", level=DivisionLevel.TOWNSHIP,
                                 parent=county, synthetic=True)
    va = Division.objects.create(code=VILLAGE_A, name="甲一村", level=DivisionLevel.VILLAGE, parent=ta,
                                 synthetic=True)
    va2 = Division.objects.create(code=VILLAGE_A2, name="甲二村", level=DivisionLevel.VILLAGE, parent=ta,
                                  synthetic=True)
    vb = Division.objects.create(code=VILLAGE_B, name="乙一村", level=DivisionLevel.VILLAGE, parent=tb,
                                 synthetic=True)
    return Region(county, ta, tb, va, va2, vb)


def make_user(username: str, role: Role, division_code: str, **extra: Any) -> User:
    user = User(username=username, roles=[role.value], division_id=division_code, full_name=username, **extra)
    user.password = _password_hash()
    user.save()
    return user


def new_id(birth: dt.date = dt.date(1970, 5, 17), male: bool = True, region: str = "320321") -> str:
    n = next(_sequence)
    seq = (n * 2 + (1 if male else 0)) % 1000  # odd sequence = male
    if seq % 2 != (1 if male else 0):
        seq = (seq + 1) % 1000
    return make_id_number(region, birth, seq)


def household_fields(**override: Any) -> dict[str, Any]:
    from decimal import Decimal

    base: dict[str, Any] = {
        "phone": "13800001234",
        "household_type": c.HouseholdType.GENERAL,
        "support_category": c.SupportCategory.DEVELOPMENT,
        "main_cause": c.MainCause.ILLNESS,
        "status": c.HouseholdStatus.IN_POVERTY,
        "identified_year": 2016,
        "wage_income": Decimal("12000.00"),
        "business_income": Decimal("3000.00"),
        "business_expense": Decimal("1000.00"),
        "property_income": Decimal("200.00"),
        "transfer_income": Decimal("2400.00"),
        "transfer_expense": Decimal("0.00"),
        "food_clothing_secure": True,
        "housing_grade": c.HousingGrade.B,
        "renovation_status": c.RenovationStatus.NOT_NEEDED,
        "water_safe": True,
        "has_electricity": True,
    }
    return base | override


def make_household(actor: User, *, village: str = VILLAGE_A, year: int = 2020, household_no: str | None = None,
                   head_name: str = "张测试", head_id: str | None = None, members: int = 2,
                   **override: Any) -> HouseholdYear:
    number = household_no or f"T{village[-6:]}{next(_sequence):05d}"
    head_id = head_id or new_id()
    household_year = services.create_household(
        actor=actor, household_no=number, village_code=village, year=year, procedure=services.Procedure.seed(),
        head={"name": head_name, "id_number": head_id, "medical_insured": True, "health": c.Health.HEALTHY,
              "labour_ability": c.LabourAbility.ORDINARY},
        **household_fields(**override),
    )
    for i in range(members - 1):
        services.add_member(
            actor=actor, household_year=household_year, procedure=services.Procedure.seed(), name=f"成员{i + 1}",
            id_number=new_id(dt.date(2008, 3, 1), male=bool(i % 2)), relation=c.Relation.CHILD,
            school_status=c.SchoolStatus.JUNIOR, medical_insured=True,
        )
    return household_year


def advance_sequences(past: int) -> None:
    """Move every PostgreSQL id sequence beyond ``past`` (and beyond the rows already there), so that objects made
    with an explicit primary key ≤ past (the scope tests' <id> objects) never collide with ids the sequences give
    out afterwards. SQLite takes max(rowid) + 1 by itself."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in django_apps.get_models(include_auto_created=True):
            pk = model._meta.pk
            if pk is None or pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
                continue
            table, column = model._meta.db_table, pk.column
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"), '  # noqa: S608 - names from the models
                               f"%s) + 1000, false)", [sequence, past])
