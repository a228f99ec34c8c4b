"""Query results straight into Arrow (sunshine.core.arrow_extract): which reader is used when, and both readers
giving the same table."""

from __future__ import annotations

import pyarrow as pa
import pytest
from django.db import connection, transaction

from sunshine.assessment import snapshot
from sunshine.core import arrow_extract as ax
from sunshine.core.choices import Role
from sunshine.testing import factories as f


def test_inside_a_transaction_the_django_cursor_reads(db, monkeypatch) -> None:
    """A test wrapped in a transaction (and any caller inside transaction.atomic) has uncommitted rows that a
    second connection would not see: the reader is the Django connection's own cursor."""
    monkeypatch.delenv(ax.READER_ENV, raising=False)
    kind, why = ax.reader_for()
    assert kind == "cursor" and ("transaction" in why or "in-memory" in why)


def test_the_reader_can_be_forced_to_the_cursor(monkeypatch) -> None:
    monkeypatch.setenv(ax.READER_ENV, "cursor")
    assert ax.reader_for()[0] == "cursor"


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_adbc_reads_unless_the_database_is_in_memory(monkeypatch) -> None:
    monkeypatch.delenv(ax.READER_ENV, raising=False)
    kind, _why = ax.reader_for()
    if connection.vendor == "sqlite":  # ADBC's own SQLite copy would not see this process's commits (WAL)
        assert kind == "cursor"
    else:
        assert kind == "adbc"
    with transaction.atomic():
        assert ax.reader_for()[0] == "cursor"


@pytest.mark.django_db(transaction=True)
def test_both_readers_give_the_same_snapshot(monkeypatch) -> None:
    """Committed registry rows (on PostgreSQL the ADBC path really runs here) read alike by both readers."""
    monkeypatch.delenv(ax.READER_ENV, raising=False)
    region = f.build_region()
    actor = f.make_user("county_x", Role.COUNTY_MANAGER, f.COUNTY)
    f.make_household(actor, village=f.VILLAGE_A, head_name="甲户主", members=3)
    f.make_household(actor, village=f.VILLAGE_B, head_name="乙户主", members=2)
    assert region
    for build in (lambda: snapshot.households(2020, "3203")[0], lambda: snapshot.members(2020, "3203"),
                  lambda: snapshot.members(2020, "3203", id_numbers=True)):
        auto = build()
        monkeypatch.setenv(ax.READER_ENV, "cursor")
        by_cursor = build()
        monkeypatch.delenv(ax.READER_ENV)
        assert auto.num_rows > 0
        key = [(auto.column_names[0], "ascending"), ("name" if "name" in auto.column_names else "household_no",
                                                      "ascending")]
        assert auto.sort_by(key).equals(by_cursor.sort_by(key))
    ids = snapshot.members(2020, "3203", id_numbers=True).column("id_number").to_pylist()
    assert all(len(n) == 18 for n in ids)  # decrypted in memory


def test_postgresql_uri_from_settings() -> None:
    uri = ax.postgresql_uri({"NAME": "db x", "USER": "u", "PASSWORD": "p@ss", "HOST": "127.0.0.1", "PORT": 5432,
                             "OPTIONS": {"options": "-c statement_timeout=30min", "pool": True}})
    assert uri == "postgresql://u:p%40ss@127.0.0.1:5432/db%20x?options=-c%20statement_timeout%3D30min"
    assert ax.postgresql_uri({"NAME": "d", "HOST": "/run/pg", "PORT": "5433"}) == (
        "postgresql:///d?host=%2Frun%2Fpg&port=5433")


def test_adbc_columns_are_decrypted_and_blank_text_is_unknown() -> None:
    from sunshine.core.crypto import encrypt

    number = f.new_id()
    schema = pa.schema([pa.field("k", pa.int64()), pa.field("id_number", pa.string())])
    raw = pa.table({"k": [1, 2, 3], "id_number": [None, "", encrypt(number)]})
    table = ax._from_adbc(raw, schema, [False, True])
    assert table.column("id_number").to_pylist() == [None, None, number]
