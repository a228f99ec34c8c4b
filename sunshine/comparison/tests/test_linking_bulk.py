"""Findings, their occurrences and events are written set-based (issue 18: a province's run raises ~150,000
findings): one COPY / executemany per table through sunshine.core.bulk, never bulk_create, with every value as
the ORM would have saved it (the ID number and the evidence encrypted, the ID's keyed hash, the timestamps)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.linking import raise_findings
from sunshine.comparison.models import Finding, FindingEvent, FindingOccurrence
from sunshine.comparison.tests.factories import make_finding, make_run
from sunshine.core import crypto
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def _refuse(*args, **kwargs):
    raise AssertionError("bulk_create: one INSERT per few dozen rows")


def test_raised_findings_are_stored_set_based_as_the_orm_would(household_a, users, monkeypatch):
    first = make_run(actor=users["county"])
    earlier = make_finding(run=first, household_year=household_a)  # pending: the next run links it
    run = make_run(actor=users["county"])
    for model in (Finding, FindingOccurrence, FindingEvent):
        monkeypatch.setattr(model.objects, "bulk_create", _refuse)
    ids = [f.new_id(), f.new_id()]
    candidates = [
        Finding(rule="C-DEAD", severity="high", year=2020, division_id=f.COUNTY, id_number=ids[0], name="甲",
                dataset="deaths", evidence=[{"身份证号": ids[0], "死亡日期": "2020-03-01"}], match="exact",
                explanation="死亡仍在册", fingerprint="a" * 64),
        Finding(rule="C-DEAD", severity="high", year=2020, division_id=f.COUNTY, id_number=ids[1], name="乙",
                dataset="deaths", evidence=[], match="exact", explanation="死亡仍在册", fingerprint="b" * 64),
        Finding(rule=earlier.rule, severity=earlier.severity, year=2020, division_id=earlier.division_id,
                id_number=earlier.id_number, name=earlier.name, explanation="again", fingerprint=earlier.fingerprint),
    ]
    counts = raise_findings(run, candidates, verification_days=30, today=dt.date(2026, 1, 10))

    assert (counts["total"], counts["new"], counts["recurring"]) == (3, 2, 1)
    new = list(Finding.objects.filter(first_run=run).order_by("fingerprint"))
    assert [x.id_number for x in new] == ids
    assert new[0].evidence == [{"身份证号": ids[0], "死亡日期": "2020-03-01"}]
    assert new[0].id_number_hash == crypto.keyed_hash(ids[0])
    assert Finding.objects.get(id_number_hash=crypto.keyed_hash(ids[1])).name == "乙"
    assert all(x.status == FindingStatus.PENDING and x.deadline == dt.date(2026, 2, 9) for x in new)
    assert all(x.created_at is not None and x.updated_at is not None and x.last_run_id == run.pk for x in new)
    with connection.cursor() as cursor:  # encrypted at rest, not the plain number
        cursor.execute("SELECT id_number, evidence FROM comparison_finding WHERE id = %s", [new[0].pk])
        stored_id, stored_evidence = cursor.fetchone()
    assert ids[0] not in stored_id and ids[0] not in stored_evidence

    occurrences = {o.finding_id: o.recurring for o in FindingOccurrence.objects.filter(run=run)}
    assert occurrences == {new[0].pk: False, new[1].pk: False, earlier.pk: True}
    events = {e.finding_id: e for e in FindingEvent.objects.filter(run=run)}
    assert {pk: e.action for pk, e in events.items()} == {new[0].pk: "raised", new[1].pk: "raised",
                                                           earlier.pk: "recurred"}
    assert all(e.user_id == users["county"].pk and e.at is not None for e in events.values())
    assert events[earlier.pk].from_status == events[earlier.pk].to_status == FindingStatus.PENDING
    earlier.refresh_from_db()
    assert earlier.last_run_id == run.pk
