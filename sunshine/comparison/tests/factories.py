"""Comparison runs and findings made directly as rows (no engine), for the workflow, page and API tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from django.utils import timezone

from sunshine.comparison.choices import FindingStatus, JobStatus
from sunshine.comparison.models import ComparisonRun, DatasetLoad, Finding, FindingEvent, FindingOccurrence
from sunshine.comparison.workflow import DEFAULT_DEADLINE_DAYS
from sunshine.core.models import User
from sunshine.engine.comparison.catalogue import RULES
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f

_sequence = itertools.count(1)


def make_load(dataset: str = "deaths", *, version: int | None = None, as_of: dt.date | None = None,
              rows: int = 10) -> DatasetLoad:
    version = version or (DatasetLoad.objects.filter(dataset=dataset).count() + 1)
    return DatasetLoad.objects.create(
        dataset=dataset, version=version, as_of=as_of or dt.date(2020, 12, 31), file_name=f"{dataset}.xlsx",
        file_sha256="0" * 64, path=f"datasets/{dataset}/v{version}.parquet", rows=rows)


def make_stored_load(dataset: str, rows: list[dict[str, Any]]) -> DatasetLoad:
    """A load with its Parquet file under DATA_DIR, as the loader stores it, for runs through the engine."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.conf import settings

    from sunshine.engine.comparison.datasets import arrow_schema

    load = make_load(dataset, rows=len(rows))
    schema = arrow_schema(dataset)
    full = [{**dict.fromkeys(schema.names), "source_row": i + 2, **row} for i, row in enumerate(rows)]
    path = settings.DATA_DIR / load.path
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return load


def make_run(*, actor: User | None = None, division: str = f.COUNTY, year: int = 2020,
             status: str = JobStatus.DONE, rules: list[str] | None = None, loads: list[DatasetLoad] | None = None,
             **extra: Any) -> ComparisonRun:
    now = timezone.now()
    fields: dict[str, Any] = {
        "progress": 100 if status == JobStatus.DONE else 0, "started_at": now,
        "finished_at": now if status in (JobStatus.DONE, JobStatus.FAILED) else None} | extra
    run = ComparisonRun.objects.create(year=year, division_id=division, rules=rules or [], status=status,
                                       created_by=actor, **fields)
    if loads:
        run.loads.set(loads)
    return run


def _member(household_year: HouseholdYear, head: bool) -> Any:
    members = household_year.members.select_related("person").order_by("pk")
    if head:
        return members.get(relation=c.Relation.HEAD)
    return members.exclude(relation=c.Relation.HEAD).first() or members.first()


def make_finding(*, run: ComparisonRun, household_year: HouseholdYear | None = None, head: bool = False,
                 rule: str = "C-DEAD", division: str | None = None, name: str = "档外人员",
                 id_number: str | None = None, status: str = FindingStatus.PENDING,
                 deadline: dt.date | None = None, evidence: list[dict[str, Any]] | None = None,
                 match: str = "exact", probability: float | None = None, previous: Finding | None = None,
                 dataset: str | None = None, explanation: str | None = None, pk: int | None = None,
                 raised_event: bool = True) -> Finding:
    """A finding raised by ``run``: about a member of ``household_year`` (the first non-head member, or the
    head with ``head=True``), or about a person outside the registry owned by ``division`` (a county)."""
    person = household = None
    if household_year is not None:
        member = _member(household_year, head)
        person, household = member.person, household_year.household
        name, id_number = person.name, person.id_number
        division = division or household.village_id
    id_number = id_number if id_number is not None else f.new_id()
    rule_info = RULES[rule]
    dataset = dataset if dataset is not None else (rule_info.datasets[0] if rule_info.datasets else "")
    if evidence is None:
        evidence = [{"身份证号": id_number, "姓名": name, "死亡日期": "2020-03-01"}] if dataset else []
    finding = Finding.objects.create(
        pk=pk, rule=rule, severity=rule_info.severity, year=run.year, household=household, person=person,
        division_id=division or f.COUNTY, id_number=id_number, name=name, dataset=dataset, evidence=evidence,
        match=match, probability=probability,
        explanation=explanation or f"{name}:{rule_info.title}(测试数据)",
        fingerprint=hashlib.sha256(f"{rule}|{id_number}|{next(_sequence)}".encode()).hexdigest(),
        status=status, deadline=deadline or (timezone.localdate() + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)),
        first_run=run, last_run=run, previous=previous)
    FindingOccurrence.objects.create(run=run, finding=finding, recurring=False)
    if raised_event:
        FindingEvent.objects.create(finding=finding, action="raised", to_status=FindingStatus.PENDING, run=run)
    return finding


def recur(finding: Finding, run: ComparisonRun) -> FindingOccurrence:
    """``run`` raises ``finding`` again."""
    Finding.objects.filter(pk=finding.pk).update(last_run=run)
    FindingEvent.objects.create(finding=finding, action="recurred", run=run)
    return FindingOccurrence.objects.create(run=run, finding=finding, recurring=True)


def at_ids(*, actor: User, household_year: HouseholdYear, run_id: int, id: int) -> Finding:  # noqa: A002
    """A run, a finding and an event with an attachment in ``household_year``'s village, whose primary keys are
    the values tests/test_scope.py puts into every ``run_id`` and ``id`` URL parameter, so that each comparison
    page and API route is asked about a real object of that village. (No other row of these tables is made
    with a generated key here: PostgreSQL's sequences do not skip explicit keys.)"""
    run = make_run(actor=actor, division=household_year.household.village_id, pk=run_id)
    finding = make_finding(run=run, household_year=household_year, pk=id, raised_event=False)
    FindingEvent.objects.create(pk=id, finding=finding, user=actor, action="verify", note="核实",
                                from_status=FindingStatus.PENDING, to_status=FindingStatus.PENDING,
                                attachment="findings/scope-test.png")
    return finding
