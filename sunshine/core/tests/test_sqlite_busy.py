"""SQLite under concurrent use: WAL and a busy timeout on every connection; a write that cannot get the lock
answers 503 with a Chinese retry message (a page, or JSON on /api/), never a 500; token reads never write
while the lock is held."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client

from sunshine.core.busy import busy_message, is_busy_error
from sunshine.core.models import ApiToken
from sunshine.registry.forms import HouseholdYearForm

SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
sqlite_only = pytest.mark.skipif(not SQLITE, reason="SQLite's write lock")


@sqlite_only
def test_settings_give_every_connection_wal_a_busy_timeout_and_immediate_transactions(
    tmp_path: Path, django_db_blocker  # noqa: ANN001 - pytest-django's fixture
) -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert 5 <= options["timeout"] < 120  # waits, but answers before gunicorn's worker timeout
    wrapper = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "w.sqlite3")}, "busy_w")
    with django_db_blocker.unblock(), contextlib.closing(wrapper), wrapper.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == int(options["timeout"] * 1000)


@sqlite_only
def test_a_write_waits_for_the_busy_timeout_then_fails_as_busy(
    tmp_path: Path, django_db_blocker  # noqa: ANN001 - pytest-django's fixture
) -> None:
    """The real file-lock path: a second connection holds the write lock; our write waits, then gives up
    with an error that the site maps to 503."""
    name = str(tmp_path / "lock.sqlite3")
    options = {**settings.DATABASES["default"]["OPTIONS"], "timeout": 0.5}
    wrapper = DatabaseWrapper({**settings.DATABASES["default"], "NAME": name, "OPTIONS": options}, "busy_l")
    with django_db_blocker.unblock(), contextlib.closing(wrapper):
        wrapper.cursor().execute("CREATE TABLE t (x INTEGER)")
        holder = sqlite3.connect(name, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO t VALUES (1)")
        try:
            cursor = wrapper.cursor()
            assert cursor.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # reads go on under WAL
            clock = time.monotonic()
            with pytest.raises(OperationalError) as caught:
                cursor.execute("BEGIN IMMEDIATE")  # what transaction.atomic() sends
            assert time.monotonic() - clock >= 0.4
            assert is_busy_error(caught.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()


@contextlib.contextmanager
def held_write_lock() -> Iterator[sqlite3.Connection]:
    """Another connection to the test database holding SQLite's write lock (as an import does)."""
    if connection.is_in_memory_db():  # pytest-django's shared-cache memory database
        holder = sqlite3.connect(connection.creation._get_test_db_name(), uri=True, isolation_level=None)
    else:
        holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _edit_data(record) -> dict[str, str]:  # noqa: ANN001 - a HouseholdYear
    form = HouseholdYearForm(instance=record, prefix="y")
    data: dict[str, str] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or value is False:
            continue
        key = form.add_prefix(name)
        data[key] = "on" if value is True else (value if isinstance(value, list) else str(value))
        del field
    return data


@pytest.fixture
def edit_setup(region, users, household_a):  # noqa: ANN001, ANN201 - fixtures
    client = Client(raise_request_exception=False)
    client.force_login(users["county"])
    url = f"/households/{household_a.household.household_no}/{household_a.year}/edit/"
    return client, url, _edit_data(household_a)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_page_edit_under_a_held_write_lock_gets_503_with_chinese_message(edit_setup) -> None:
    client, url, data = edit_setup
    with held_write_lock():
        response = client.post(url, data)
    assert response.status_code == 503
    assert busy_message() in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_page_edit_without_a_lock_still_saves(edit_setup) -> None:
    client, url, data = edit_setup
    assert client.post(url, data).status_code == 302  # the same data is valid: only the lock made it 503


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_api_write_under_a_held_write_lock_gets_503_json(users, household_a) -> None:
    _, raw = ApiToken.issue(users["county"], name="busy")
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/households/{household_a.household.household_no}/{household_a.year}"
    client.get(url)  # the token's first use is recorded now, not under the lock
    with held_write_lock():
        response = client.patch(url, data=json.dumps({"phone": "13800000000"}), content_type="application/json")
    assert response.status_code == 503
    assert response.json() == {"detail": busy_message()}


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_token_read_under_a_held_write_lock_succeeds(users, region) -> None:
    token, raw = ApiToken.issue(users["clerk"], name="reader")
    assert token.last_used_at is None  # so this request would record its use
    with held_write_lock():
        response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/divisions")
    assert response.status_code == 200
    assert response.json()["count"] >= 1
    # Once the lock is free, the use is recorded.
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/divisions").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's row locks and lock_timeout")
@pytest.mark.django_db(transaction=True)
def test_postgresql_lock_wait_that_gives_up_is_503_not_500(users, household_a) -> None:
    _, raw = ApiToken.issue(users["county"], name="busy")
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/households/{household_a.household.household_no}/{household_a.year}"
    client.get(url)
    holder = connection.get_new_connection(connection.get_connection_params())
    try:
        holder.execute("BEGIN")
        table = type(household_a)._meta.db_table
        holder.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [household_a.pk])  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        response = client.patch(url, data=json.dumps({"phone": "13800000000"}), content_type="application/json")
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert response.status_code == 503
    assert response.json() == {"detail": busy_message()}


@pytest.mark.skipif(SQLITE, reason="PostgreSQL session limits")
@pytest.mark.django_db
def test_postgresql_connections_have_statement_and_idle_transaction_limits() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        statement = cursor.fetchone()[0]
        cursor.execute("SHOW idle_in_transaction_session_timeout")
        idle = cursor.fetchone()[0]
    assert statement not in ("0", "0ms") and idle not in ("0", "0ms")


@pytest.mark.parametrize(("process", "limit"), [("web", "60s"), ("batch", "30min"), ("", "30min")])
def test_web_requests_get_short_postgresql_limits_and_batch_work_long_ones(process: str, limit: str) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUNSHINE_DB_", "SUNSHINE_BATCH_"))}
    env.update(DATABASE_URL="postgresql://u@127.0.0.1:5432/db", SUNSHINE_PROCESS=process)
    code = "from sunshine.config import settings; print(settings.DATABASES['default']['OPTIONS']['options'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,  # noqa: S603
                         check=True).stdout
    assert f"-c statement_timeout={limit}" in out
    assert f"-c idle_in_transaction_session_timeout={limit}" in out
    assert "-c client_connection_check_interval=10s" in out
