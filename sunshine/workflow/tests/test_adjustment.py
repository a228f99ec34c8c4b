"""The annual dynamic adjustment opens the right cases in bulk, follows them by township, closes the year."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as rc
from sunshine.registry import services as registry
from sunshine.testing import factories as f
from sunshine.workflow import services
from sunshine.workflow.choices import CaseStatus, CaseType
from sunshine.workflow.models import Case
from sunshine.workflow.tests.helpers import make_meet, official_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_data(users, household_a, household_b):
    make_meet(users, household_a)                                           # meets → exit
    meets_busy = f.make_household(users["county"], village=f.VILLAGE_A2, members=1)  # meets, has an exit case
    fails = f.make_household(users["county"], village=f.VILLAGE_A, members=3)       # below the line
    official_run(users, f.COUNTY)
    services.open_case(actor=users["township"], case_type="exit", year=2020, household=meets_busy.household)
    exited = f.make_household(users["county"], village=f.VILLAGE_B, members=1, status=rc.HouseholdStatus.EXITED,
                              exit_year=2019)
    exited_pending = f.make_household(users["county"], village=f.VILLAGE_B, members=1,
                                      status=rc.HouseholdStatus.EXITED, exit_year=2019)
    run = mf.make_run(actor=users["county"])
    returning = mf.make_warning(run=run, household_year=exited, codes=["M-SUDDEN"], status="confirmed")
    mf.make_warning(run=run, household_year=exited_pending, codes=["M-UNSTABLE"], status="pending")  # not verified
    edge = mf.make_monitored(division=f.VILLAGE_A)
    entering = mf.make_warning(run=run, monitored=edge, codes=["M-EDGE"], status="handed_over")
    unplaced = mf.make_monitored(division=f.COUNTY)                                   # no village yet
    mf.make_warning(run=run, monitored=unplaced, codes=["M-EDGE"], status="confirmed", division=f.COUNTY)
    return {"meets": household_a, "b": household_b, "busy": meets_busy, "fails": fails, "exited": exited,
            "returning": returning, "edge": edge, "entering": entering}


def test_open_adjustment_opens_the_right_cases(users, county_data):
    with pytest.raises(PermissionDenied):
        services.open_adjustment(actor=users["township"], county_code=f.COUNTY, year=2020)
    adjustment = services.open_adjustment(actor=users["county"], county_code=f.COUNTY, year=2020)
    cases = Case.objects.filter(adjustment=adjustment)
    exits = cases.filter(case_type=CaseType.EXIT)
    # household_b (two members on the same income) meets too; the household with a case already is skipped.
    assert {c.household_id for c in exits} == {county_data["meets"].household_id, county_data["b"].household_id}
    assert all(c.source == "assessment" and c.source_ref.startswith("assessment:") for c in exits)
    exit_a = exits.get(household=county_data["meets"].household)
    returns = cases.get(case_type=CaseType.RETURN)
    assert returns.household_id == county_data["exited"].household_id
    assert returns.source_ref == f"warning:{county_data['returning'].pk}" and returns.division_id == f.VILLAGE_B
    entry = cases.get(case_type=CaseType.ENTRY)
    assert entry.monitored_id == county_data["edge"].pk and entry.division_id == f.VILLAGE_A
    assert all(c.awaiting_step == c.steps[0] and c.status == CaseStatus.IN_PROGRESS for c in cases)
    assert adjustment.counts["opened"] == {"exit": 2, "return": 1, "entry": 1}
    assert adjustment.counts["skipped"]["exit"] == 1
    with pytest.raises(ValidationError, match="已发起"):
        services.open_adjustment(actor=users["county"], county_code=f.COUNTY, year=2020)
    # The opened cases are in the inboxes.
    assert set(services.awaiting(users["clerk"]).filter(adjustment=adjustment)) == {exit_a, entry}

    progress = services.adjustment_progress(adjustment)
    assert {(r["township"], r["case_type"], r["status"], r["count"]) for r in progress} == {
        (f.TOWNSHIP_A, "exit", "in_progress", 1), (f.TOWNSHIP_A, "entry", "in_progress", 1),
        (f.TOWNSHIP_B, "return", "in_progress", 1), (f.TOWNSHIP_B, "exit", "in_progress", 1)}

    with pytest.raises(ValidationError, match="还有4件案件在办理中"):
        services.close_adjustment(actor=users["county"], adjustment=adjustment)
    services.advance(actor=users["clerk"], case=exit_a, step="household", decision="approve")
    closed = services.close_adjustment(actor=users["county"], adjustment=adjustment, withdraw_open=True)
    assert closed.closed_at is not None and closed.counts["withdrawn_at_close"] == 4
    assert set(cases.values_list("status", flat=True)) == {CaseStatus.WITHDRAWN}
    with pytest.raises(ValidationError, match="已结束"):
        services.close_adjustment(actor=users["county"], adjustment=adjustment)


def test_fails_and_exited_households_are_not_exit_candidates(users, county_data):
    registry.update_household_year(actor=users["county"], household_year=county_data["meets"],
                                   status=rc.HouseholdStatus.EXITED, exit_year=2020,
                                   procedure=registry.Procedure.seed())
    adjustment = services.open_adjustment(actor=users["admin"], county_code=f.COUNTY, year=2020)
    exits = Case.objects.filter(adjustment=adjustment, case_type=CaseType.EXIT)
    assert list(exits.values_list("household_id", flat=True)) == [county_data["b"].household_id]
