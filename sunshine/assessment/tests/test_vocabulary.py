"""The engine's copy of the codes and labels matches the registry's choice sets."""

from __future__ import annotations

from sunshine.assessment import choices as ac
from sunshine.engine import vocabulary as v
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear


def test_engine_vocabulary_matches_the_registry():
    assert dict(c.SchoolStatus.choices) == v.SCHOOL_STATUS_LABELS
    assert dict(c.EducationLevel.choices) == v.EDUCATION_LEVEL_LABELS
    assert dict(c.RenovationStatus.choices) == v.RENOVATION_LABELS
    assert dict(c.HouseholdStatus.choices) == v.HOUSEHOLD_STATUS_LABELS
    assert set(v.COMPLETED_JUNIOR) == set(c.COMPLETED_JUNIOR)
    assert set(v.DANGEROUS_HOUSING_GRADES) == set(c.DANGEROUS_HOUSING_GRADES)
    assert set(v.SAFE_HOUSING_GRADES) | set(v.DANGEROUS_HOUSING_GRADES) == set(c.HousingGrade.values)
    assert v.MEMBER_ACTIVE == c.MemberStatus.ACTIVE
    assert v.RENOVATION_DONE == c.RenovationStatus.DONE
    assert tuple(col for col, _, _ in v.INCOME_ITEMS) == HouseholdYear.INCOME_FIELDS
    labels = {f.name: str(f.verbose_name) for f in HouseholdYear._meta.get_fields() if hasattr(f, "verbose_name")}
    assert all(labels[col] == label for col, label, _ in v.INCOME_ITEMS)


def test_criteria_and_results_agree():
    assert list(ac.HOUSEHOLD_CRITERIA) == list(v.HOUSEHOLD_CRITERIA)
    assert list(ac.VILLAGE_CRITERIA) == list(v.VILLAGE_CRITERIA)
    assert list(ac.COUNTY_CRITERIA) == list(v.COUNTY_CRITERIA)
    assert set(ac.Result.values) == set(v.RESULTS)
    assert set(ac.CriterionState.values) == set(v.STATES)
    assert {k: str(label) for k, label in ac.Result.choices} == v.RESULT_LABELS
