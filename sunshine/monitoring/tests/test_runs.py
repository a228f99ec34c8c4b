"""Monitoring runs end to end: registry and findings → engine → warnings stored without repeats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.tests.factories import make_finding, make_run
from sunshine.monitoring.choices import EscalationLevel, MonitoredSource, WarningStatus
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold, WarningEvent
from sunshine.monitoring.monitored import create_monitored
from sunshine.monitoring.runs import cadre_for, run_monitoring_for
from sunshine.registry import choices as c
from sunshine.registry import services as registry
from sunshine.testing import factories as f

DAY0 = dt.date(2021, 3, 1)


def exited(actor, *, wage: str, village: str = f.VILLAGE_A, head_name: str = "脱贫户主"):
    """A one-person household: 未脱贫 in 2019 with 16600 元, 已脱贫 in 2020 with ``wage`` + 4600 元."""
    before = f.make_household(actor, village=village, year=2019, head_name=head_name, members=1)
    return f.make_household(actor, village=village, year=2020, household_no=before.household.household_no,
                            head_name=head_name, head_id=before.head_id_number, members=1,
                            status=c.HouseholdStatus.EXITED, exit_year=2020, wage_income=Decimal(wage))


def _refuse(*args, **kwargs):
    raise AssertionError("bulk_create: warnings and their events are written set-based (sunshine.core.bulk)")


def test_exited_household_with_low_income_is_warned_once(users, monkeypatch):
    for model in (EarlyWarning, WarningEvent):  # issue 18: a province's run raises tens of thousands
        monkeypatch.setattr(model.objects, "bulk_create", _refuse)
    county = users["county"]
    low = exited(county, wage="1000")       # 5600 元 < 9000, and down by two thirds
    exited(county, wage="12000", head_name="稳定户主")  # 16600 元: no warning
    run = run_monitoring_for(actor=county, year=2020, today=DAY0)

    warning = EarlyWarning.objects.get()
    assert warning.household_id == low.household_id
    assert warning.codes == ["M-UNSTABLE"]
    assert warning.contributions == {"income_below_line": 40, "income_drop": 30} and warning.score == 70
    assert "5600" in warning.explanation and low.head_id_number not in warning.explanation
    assert (warning.status, warning.escalation) == (WarningStatus.PENDING, EscalationLevel.VILLAGE)
    assert warning.deadline == DAY0 + dt.timedelta(days=15)
    assert warning.division_id == f.VILLAGE_A and warning.assigned_to is None
    assert (warning.first_run, warning.last_run) == (run, run)
    assert list(warning.events.values_list("action", flat=True)) == ["raised"]
    assert warning.created_at is not None and warning.events.get().at is not None
    assert warning.events.get().user == county and warning.events.get().run == run
    assert run.counts == {"total": 1, "by_code": {"M-UNSTABLE": 1}, "new": 1, "repeated": 0,
                          "outside_households": 0}
    assert run.standard_version == "js-2018-2020-v1" and run.parameters["verification_days"] == 15

    # The same data again: nothing new, the open warning is seen by the new run, no event added.
    again = run_monitoring_for(actor=county, year=2020, today=DAY0 + dt.timedelta(days=3))
    warning.refresh_from_db()
    assert EarlyWarning.objects.count() == 1 and again.counts["new"] == 0 and again.counts["repeated"] == 1
    assert warning.last_run == again and warning.deadline == DAY0 + dt.timedelta(days=15)
    assert warning.events.count() == 1

    # Cleared: the same data does not raise it again, and the cleared warning is left as it was.
    EarlyWarning.objects.filter(pk=warning.pk).update(status=WarningStatus.CLEARED, resolved_on=DAY0)
    third = run_monitoring_for(actor=county, year=2020)
    warning.refresh_from_db()
    assert EarlyWarning.objects.count() == 1 and third.counts["repeated"] == 1
    assert warning.status == WarningStatus.CLEARED and warning.last_run == again

    # New data (income changed, still low) raises a new warning.
    registry.update_household_year(actor=county, household_year=low, wage_income=Decimal("2000.00"))
    fourth = run_monitoring_for(actor=county, year=2020)
    assert fourth.counts["new"] == 1
    newest = EarlyWarning.objects.get(first_run=fourth)
    assert newest.household_id == low.household_id and newest.signature != warning.signature
    assert newest.status == WarningStatus.PENDING and "6600" in newest.explanation


def test_monitored_household_below_the_line_gets_edge(users):
    clerk = users["clerk"]
    poor = create_monitored(actor=clerk, number="BY0001", year=2020, division_code=f.VILLAGE_A, head_name="边缘户主",
                            head_id_number=f.new_id(), members=3, per_capita_income=Decimal("5000"))
    create_monitored(actor=clerk, number="BY0002", year=2020, division_code=f.VILLAGE_A, head_name="宽裕户主",
                     head_id_number=f.new_id(), members=3, per_capita_income=Decimal("12000"))
    run = run_monitoring_for(actor=users["county"], year=2020, today=DAY0)
    warning = EarlyWarning.objects.get()
    assert (warning.monitored, warning.household) == (poor, None)
    assert warning.codes == ["M-EDGE"] and warning.division_id == f.VILLAGE_A
    assert "5000" in warning.explanation and "9000" in warning.explanation
    assert run.counts["by_code"] == {"M-EDGE": 1}


def test_dibao_head_outside_the_registry_becomes_a_monitored_household(users):
    county = users["county"]
    comparison = make_run(actor=county, division=f.COUNTY, year=2020)
    head_id = f.new_id()
    finding = make_finding(run=comparison, rule="C-DIBAO-MISSING", division=f.COUNTY, name="低保户主",
                           id_number=head_id, explanation="低保户主享受低保,未纳入建档立卡")
    rejected = make_finding(run=comparison, rule="C-DIBAO-MISSING", division=f.COUNTY, name="不属实",
                            id_number=f.new_id(), status=FindingStatus.REJECTED)
    run = run_monitoring_for(actor=county, year=2020, today=DAY0)

    household = MonitoredHousehold.objects.get()
    assert household.number == "JC2020000001" and household.source == MonitoredSource.COMPARISON
    assert (household.head_id_number, household.head_name, household.division_id) == (head_id, "低保户主", f.COUNTY)
    assert household.history.get().history_user == county
    warning = EarlyWarning.objects.get()
    assert warning.monitored == household and warning.codes == ["M-EDGE"] and warning.division_id == f.COUNTY
    assert rejected.id_number not in {m.head_id_number for m in MonitoredHousehold.objects.all()}
    assert run.comparison_run_id == comparison.pk
    assert run.counts["outside_households"] == 1 and run.counts["new"] == 1

    # Next run: the head is now a monitored household (merged with his finding): the same subject, the same data.
    again = run_monitoring_for(actor=county, year=2020, today=DAY0)
    assert MonitoredHousehold.objects.count() == 1 and EarlyWarning.objects.count() == 1
    assert again.counts == {"total": 1, "by_code": {"M-EDGE": 1}, "new": 0, "repeated": 1, "outside_households": 0}
    assert finding.pk  # the finding itself is untouched
    # Data added to the household (its income) is new data: a new warning.
    MonitoredHousehold.objects.filter(pk=household.pk).update(per_capita_income=Decimal("4000"))
    third = run_monitoring_for(actor=county, year=2020, today=DAY0)
    assert third.counts["new"] == 1 and EarlyWarning.objects.filter(monitored=household).count() == 2


def test_scope_and_roles(users, household_a):
    with pytest.raises(PermissionDenied):
        run_monitoring_for(actor=users["clerk"], year=2020, division_code=f.COUNTY)
    with pytest.raises(PermissionDenied):
        run_monitoring_for(actor=users["clerk"], year=2020)   # a clerk may not run one at all
    with pytest.raises(PermissionDenied):
        run_monitoring_for(actor=users["county"], year=2020, division_code="320000000000")
    run = run_monitoring_for(actor=users["supervisor"], year=2020)
    assert run.division_id == f.COUNTY and run.created_by == users["supervisor"]


def test_a_run_sees_only_its_scope(users):
    county = users["county"]
    exited(county, wage="1000", village=f.VILLAGE_A)
    exited(county, wage="1000", village=f.VILLAGE_B, head_name="乙户主")
    run = run_monitoring_for(actor=county, year=2020, division_code=f.TOWNSHIP_A)
    assert run.counts["total"] == 1
    assert list(EarlyWarning.objects.values_list("division_id", flat=True)) == [f.VILLAGE_A]
    assert WarningEvent.objects.get().run == run


def test_cadre_hook_returns_nobody_until_pairings_exist(users, household_a):
    assert cadre_for(household_a.household) is None


def test_deadline_defaults_to_today(users):
    exited(users["county"], wage="1000")
    run_monitoring_for(actor=users["county"], year=2020)
    assert EarlyWarning.objects.get().deadline == timezone.localdate() + dt.timedelta(days=15)


def test_queries_do_not_grow_with_households(users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    county = users["county"]
    comparison = make_run(actor=county, division=f.COUNTY, year=2020)

    def populate(village: str, n: int) -> None:
        for i in range(n):
            exited(county, wage="1000", village=village, head_name=f"户主{i}")
            make_finding(run=comparison, rule="C-DIBAO-MISSING", division=village, name=f"低保{i}",
                         id_number=f.new_id())
            create_monitored(actor=county, number=f"BY{village[-4:]}{i}", year=2020, division_code=village,
                             head_name=f"边缘{i}", head_id_number=f.new_id(), per_capita_income=Decimal("100"))

    populate(f.VILLAGE_A, 1)
    populate(f.VILLAGE_B, 4)
    queries = {}
    for township in (f.TOWNSHIP_A, f.TOWNSHIP_B):
        with CaptureQueriesContext(connection) as captured:
            run = run_monitoring_for(actor=county, year=2020, division_code=township, today=DAY0)
        queries[township] = len(captured)
        assert run.counts["new"] == 3 * (1 if township == f.TOWNSHIP_A else 4)
    assert queries[f.TOWNSHIP_A] == queries[f.TOWNSHIP_B]


def test_dibao_head_known_only_by_a_hashed_id_is_not_duplicated(users):
    from sunshine.monitoring.runs import monitor

    county = users["county"]
    make_finding(run=make_run(actor=county, year=2020), rule="C-DIBAO-MISSING", division=f.COUNTY, name="哈希户主",
                 id_number="")
    first = monitor(actor=county, year=2020, today=DAY0)
    household = MonitoredHousehold.objects.get()
    assert (household.head_id_number, household.head_name, household.division_id) == ("", "哈希户主", f.COUNTY)
    assert [r["household_no"] for r in first.records()] == [household.number]
    again = monitor(actor=county, year=2020, today=DAY0)
    assert MonitoredHousehold.objects.count() == 1 and EarlyWarning.objects.count() == 1
    assert again.run.counts["repeated"] == 1 and [r["household_no"] for r in again.records()] == [household.number]
