"""The background refresh (django-tasks): after an import, an assessment, a comparison, a monitoring run, a
funds check… the indicators computed from that app's tables are recomputed for the year, off the request.

``request_refresh`` enqueues ``refresh_task`` unless an equivalent refresh is already waiting in the queue: a
county importing twelve files in a row asks for one refresh, not twelve. Only a *waiting* task counts: one
already running may have read the tables before the latest change, so a change during a run queues another.
With the immediate backend (tests) the refresh runs inside ``enqueue``; nothing ever waits, nothing coalesces.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django_tasks import task

from sunshine.dashboard.refresh import refresh, select

logger = logging.getLogger(__name__)

TRIGGER_MAX = 40  # IndicatorRefresh.trigger's length


def _sources(sources: Iterable[str] | None) -> list[str] | None:
    return None if sources is None else sorted(set(sources))


@task()
def refresh_task(year: int, sources: list[str] | None = None) -> dict[str, Any]:
    """Recompute the indicators fed by ``sources`` (None: every indicator) for ``year``."""
    trigger = ("auto:" + ",".join(sources)) if sources is not None else "auto"
    outcome = refresh(year=int(year), sources=sources, trigger=trigger[:TRIGGER_MAX])
    return {"year": outcome.year, "codes": outcome.codes, "rows": outcome.rows, "seconds": round(outcome.seconds, 3)}


def _waiting(year: int, sources: list[str] | None) -> bool:
    """Whether a refresh of ``year`` covering ``sources`` waits in the database queue (django-tasks-db)."""
    backend = refresh_task.get_backend()
    if type(backend).__module__.split(".")[0] != "django_tasks_db":
        return False  # immediate/dummy backends: nothing waits in a table we can read
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().filter(task_path=refresh_task.module_path).values_list("args_kwargs",
                                                                                                 flat=True)
    wanted = set(sources or ())
    for args_kwargs in queued:
        args, kwargs = list(args_kwargs.get("args") or []), dict(args_kwargs.get("kwargs") or {})
        queued_year = kwargs.get("year", args[0] if args else None)
        queued_sources = kwargs.get("sources", args[1] if len(args) > 1 else None)
        if queued_year != year:
            continue
        if queued_sources is None or (sources is not None and wanted <= set(queued_sources)):
            return True
    return False


def request_refresh(*, year: int | None, sources: Iterable[str] | None) -> bool:
    """Queue a refresh of ``year`` (None: the default year) for ``sources``; False when one already waits."""
    year = int(year if year is not None else settings.SUNSHINE_DEFAULT_YEAR)
    chosen = _sources(sources)
    if chosen is not None and not select(sources=chosen):
        return False  # nothing is computed from that app's tables (yet)
    if _waiting(year, chosen):
        return False
    refresh_task.enqueue(year=year, sources=chosen)
    return True
