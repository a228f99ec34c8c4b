"""Policy standards: the parameters, the Jiangsu standard loaded by migration, choosing the standard of a
year and region, and new versions that leave the old ones alone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.core.choices import Role
from sunshine.policy.models import PolicyStandard, StandardFrozen
from sunshine.policy.parameters import ParameterError, StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.policy.services import create_standard_version
from sunshine.testing import factories as f

JIANGSU = "js-2018-2020-v1"
PROVINCE = "320000000000"
XUZHOU = "320300000000"
FENGXIAN = f.COUNTY  # 丰县, in 徐州


# --- the parameters ---------------------------------------------------------------------------------------

def test_defaults_are_the_numbers_of_policy_rules():
    p = StandardParameters()
    assert (p.income_line, p.village_income_line) == (Decimal(6000), Decimal(180000))
    assert (p.county_household_share, p.county_village_share) == (Decimal("0.97"), Decimal(1))
    assert (p.school_age_min, p.school_age_max, p.age_cutoff_month, p.age_cutoff_day) == (6, 15, 9, 1)
    assert p.monitoring_line == Decimal(9000)
    assert (p.verification_days, p.funds_delay_days, p.loan_max, p.loan_max_years) == (15, 90, Decimal(50000), 3)
    assert (p.pension_age_min, p.business_capital_min, p.medical_cost_signal) == (16, Decimal(100000), Decimal(10000))
    assert set(StandardParameters.labels()) == set(StandardParameters.names())


def test_parameters_round_trip_through_json_exactly():
    p = StandardParameters().with_changes(income_line="6500.50", county_household_share=0.955)
    assert StandardParameters.from_dict(p.to_dict()) == p
    assert p.to_dict()["income_line"] == 6500.5
    assert p.changes_from(StandardParameters()) == {"income_line": 6500.5, "county_household_share": 0.955}


@pytest.mark.parametrize(("changes", "field"), [
    ({"income_line": 0}, "income_line"),
    ({"income_line": "6000.001"}, "income_line"),
    ({"income_line": "abc"}, "income_line"),
    ({"income_line": True}, "income_line"),
    ({"county_household_share": 1.2}, "county_household_share"),
    ({"school_age_min": 16}, "school_age_min"),
    ({"school_age_max": 15.5}, "school_age_max"),
    ({"age_cutoff_month": 2, "age_cutoff_day": 30}, "age_cutoff_day"),
    ({"monitoring_multiplier": 0.5}, "monitoring_multiplier"),
    ({"loan_overdue_warning_days": -1}, "loan_overdue_warning_days"),
    ({"poverty_line": 6000}, "poverty_line"),
])
def test_bad_parameters_are_named(changes, field):
    with pytest.raises(ParameterError) as exc:
        StandardParameters().with_changes(**changes)
    assert field in exc.value.errors


# --- the standard loaded by migration and choosing a standard ---------------------------------------------

@pytest.mark.django_db
def test_jiangsu_standard_is_loaded_with_the_default_parameters():
    standard = PolicyStandard.objects.get(version=JIANGSU)
    assert (standard.year_from, standard.year_to, standard.region_id) == (2018, 2020, PROVINCE)
    assert standard.params == StandardParameters()
    assert standard_for(2019, f.VILLAGE_A) == standard


@pytest.mark.django_db
@pytest.mark.parametrize(("year", "code"), [(2017, FENGXIAN), (2021, FENGXIAN), (2020, "110101000000")])
def test_no_standard_outside_its_years_or_region(year, code):
    with pytest.raises(StandardNotFound):
        standard_for(year, code)


@pytest.fixture
def analyst(region):
    return f.make_user("analyst", Role.PROVINCIAL_ANALYST, PROVINCE)


def _version(actor, version, region_code, **changes):
    return create_standard_version(
        actor=actor, base_version=JIANGSU, changes=changes, version=version, name=f"测试{version}",
        year_from=2018, year_to=2020, region_code=region_code,
    )


@pytest.mark.django_db
def test_the_most_specific_region_then_the_newest_version_applies(analyst):
    city = _version(analyst, "xz-2018-2020", XUZHOU, income_line=6200)
    assert standard_for(2020, f.VILLAGE_A) == city
    county = _version(analyst, "fx-2018-2020", FENGXIAN, income_line=6300)
    assert standard_for(2020, f.VILLAGE_A) == county
    assert standard_for(2020, FENGXIAN) == county
    assert standard_for(2020, XUZHOU) == city           # the city itself: the county override does not apply
    assert standard_for(2020, "320100000000").version == JIANGSU  # 南京: only the province
    newer = _version(analyst, "fx-2018-2020-v2", FENGXIAN, income_line=6400)
    assert standard_for(2020, f.VILLAGE_A) == newer
    assert standard_for(2020, f.VILLAGE_A, version="xz-2018-2020") == city


@pytest.mark.django_db
def test_a_named_version_must_apply_to_the_year_and_region(analyst):
    _version(analyst, "fx-2018-2020", FENGXIAN)
    with pytest.raises(StandardNotFound, match="不包含"):
        standard_for(2020, "320100000000", version="fx-2018-2020")
    with pytest.raises(StandardNotFound, match="不含2021年度"):
        standard_for(2021, FENGXIAN, version=JIANGSU)
    with pytest.raises(StandardNotFound, match="不存在"):
        standard_for(2020, FENGXIAN, version="nope")


# --- new versions -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_new_version_leaves_the_old_one_untouched_and_records_who(analyst):
    old = PolicyStandard.objects.get(version=JIANGSU)
    before = dict(old.parameters)
    new = _version(analyst, "js-2018-2020-v2", PROVINCE, income_line="6500")
    old.refresh_from_db()
    assert old.parameters == before
    assert new.params.income_line == Decimal(6500)
    assert new.params.village_income_line == Decimal(180000)
    assert (new.base, new.created_by) == (old, analyst)
    assert new.history.get().history_user == analyst


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VILLAGE_CLERK, Role.COUNTY_MANAGER, Role.SUPERVISOR, Role.TOWNSHIP_REVIEWER])
def test_only_admins_and_provincial_analysts_make_standards(region, role):
    user = f.make_user(f"u_{role.value}", role, PROVINCE)
    with pytest.raises(PermissionDenied):
        _version(user, "x-1", PROVINCE)
    assert not PolicyStandard.objects.filter(version="x-1").exists()


@pytest.mark.django_db
def test_bad_versions_are_refused_with_every_reason(analyst):
    with pytest.raises(ValidationError) as exc:
        create_standard_version(actor=analyst, base_version=JIANGSU, changes={"income_line": -5, "foo": 1},
                                version=JIANGSU, name=" ", year_from=2021, year_to=2020, region_code=f.VILLAGE_A)
    assert set(exc.value.message_dict) == {"version", "name", "year_to", "region_code", "parameters.foo"}
    with pytest.raises(ValidationError) as exc:
        _version(analyst, "ok-version", PROVINCE, income_line=-5)
    assert set(exc.value.message_dict) == {"parameters.income_line"}
    with pytest.raises(ValidationError, match="不存在"):
        create_standard_version(actor=analyst, base_version="nope", changes={}, version="v", name="n",
                                year_from=2018, year_to=2020, region_code=PROVINCE)


@pytest.mark.django_db
def test_a_saved_standard_cannot_be_changed_but_its_notes_can():
    standard = PolicyStandard.objects.get(version=JIANGSU)
    standard.notes = "补充说明"
    standard.save()
    standard.parameters = {**standard.parameters, "income_line": 7000}
    with pytest.raises(StandardFrozen):
        standard.save()
    standard.refresh_from_db()
    standard.year_to = 2025
    with pytest.raises(StandardFrozen):
        standard.save()
