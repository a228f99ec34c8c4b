"""Steps are data in the policy standard: validated, frozen with the standard, copied to each new case."""

from __future__ import annotations

import pytest

from sunshine.policy.models import PolicyStandard, StandardFrozen
from sunshine.policy.procedures import DEFAULT_PROCEDURES, check_procedures
from sunshine.policy.services import create_standard_version
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import Step
from sunshine.workflow.tests.helpers import walk

pytestmark = pytest.mark.django_db


def test_procedures_are_validated():
    assert check_procedures(DEFAULT_PROCEDURES) == {}
    bad = {**DEFAULT_PROCEDURES, "exit": ["county_approval", "household"], "change": [], "other": ["household"]}
    errors = check_procedures(bad)
    assert errors["exit"] == "步骤顺序不能颠倒" and errors["change"] == "应为非空的步骤列表"
    assert errors["other"] == "未知的案件类型"
    assert check_procedures({**DEFAULT_PROCEDURES, "closure": ["household", "county_approval"]})["closure"] \
        == "县级审定之前须经乡镇审核"


def test_a_county_standard_with_its_own_procedure(users, household_a):
    base = PolicyStandard.objects.get(version="js-2018-2020-v1")
    assert base.procedures == DEFAULT_PROCEDURES and base.params.notice_days == 7
    county = create_standard_version(actor=users["admin"], base_version=base.version, changes={"notice_days": 5},
                                     version="fx-2020", name="丰县2020", year_from=2020, year_to=2020,
                                     region_code=f.COUNTY)
    assert county.procedures == DEFAULT_PROCEDURES  # inherited from the base version
    short = ["household", "village_committee", "village_notice", "township_review", "county_approval"]
    PolicyStandard.objects.filter(pk=county.pk).update(procedures={**DEFAULT_PROCEDURES, "closure": short})
    county.refresh_from_db()
    with pytest.raises(StandardFrozen):
        county.procedures = DEFAULT_PROCEDURES
        county.save()
    case = services.open_case(actor=users["clerk"], case_type="closure", year=2020, household=household_a.household)
    assert case.steps == short and case.standard_version == "fx-2020"
    case = walk(users, case, Step.VILLAGE_NOTICE)
    assert (case.notice_end - case.notice_start).days == 4  # five days of notice under this standard
