"""Query results straight into Arrow (sunshine.core.arrow_extract): which reader is used when, and both readers
giving the same table."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.db import connection, transaction

from sunshine.assessment import snapshot
from sunshine.core import arrow_extract as ax
from sunshine.core.choices import Role
from sunshine.engine import snapshot as s
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
    if connection.vendor == "sqlite":  # pytest-django's SQLite test database lives in memory
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


def test_sqlite_adbc_reads_columns_that_start_null(tmp_path: Path) -> None:
    """SQLite's ADBC driver types a column by its first rows: a text or date column NULL there must still read."""
    path = tmp_path / "t.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (k integer, name text, born date, ok bool, fen integer)")
    rows = [(i, None if i < 3000 else f"n{i}", None if i < 3000 else "2001-02-03", i % 2, None if i < 3000 else i)
            for i in range(3100)]
    rows.append((9999, "", "", None, 5))
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    schema = pa.schema([pa.field("k", pa.int64()), pa.field("name", pa.string()), pa.field("born", pa.date32()),
                        pa.field("ok", pa.bool_()), pa.field("fen", s.MONEY)])
    sql = "SELECT k, name, born, ok, fen FROM t WHERE k >= %s ORDER BY k"
    text = [False, True, True, False, False]
    table = ax._from_adbc(ax.sqlite_arrow(str(path), sql, [0], schema, text), schema, [False] * 5)
    assert table.schema == schema and table.num_rows == 3101
    assert table.column("k").to_pylist() == sorted(r[0] for r in rows)  # the query's order is kept
    assert table.slice(0, 1).to_pylist() == [{"k": 0, "name": None, "born": None, "ok": False, "fen": None}]
    assert table.slice(3000, 1).to_pylist() == [{"k": 3000, "name": "n3000", "born": dt.date(2001, 2, 3),
                                                 "ok": False, "fen": Decimal("30.00")}]
    assert table.slice(3100, 1).to_pylist() == [{"k": 9999, "name": None, "born": None, "ok": None,
                                                 "fen": Decimal("0.05")}]
    empty = ax._from_adbc(ax.sqlite_arrow(str(path), sql, [100000], schema, text), schema, [False] * 5)
    assert empty.num_rows == 0 and empty.schema == schema


def test_postgresql_uri_from_settings() -> None:
    uri = ax.postgresql_uri({"NAME": "db x", "USER": "u", "PASSWORD": "p@ss", "HOST": "127.0.0.1", "PORT": 5432,
                             "OPTIONS": {"options": "-c statement_timeout=30min", "pool": True}})
    assert uri == "postgresql://u:p%40ss@127.0.0.1:5432/db%20x?options=-c%20statement_timeout%3D30min"
    assert ax.postgresql_uri({"NAME": "d", "HOST": "/run/pg", "PORT": "5433"}) == (
        "postgresql:///d?host=%2Frun%2Fpg&port=5433")


def test_sqlite_adbc_decrypts_encrypted_columns(tmp_path: Path) -> None:
    from sunshine.core.crypto import encrypt

    path = tmp_path / "e.sqlite3"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE p (k integer, id_number text)")
    number = f.new_id()
    con.executemany("INSERT INTO p VALUES (?, ?)", [(1, None), (2, ""), (3, encrypt(number))])
    con.commit()
    con.close()
    schema = pa.schema([pa.field("k", pa.int64()), pa.field("id_number", pa.string())])
    raw = ax.sqlite_arrow(str(path), "SELECT k, id_number FROM p ORDER BY k", [], schema, [False, True])
    table = ax._from_adbc(raw, schema, [False, True])
    assert table.column("id_number").to_pylist() == [None, None, number]
