"""Queries per page do not grow with the rows a page shows (issue 12, load).

Every page kind the load benchmark (benchmarks/load.py) requests is opened with 5 rows of everything in the
reader's area, then with 50 (a whole list page): a list makes the same number of queries for both (no query
per row), and every page stays under a ceiling. The ceilings are today's counts plus a little room; a page
that needs more has an N+1 or a repeated lookup to remove, not a ceiling to raise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sunshine.comparison.tests import factories as cf
from sunshine.core.models import Division
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseType, Step
from sunshine.workflow.models import Case

# page kind → (path, most queries). Lists are also checked for the same count with 5 and with 50 rows.
LISTS = {
    "home": ("/", 17),
    "household-list": ("/households/", 13),
    "household-search": ("/households/?q=%E5%BC%A0", 13),
    "household-filter": ("/households/?status=poor&household_type=general", 8),
    "finding-list": ("/comparison/findings/", 16),
    "warning-list": ("/monitoring/", 19),
    "case-inbox": ("/cases/", 14),
}
# Roles that may see full personal data write an access-log row per page (4 queries with its hash chain).
# household-detail: 2 of them for its 小额信贷和资产收益 section (the loans; the years of asset income), 2 for its
# 帮扶责任人 section (the pairings with their cadres; the last visits with their photos).
DETAILS = {"household-detail": 32, "edit-form": 7, "finding-detail": 16, "warning-detail": 15, "case-detail": 16}


def _rows(users: dict[str, Any], n: int, runs: tuple[Any, Any]) -> list[Any]:
    """n households of village A, each with a finding, a warning and an open case."""
    records = []
    for _ in range(n):
        record = f.make_household(users["county"], village=f.VILLAGE_A, head_name="张测试", members=2)
        cf.make_finding(run=runs[0], household_year=record, head=True)
        mf.make_warning(run=runs[1], household_year=record)
        Case.objects.create(
            case_type=CaseType.EXIT, year=record.year, household=record.household,
            division_id=record.household.village_id, steps=[s.value for s in Step], current_step=0,
            awaiting_step=Step.HOUSEHOLD, status="in_progress", reason="测试", opened_by=users["clerk"],
            opened_at=timezone.now() - dt.timedelta(days=1))
        records.append(record)
    return records


def _count(client: Client, path: str) -> int:
    """Queries of the page, the fewer of two requests after a first one: what a process caches on its first
    request, or refreshes now and then (the session's activity stamp, a once-a-minute check), is not counted."""
    client.get(path)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(len(ctx.captured_queries))
    return min(counts)


def _details(record: Any) -> dict[str, str]:
    from sunshine.comparison.models import Finding
    from sunshine.monitoring.models import EarlyWarning

    number = record.household.household_no
    return {
        "household-detail": f"/households/{number}/", "edit-form": f"/households/{number}/{record.year}/edit/",
        "finding-detail": f"/comparison/findings/{Finding.objects.get(household=record.household).pk}/",
        "warning-detail": f"/monitoring/warnings/{EarlyWarning.objects.get(household=record.household).pk}/",
        "case-detail": f"/cases/{Case.objects.get(household=record.household).pk}/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clerk", "county", "admin"])
def test_queries_per_page_do_not_grow_with_rows(users, role):
    runs = (cf.make_run(actor=users["admin"]), mf.make_run(actor=users["admin"]))
    records = _rows(users, 5, runs)
    client = Client()
    client.force_login(users[role])
    few = {kind: _count(client, path) for kind, (path, _) in LISTS.items()}
    _rows(users, 45, runs)
    many = {kind: _count(client, path) for kind, (path, _) in LISTS.items()}
    assert many == few, "a list makes a query per row"
    over = {kind: (n, LISTS[kind][1]) for kind, n in many.items() if n > LISTS[kind][1]}
    assert not over, f"(queries, ceiling) per page: {over}"
    details = {kind: _count(client, path) for kind, path in _details(records[0]).items()
               if kind != "edit-form" or users[role].can_edit_registry}
    over = {kind: (n, DETAILS[kind]) for kind, n in details.items() if n > DETAILS[kind]}
    assert not over, f"(queries, ceiling) per page: {over}"


@pytest.mark.django_db
def test_breadcrumbs_take_one_query(region):
    village = Division.objects.get(code=f.VILLAGE_A)
    with CaptureQueriesContext(connection) as ctx:
        names = [d.name for d in village.ancestors()]
    assert names == ["江苏省", "徐州市", "丰县", "测试甲镇"]
    assert len(ctx.captured_queries) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clerk", "township", "county", "admin"])
def test_region_picker_writes_what_the_select_template_writes(users, role):
    """The picker renders in Python for speed (core.fields.PickerSelect); its HTML is Django's select.html's."""
    from django import forms

    from sunshine.core.fields import DivisionFilterField, PickerSelect, bind_division_fields

    class Filter(forms.Form):
        division = DivisionFilterField()

    for data in (None, {"division": f.VILLAGE_A}, {"division": '"><script>'}):
        form = Filter(data)
        bind_division_fields(form, users[role])
        assert isinstance(form.fields["division"].widget, PickerSelect)
        fast = str(form["division"])
        form.fields["division"].widget = forms.Select(choices=form.fields["division"].choices)
        assert fast == str(form["division"])
