"""我的待办: each role's home page starts with its work, scoped to its division, most urgent first."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.tests import factories as cf
from sunshine.core import todo
from sunshine.monitoring.choices import EscalationLevel
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf


def plant(users, household_a):
    today = timezone.localdate()
    run = cf.make_run(actor=users["county"])
    late = cf.make_finding(run=run, household_year=household_a, deadline=today - dt.timedelta(days=3))
    confirmed = cf.make_finding(run=run, household_year=household_a, rule="C-CAR", status=FindingStatus.CONFIRMED)
    mrun = mf.make_run(actor=users["county"])
    escalated = mf.make_warning(run=mrun, household_year=household_a, score=80,
                                deadline=today - dt.timedelta(days=20), escalation=EscalationLevel.TOWNSHIP)
    case = wf.open_exit(users["clerk"], household_a)
    return {"finding": late, "confirmed": confirmed, "warning": escalated, "case": case}


def urls(groups: list[todo.TodoGroup]) -> set[str]:
    return {item.url for g in groups for item in g.items}


def test_clerk_sees_each_kind_of_work_with_links_and_urgency(users, household_a):
    planted = plant(users, household_a)
    groups = todo.collect(users["clerk"])
    got = urls(groups)
    assert f"/comparison/findings/{planted['finding'].pk}/" in got
    assert f"/comparison/findings/{planted['confirmed'].pk}/" in got
    assert f"/monitoring/warnings/{planted['warning'].pk}/" in got
    assert f"/cases/{planted['case'].pk}/" in got
    # Overdue and escalated groups come first and say how late.
    assert groups[0].urgent_count > 0
    finding = next(i for g in groups for i in g.items if i.url == f"/comparison/findings/{planted['finding'].pk}/")
    assert finding.urgent and finding.overdue_days == 3


def test_another_village_sees_none_of_it(users, household_a):
    plant(users, household_a)
    assert todo.collect(users["clerk_b"]) == []


def test_a_case_in_its_notice_period_is_not_work_yet(users, household_a):
    case = wf.to_notice(users["clerk"], plant(users, household_a)["case"])
    assert f"/cases/{case.pk}/" not in urls(todo.collect(users["clerk"]))
    wf.end_notice(case)
    assert f"/cases/{case.pk}/" in urls(todo.collect(users["clerk"]))


def test_the_township_sees_the_case_only_when_it_reaches_its_step(users, household_a):
    case = plant(users, household_a)["case"]
    assert f"/cases/{case.pk}/" not in urls(todo.collect(users["township"]))


def test_home_page_starts_with_the_to_do_then_the_counts(client: Client, users, household_a):
    planted = plant(users, household_a)
    client.force_login(users["clerk"])
    body = client.get("/").content.decode()
    assert body.index('data-testid="todo"') < body.index('data-testid="total"')
    assert f"/comparison/findings/{planted['finding'].pk}/" in body
    assert f.VILLAGE_A in body
    # The division page itself stays as it was, without the to-do.
    assert 'data-testid="todo"' not in client.get(f"/divisions/{f.VILLAGE_A}/").content.decode()
