"""Running an assessment: snapshot the registry, run the engine's SQL, store every result in one transaction."""

from __future__ import annotations

import itertools
import json
import time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from psycopg.types.json import Jsonb

from sunshine.assessment import snapshot
from sunshine.assessment.choices import (
    COUNTY_CRITERIA,
    HOUSEHOLD_CRITERIA,
    ROLES_THAT_RUN_OFFICIAL,
    VILLAGE_CRITERIA,
    Kind,
)
from sunshine.assessment.models import AssessmentRun, CountyAssessment, HouseholdAssessment, VillageAssessment
from sunshine.core import bulk
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.core.signals import announce_change
from sunshine.engine import vocabulary
from sunshine.engine.assessment import assess_counties, assess_households, assess_villages
from sunshine.engine.backend import DuckDBBackend
from sunshine.policy.parameters import ParameterError, StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

PROVINCE = "320000000000"
BATCH = 2000
COUNTY_LEVELS = (DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY)


def _division(actor: User | None, division_code: str | None) -> Division:
    if division_code is None:
        division_code = actor.division_id if actor is not None and actor.division_id else PROVINCE
    if actor is not None and not division_visible(actor, division_code):
        raise PermissionDenied("该区划不在您的管辖范围内")
    division = Division.objects.filter(code=division_code).first()
    if division is None:
        raise ValidationError({"division_code": [f"区划不存在: {division_code}"]})
    return division


def _check_role(actor: User | None, official: bool) -> None:
    """``actor`` None is the operator at the command line, who may do anything (as with manage.py)."""
    if actor is None:
        return
    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if official and not actor.role_set & ROLES_THAT_RUN_OFFICIAL:
        raise PermissionDenied("您的角色只能进行模拟测算,正式评估由县级管理、省级分析或系统管理员执行")


def resolve_parameters(*, year: int, division: Division, standard_version: str | None,
                       overrides: dict[str, Any]) -> tuple[Any, StandardParameters]:
    try:
        standard = standard_for(year, division.code, standard_version)
    except StandardNotFound as exc:
        raise ValidationError({"standard": [str(exc)]}) from exc
    try:
        params = standard.params.with_changes(**overrides)
    except ParameterError as exc:
        raise ValidationError({f"overrides.{k}": [v] for k, v in exc.errors.items()}) from exc
    return standard, params


def evaluate(kind: Kind, snap: snapshot.RegistrySnapshot, params: StandardParameters) -> pa.Table:
    """Run the engine over an extracted snapshot; returns its Arrow result table."""
    with DuckDBBackend() as backend:
        backend.register_all(snap.tables)
        if kind == Kind.HOUSEHOLDS:  # stored, so the rows need no order
            return assess_households(backend, params.to_dict(), year=snap.year, division_prefix=snap.prefix,
                                     ordered=False)
        run = assess_villages if kind == Kind.VILLAGES else assess_counties
        return run(backend, params.to_dict(), year=snap.year, division_prefix=snap.prefix)


def run_assessment(*, actor: User | None, kind: str, year: int, division_code: str | None = None,
                   standard_version: str | None = None, overrides: dict[str, Any] | None = None,
                   official: bool = True) -> AssessmentRun:
    """Assess every household, village or key county of ``year`` inside ``division_code`` (default: the
    actor's division) under the applicable standard (or ``standard_version``), and store the run.

    ``overrides`` changes parameters for a what-if run, which is never official. ``actor`` None is the
    command-line operator. Results are written in one transaction: a run is complete or absent."""
    kind = Kind(kind)
    overrides = dict(overrides or {})
    if overrides and official:
        raise ValidationError({"overrides": ["调整参数的测算只能是模拟测算(非正式评估)"]})
    _check_role(actor, official)
    division = _division(actor, division_code)
    if kind == Kind.COUNTIES and division.level not in COUNTY_LEVELS:
        raise ValidationError({"division_code": ["重点帮扶县评估的范围应为省、市或县(区)"]})
    standard, params = resolve_parameters(year=year, division=division, standard_version=standard_version,
                                          overrides=overrides)
    started = time.perf_counter()
    snap = snapshot.extract(kind, year=year, prefix=division.prefix)
    table = evaluate(kind, snap, params)
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            kind=kind, year=year, division=division, standard=standard, standard_version=standard.version,
            parameters=params.to_dict(), overrides=params.changes_from(standard.params), official=official,
            created_by=actor, counts=_counts(table),
        )
        _store(kind, run, table, snap)
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
        if official:  # the cockpit counts official runs only
            announce_change(sender=AssessmentRun, year=year, source="assessment")
    return run


