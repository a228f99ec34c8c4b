"""Fixtures shared by every test: a small synthetic region, a user of every role, households."""

from __future__ import annotations

import os
import threading
import traceback
import warnings

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures in that
# thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from sunshine.core.choices import Role
from sunshine.testing import factories as f


@pytest.fixture(autouse=True)
def _public_cache_off(settings):
    """Public pages are cached for a minute in production; tests see every change at once (the portal's cache
    tests switch it on)."""
    settings.SUNSHINE_PUBLIC_CACHE_SECONDS = 0


@pytest.fixture
def region(db):
    return f.build_region()


@pytest.fixture
def users(region):
    """One user per role; clerk_b is a village clerk of another village (village B)."""
    return {
        "clerk": f.make_user("clerk_a", Role.VILLAGE_CLERK, f.VILLAGE_A),
        "clerk_b": f.make_user("clerk_b", Role.VILLAGE_CLERK, f.VILLAGE_B),
        "township": f.make_user("township_a", Role.TOWNSHIP_REVIEWER, f.TOWNSHIP_A),
        "county": f.make_user("county", Role.COUNTY_MANAGER, f.COUNTY),
        "supervisor": f.make_user("supervisor", Role.SUPERVISOR, f.COUNTY),
        "analyst": f.make_user("analyst", Role.PROVINCIAL_ANALYST, "320000000000"),
        "admin": f.make_user("admin", Role.ADMIN, "320000000000", is_staff=True, is_superuser=True),
    }


@pytest.fixture
def household_a(users):
    return f.make_household(users["county"], village=f.VILLAGE_A, head_name="甲户主", members=3)


@pytest.fixture
def household_b(users):
    return f.make_household(users["county"], village=f.VILLAGE_B, head_name="乙户主", members=2)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here (no internet)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (starting one takes about ten seconds)."""
    from sunshine.engine.spark import local_session

    session = local_session()
    yield session
    session.stop()


def _transactional(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A transactional test (browser, backup, lock tests) ends with a flush of every table, taking with it the
    rows the reference migrations loaded: the divisions and the province's policy standard. Put them back right
    after the flush, outside any test transaction, so that tests that follow find the database as migrated."""
    result = yield
    # nextitem None: the session's database has just been destroyed, nothing follows to need the rows.
    if _transactional(item) and nextitem is not None:
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        from sunshine.testing.factories import restore_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            restore_reference_data()
            # Closed at once: the connection opened here is not always the one the next test's context finds
            # (after the province smoke one stayed open to the end and kept the test database from being dropped).
            connections.close_all()
    return result


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001, ANN201 - pytest-django's fixture, extended
    """The test database as pytest-django makes it; at the end, before it is dropped, any other session still
    connected to it (PostgreSQL) is named in a warning — the process, thread and test that opened it: the drop
    fails while one is, and pytest's own warning then says only that someone was."""
    yield
    with django_db_blocker.unblock():
        for line in _other_sessions():
            warnings.warn(f"test database still in use at teardown: {line}", stacklevel=1)


_now_running = ["(collection)"]   # the test that new database connections are opened for
_opened_by: dict[int, str] = {}    # backend pid → the stack that opened the connection


def pytest_runtest_setup(item: pytest.Item) -> None:
    _now_running[0] = item.nodeid


@receiver(connection_created)
def _name_the_connection(sender, connection, **kwargs) -> None:  # noqa: ANN001, ANN003 - Django's signal
    """PostgreSQL sessions carry the process, thread and test that opened them (pg_stat_activity), and where
    each was opened is remembered for the teardown warning."""
    if connection.vendor != "postgresql":
        return
    thread = threading.current_thread()
    prefix = f"{os.getpid()} {thread.name} "
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('application_name', %s, false), pg_backend_pid()",
                       [prefix + _now_running[0][-max(0, 63 - len(prefix)):]])
        pid = cursor.fetchone()[1]
    _opened_by[pid] = "".join(traceback.format_stack(limit=25)[:-1])


def _other_sessions() -> list[str]:
    from django.db import connections

    lines = []
    for alias in connections:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, backend_start, state, state_change, left(query, 300) "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            lines += [" | ".join(str(v) for v in row) + "\n" + _opened_by.get(row[0], "")
                      for row in cursor.fetchall()]
    return lines
