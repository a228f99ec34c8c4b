"""prepared_ahead: map() computed ahead in a thread with its own database connection."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from django.db import connection

from sunshine.core import ahead
from sunshine.core.ahead import prepared_ahead
from sunshine.core.models import Division


def _threads() -> int:
    return sum(t.name == "prepared-ahead" for t in threading.enumerate())


def test_results_come_in_order_and_are_computed_ahead() -> None:
    started: list[int] = []

    def prepare(n: int) -> int:
        started.append(n)
        return n * n

    out = prepared_ahead(prepare, range(5))
    assert next(out) == 0
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:   # the next item is prepared while we hold this one
        time.sleep(0.01)
    assert started[:2] == [0, 1]
    assert list(out) == [1, 4, 9, 16]
    assert _threads() == 0


def test_an_error_in_prepare_is_raised_at_its_item() -> None:
    def prepare(n: int) -> int:
        if n == 2:
            raise ValueError("第三项出错")
        return n

    got = []
    with pytest.raises(ValueError, match="第三项出错"):
        for value in prepared_ahead(prepare, range(5)):
            got.append(value)
    assert got == [0, 1] and _threads() == 0


def test_leaving_the_loop_early_stops_the_thread() -> None:
    prepared: list[int] = []

    def prepare(n: int) -> int:
        prepared.append(n)
        return n

    with pytest.raises(RuntimeError):
        for value in prepared_ahead(prepare, range(1000)):
            if value == 3:
                raise RuntimeError("写入失败")
    assert _threads() == 0 and len(prepared) <= 6   # at most the items already queued or being prepared


@pytest.mark.django_db(transaction=True)
def test_the_thread_reads_on_a_connection_of_its_own_and_closes_it() -> None:
    """The thread's queries run on a second connection, which sees what is committed, not the caller's open
    transaction (apply.may_prepare_ahead relies on both), and is closed when the thread ends."""
    from django.db import transaction

    if connection.vendor != "postgresql":
        pytest.skip("a second connection beside an open write transaction: PostgreSQL only (the importer's rule)")
    committed = Division.objects.count()
    seen: list[int] = []

    def prepare(_: int) -> int:
        from django.db import connection as own  # the thread's (connections are per thread)

        seen.append(Division.objects.count())
        with own.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            return cur.fetchone()[0]

    with transaction.atomic():
        Division.objects.create(code="329999999999", name="测试村", level="village", parent_id=None)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            mine = cur.fetchone()[0]
        pids = list(prepared_ahead(prepare, range(2)))
        assert Division.objects.count() == committed + 1
        transaction.set_rollback(True)
    assert seen == [committed, committed]   # not the caller's uncommitted row
    assert len(set(pids)) == 1 and pids[0] != mine
    deadline = time.monotonic() + 10   # the server ends a backend a moment after its client has closed it
    with connection.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pids[0]])
            if cur.fetchone()[0] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pids[0]])
        assert cur.fetchone()[0] == 0


def test_the_switch_interval_is_short_while_any_load_prepares_ahead_and_put_back_after() -> None:
    """The caller's COPY waits for the interpreter at most SWITCH_INTERVAL while the thread computes; the interval
    is the process's, so it is put back when the last of two overlapping loads ends, however each ends."""
    before = sys.getswitchinterval()
    first = prepared_ahead(lambda n: n, range(3))
    assert next(first) == 0 and sys.getswitchinterval() == ahead.SWITCH_INTERVAL != before
    second = prepared_ahead(lambda n: n, range(3))
    assert next(second) == 0
    assert list(first) == [1, 2]
    assert sys.getswitchinterval() == ahead.SWITCH_INTERVAL          # the second is still preparing
    second.close()                                                   # left early
    assert sys.getswitchinterval() == before

    def failing(n: int) -> int:
        raise ValueError("出错")

    with pytest.raises(ValueError, match="出错"):
        list(prepared_ahead(failing, range(3)))
    assert sys.getswitchinterval() == before and _threads() == 0
