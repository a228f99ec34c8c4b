"""Escalating overdue items one administrative level up (policy-rules.md §5, services.md §4): the one rule that
monitoring warnings and 12317 grievances share.

An item still open after its deadline (deadline < today) is due one level up; one still open more than one
further period after the deadline is due two levels up. With a period of 15 days an item due on day 15 is one
level up from day 16 and two levels up from day 31. Levels are counted in steps (0 = where it is, 1, 2) so that
each app maps them to its own names (warnings: village → township → county; grievances: the handling division's
parents).

Idempotent by construction: ``moves`` only ever proposes moving an item up, never down or sideways, so running
twice on one day moves nothing the second time; catching up after days without a run goes straight to the level
due. The clock is always passed in (``today``) so that tests and catch-up runs control it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)

MAX_STEPS = 2  # at most two levels above the item's own (village → township → county)
BATCH = 1000


def steps_due(deadline: dt.date, today: dt.date, period_days: int) -> int:
    """How many levels up an item open on ``today`` with that deadline should be (0, 1 or 2)."""
    overdue = (today - deadline).days
    if overdue > period_days:
        return 2
    if overdue > 0:
        return 1
    return 0


def moves(rows: Iterable[tuple[K, dt.date, int, int]], today: dt.date) -> dict[int, list[tuple[K, dt.date, int]]]:
    """Which items move up: ``rows`` are (key, deadline, current steps, period days); the answer maps each target
    step to the (key, deadline, current steps) of the items to move there. Only moves up."""
    out: dict[int, list[tuple[K, dt.date, int]]] = {}
    for key, deadline, current, period in rows:
        target = min(MAX_STEPS, steps_due(deadline, today, period))
        if target > current:
            out.setdefault(target, []).append((key, deadline, current))
    return out


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    """Updates in slices, so that an ``IN`` list stays well under the database's parameter limit."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
