"""Running a rule check that is not a comparison (the funds check, the assistance check) as a stored run whose
findings join the one verification workflow: the run row, its frozen files, the engine, the findings raised in
one transaction, and a failed run that keeps nothing. Each check brings its plan, its computation and how its
rows become findings."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.linking import raise_findings
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.runs import snapshot as run_files
from sunshine.core.models import Division, User
from sunshine.core.signals import announce_change
from sunshine.policy.parameters import StandardParameters

logger = logging.getLogger(__name__)
DEFAULT_VERIFICATION_DAYS = StandardParameters().verification_days


class CheckPlan(Protocol):
    year: int
    division: Division
    engine: str
    standard: Any
    parameters: dict[str, Any]
    check_date: dt.date


def execute(*, kind: str, plan: CheckPlan, rules: Sequence[str], actor: User, what: str,
            compute: Callable[[Any, Path], pa.Table],
            candidates: Callable[[pa.Table, Division], list[Finding]], empty: pa.Table,
            today: dt.date | None = None) -> tuple[ComparisonRun, pa.Table]:
    """Store a run of ``kind``, compute it over frozen files, raise its findings; returns the run (done or
    failed) and the engine's rows. ``what`` names the check in the run's messages (资金项目核查, …)."""
    run = ComparisonRun.objects.create(
        kind=kind, year=plan.year, division=plan.division, rules=list(rules), engine=plan.engine,
        standard=plan.standard, standard_version=plan.standard.version,
        parameters={**plan.parameters, "check_date": plan.check_date.isoformat()}, created_by=actor,
        status=JobStatus.RUNNING, started_at=timezone.now())
    run.snapshot_path = run_files.new_directory(run.pk)
    run.save(update_fields=["snapshot_path"])
    clock = time.perf_counter()
    table = empty
    try:
        table = compute(plan, run_files.data_path(run.snapshot_path))
        days = plan.parameters.get("verification_days", DEFAULT_VERIFICATION_DAYS)
        with transaction.atomic():
            counts = raise_findings(run, candidates(table, plan.division), verification_days=days, today=today)
            run.counts = counts
            run.status, run.progress, run.stage = JobStatus.DONE, 100, "完成"
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - clock, 3)
            run.message = f"共 {counts['total']} 条核查发现:新发现 {counts['new']} 条,再次发现 {counts['recurring']} 条"
            run.save(update_fields=["counts", "status", "progress", "stage", "finished_at", "seconds", "message"])
            # Its findings join the comparison app's one workflow: the findings indicators are fed by them.
            announce_change(sender=ComparisonRun, year=plan.year, source="comparison")
    except Exception:
        logger.exception("%s check %s failed", kind, run.pk)
        ComparisonRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, message=f"{what}时发生内部错误,未保存任何核查结果;请联系管理员",
            finished_at=timezone.now(), seconds=round(time.perf_counter() - clock, 3))
    run.refresh_from_db()
    return run, table