def _counts(table: pa.Table) -> dict[str, int]:
    tally = {c["values"]: c["counts"] for c in pc.value_counts(table.column("result")).to_pylist()}
    return {"total": table.num_rows, **{result: tally.get(result, 0) for result in vocabulary.RESULTS}}


def _criteria(row: dict[str, Any], codes: dict[str, str], columns: dict[str, str]) -> dict[str, str]:
    return {code: row[columns[code]] for code in codes}


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _values(column: pa.ChunkedArray) -> list[Any]:
    """The column as Python values. The engine's states and results are dictionary-encoded (their words), and
    ``to_pylist`` on a dictionary column makes a scalar per value: 1.5 s a column of a province's 730,000
    results against 0.07 s decoded first, ten of the assessment store's 21 seconds."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.to_pylist()


def _store_households(run: AssessmentRun, table: pa.Table, snap: snapshot.RegistrySnapshot) -> None:
    """One result per household, set-based: the engine's columns go column by column into one COPY (PostgreSQL)
    or executemany (SQLite) through sunshine.core.bulk. A province stores 750,000 of them; a model instance and
    bulk_create's per-value conversions each took longer than the engine's whole assessment."""
    ids = snap.household_ids
    households = [ids[number] for number in table.column("household_no").to_pylist()]
    states = [_values(table.column(vocabulary.HOUSEHOLD_CRITERIA[code])) for code in HOUSEHOLD_CRITERIA]
    # A criterion has three states, so a few hundred distinct documents at most: each is written as JSON once
    # (for PostgreSQL's binary COPY as its jsonb text as it is), not once per household.
    documents: dict[tuple[Any, ...], Any] = {}

    def document(row: tuple[Any, ...]) -> Any:
        text = json.dumps(dict(zip(HOUSEHOLD_CRITERIA, row, strict=True)))
        return Jsonb(text, dumps=str) if connection.vendor == "postgresql" else text

    criteria = [documents.get(row) or documents.setdefault(row, document(row)) for row in zip(*states, strict=True)]
    income_column = table.column("per_capita_income")
    income = (income_column.to_pylist() if income_column.type == pa.decimal128(18, 2)   # already to the fen
              else [_money(v) for v in income_column.to_pylist()])
    fields = ["run", "result", "household", "household_no", "criteria", "per_capita_income", "active_members",
              "explanation"]
    rows = zip(itertools.repeat(run.pk), _values(table.column("result")), households,
               table.column("household_no").to_pylist(), criteria, income, table.column("active_members").to_pylist(),
               table.column("explanation").to_pylist(), strict=False)
    bulk.insert(HouseholdAssessment, bulk.columns(HouseholdAssessment, fields), rows)


def _store(kind: Kind, run: AssessmentRun, table: pa.Table, snap: snapshot.RegistrySnapshot) -> None:
    if kind == Kind.HOUSEHOLDS:
        _store_households(run, table, snap)
        return
    rows = table.to_pylist()  # a province has a few thousand villages and a handful of key counties
    objects: list[Any]
    if kind == Kind.VILLAGES:
        objects = [
            VillageAssessment(
                run=run, village_id=r["division_code"], result=r["result"],
                criteria=_criteria(r, VILLAGE_CRITERIA, vocabulary.VILLAGE_CRITERIA), weak_village=r["weak_village"],
                collective_income=_money(r["collective_income"]), explanation=r["explanation"],
            ) for r in rows
        ]
        VillageAssessment.objects.bulk_create(objects, batch_size=BATCH)
    else:
        objects = [
            CountyAssessment(
                run=run, county_id=r["division_code"], result=r["result"],
                criteria=_criteria(r, COUNTY_CRITERIA, vocabulary.COUNTY_CRITERIA),
                registered_households=r["registered_households"], households_meeting=r["households_meeting"],
                households_incomplete=r["households_incomplete"], household_share=r["household_share"],
                weak_villages=r["weak_villages"], weak_villages_meeting=r["weak_villages_meeting"],
                village_share=r["village_share"], households_short=r["households_short"],
                villages_short=r["villages_short"], explanation=r["explanation"],
            ) for r in rows
        ]
        CountyAssessment.objects.bulk_create(objects, batch_size=BATCH)


def delete_runs_touching(divisions: QuerySet[Division]) -> int:
    """Delete every run (with all its results) whose scope is one of ``divisions`` or that has a result about
    a household or village in them. For the demo generator, which replaces synthetic divisions and their
    registry rows with raw SQL: a run about data that no longer exists is deleted whole, never left half."""
    runs = AssessmentRun.objects.filter(
        Q(division__in=divisions)
        | Q(pk__in=HouseholdAssessment.objects.filter(household__village__in=divisions).values("run_id"))
        | Q(pk__in=VillageAssessment.objects.filter(village__in=divisions).values("run_id"))
    )
    deleted, _ = runs.delete()
    return deleted
