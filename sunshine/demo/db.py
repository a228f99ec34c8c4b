"""Set-based database writes for the generator: explicit primary keys, fast inserts (executemany on
SQLite, COPY on PostgreSQL), sequence resets, and deletion of a county's earlier synthetic data.

The ORM's model instances and signals are bypassed on purpose: a county is a million rows, and
django-simple-history would otherwise write a second million. History starts at the first edit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from sunshine.assessment.services import delete_runs_touching
from sunshine.comparison.runs.services import delete_runs_touching as delete_comparisons_touching
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division, User
from sunshine.monitoring.cleanup import delete_monitoring_touching
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear

BULK_MODELS: tuple[type[models.Model], ...] = (Household, Person, HouseholdYear, MemberYear)
_BATCH = 900  # ids per statement: below every SQLite build's bound-parameter limit


def columns(model: type[models.Model], field_names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in field_names]


def next_pk(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def lock_for_bulk_insert() -> None:
    """On PostgreSQL, keep other writers out of the tables we give explicit keys in, until commit:
    their INSERTs would otherwise take sequence values we are using. SQLite's IMMEDIATE transaction
    already holds the database's write lock."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in BULK_MODELS)
    with connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def reset_sequences() -> None:
    """After inserting explicit keys, move PostgreSQL's sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(BULK_MODELS))
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


def refresh_statistics() -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts. Without it the next queries in the
    same transaction (before autovacuum runs) are planned for empty tables: nested loops that took minutes on a
    few thousand rows. SQLite's planner does not depend on such statistics."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for model in (*BULK_MODELS, Division, VillageYear):
            cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608 - model names


def insert(model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert tuples whose values are already in the database's form (see ``db_value``)."""
    from sunshine.core.encrypted_fields import seal_rows

    names, rows = seal_rows(model, tuple(columns(model, field_names)), rows)  # ID numbers, phones encrypted
    field_names = [model._meta.get_field(n).name for n in field_names] + list(names[len(field_names):])
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(c) for c in columns(model, field_names))
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        marks = ", ".join("?" * len(field_names))
        # The raw sqlite3 connection: Django's wrapper would rewrite and re-iterate every row.
        connection.connection.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608
        return
    with connection.cursor() as cur:
        raw = cur.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(field_names))
        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(rows))  # noqa: S608


def _delete_where_pk_in(model: type[models.Model], subquery: models.QuerySet) -> None:
    """DELETE … WHERE pk IN (subquery), in SQL: no signals, so no history rows for the deletion."""
    sql, params = subquery.order_by().values("pk").query.sql_with_params()
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)} IN ({sql})",  # noqa: S608
            params,
        )


def _delete_history(model: type[models.Model], subquery: models.QuerySet) -> None:
    """History rows of objects about to be deleted: new rows may reuse their keys."""
    history = model.history.model  # type: ignore[attr-defined]
    key = history._meta.get_field(model._meta.pk.name).column  # the original key, e.g. "code" of Division
    sql, params = subquery.order_by().values("pk").query.sql_with_params()
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {qn(history._meta.db_table)} WHERE {qn(key)} IN ({sql})",  # noqa: S608
            params,
        )


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
