"""The generator's database writes: its four bulk tables with explicit primary keys (through the shared bulk path,
sunshine.core.bulk: executemany on SQLite, COPY on PostgreSQL), and deletion of a county's earlier synthetic data.

The ORM's model instances and signals are bypassed on purpose: a county is a million rows, and
django-simple-history would otherwise write a second million. History starts at the first edit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

from sunshine.assessment.services import delete_runs_touching
from sunshine.comparison.runs.services import delete_runs_touching as delete_comparisons_touching
from sunshine.core import bulk
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division, User
from sunshine.monitoring.cleanup import delete_monitoring_touching
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear

BULK_MODELS: tuple[type[models.Model], ...] = (Household, Person, HouseholdYear, MemberYear)
_BATCH = 900  # ids per statement: below every SQLite build's bound-parameter limit

columns = bulk.columns
next_pk = bulk.next_pk


def lock_for_bulk_insert() -> None:
    """Keep other writers out of the tables we give explicit keys in, until commit (sunshine.core.bulk.lock_tables)."""
    bulk.lock_tables(BULK_MODELS)


def reset_sequences() -> None:
    """After inserting explicit keys, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    bulk.reset_sequences(BULK_MODELS)


def refresh_statistics() -> None:
    """After the load, let PostgreSQL's planner see the new row counts (sunshine.core.bulk.analyze)."""
    bulk.analyze((*BULK_MODELS, Division, VillageYear))


def insert(model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert tuples whose values are already in the database's form (ISO text dates): text COPY on PostgreSQL."""
    bulk.insert(model, bulk.columns(model, field_names), rows, binary=False)


def _delete_where_pk_in(model: type[models.Model], subquery: models.QuerySet) -> None:
    """DELETE … WHERE pk IN (subquery), in SQL: no signals, so no history rows for the deletion."""
    bulk.delete_where_pk_in(model, subquery)


def _delete_history(model: type[models.Model], subquery: models.QuerySet) -> None:
    """History rows of objects about to be deleted: new rows may reuse their keys."""
    history = model.history.model  # type: ignore[attr-defined]
    key = history._meta.get_field(model._meta.pk.name).column  # the original key, e.g. "code" of Division
    bulk.delete_where_pk_in(history, subquery, key=key)


def delete_synthetic(county6: str) -> int:
    """Remove the synthetic townships and villages of a county with everything registered in them, and
    their history. Users bound to those divisions are unbound (division = NULL, so they see nothing)
    rather than moved up, which would widen what they may see. Returns the number of users unbound."""
    divisions = Division.objects.filter(code__startswith=county6, synthetic=True)
    villages = divisions.filter(level=DivisionLevel.VILLAGE)
    households = Household.objects.filter(village__in=villages)
    household_years = HouseholdYear.objects.filter(household__in=households)
    member_years = MemberYear.objects.filter(household_year__in=household_years)
    person_ids = list(member_years.values_list("person_id", flat=True).distinct())
    delete_runs_touching(divisions)  # assessment runs about this data refer to it
    delete_comparisons_touching(divisions)  # and so do comparison findings
    delete_monitoring_touching(divisions)  # and warnings, monitored households and sample units

    for model, qs in ((MemberYear, member_years), (HouseholdYear, household_years), (Household, households),
                      (VillageYear, VillageYear.objects.filter(village__in=villages))):
        _delete_history(model, qs)
        _delete_where_pk_in(model, qs)
    # People who belonged only to synthetic households.
    for start in range(0, len(person_ids), _BATCH):
        orphans = Person.objects.filter(pk__in=person_ids[start:start + _BATCH], memberships__isnull=True)
        _delete_history(Person, orphans)
        _delete_where_pk_in(Person, orphans)
    unbound = User.objects.filter(division__in=divisions).update(division=None)
    for level in (DivisionLevel.VILLAGE, DivisionLevel.TOWNSHIP):
        qs = divisions.filter(level=level)
        _delete_history(Division, qs)
        _delete_where_pk_in(Division, qs)
    return unbound
