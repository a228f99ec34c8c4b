"""The background comparison run (django-tasks): queued by ``start_run`` / ``rerun``, run by `db_worker`
(which `sunshine serve` starts), or inline by the immediate backend in tests."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from sunshine.comparison.models import ComparisonRun


@task()
def comparison_task(run_id: int) -> dict[str, Any]:
    from sunshine.comparison.runs.services import execute_run

    run = ComparisonRun.objects.filter(pk=run_id).first()
    if run is None:  # deleted while queued
        return {"status": "missing"}
    run = execute_run(run)
    return {"status": run.status, "counts": run.counts}
