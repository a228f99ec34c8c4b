"""The background import (django-tasks): an ImportJob's files read, validated and written, its progress
reported as it goes, its outcome and error report stored, its uploaded files deleted afterwards.

Enqueued by the upload page; run by `db_worker` (which `sunshine serve` starts), or inline by the
immediate backend in tests. Small uploads are run inline by the page (``run_job``) without queueing."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.utils import timezone
from django_tasks import task

from sunshine.core import jobs
from sunshine.core.ids import mask_text
from sunshine.registry.models_transfer import ImportJob
from sunshine.registry.transfer.apply import ApplyResult, error_rows
from sunshine.registry.transfer.model import TransferFileError
from sunshine.registry.transfer.pipeline import ImportFiles, Outcome, import_registry, import_villages
from sunshine.registry.transfer.validate import write_errors

logger = logging.getLogger(__name__)
ERRORS_KEPT = 2000  # error rows stored with the job for the page; the downloadable report has them all
COUNT_FIELDS = ("households_created", "households_updated", "households_unchanged", "households_skipped",
                "members_created", "members_updated", "members_deleted", "persons_created", "persons_updated",
                "villages_written", "townships_created", "villages_created")


@task()
def import_task(job_id: int) -> dict[str, Any]:
    return run_job(job_id)


def run_job(job_id: int) -> dict[str, Any]:
    """Run an ImportJob to its end; never raises for bad input (the job records it)."""
    job = ImportJob.objects.select_related("user", "user__division").get(pk=job_id)
    if job.finished:
        return {"status": job.status}
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(),
                                               **jobs.claim())
    job.report_progress(0, "开始")
    try:
        outcome = _run(job)
    except TransferFileError as exc:
        _finish(job, status=ImportJob.Status.FAILED, message=mask_text(str(exc)))
    except PermissionError as exc:
        _finish(job, status=ImportJob.Status.FAILED, message=str(exc))
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _finish(job, status=ImportJob.Status.FAILED, message="导入时发生内部错误,未写入任何数据;请联系管理员")
    else:
        _store(job, outcome)
    finally:
        _remove_uploads(job)
    return {"status": job.status, "error_count": job.error_count}


def _run(job: ImportJob) -> Outcome:
    from django.core.exceptions import PermissionDenied

    def path(value: str) -> Path | None:
        return job.directory / value if value else None

    try:
        if job.kind == ImportJob.Kind.VILLAGES:
            return import_villages(path(job.villages_path), actor=job.user, year=job.year, partial=job.partial,
                                   name=job.villages_name, progress=job.report_progress)
        files = ImportFiles(path(job.households_path), path(job.members_path), path(job.villages_path),
                            names={"households": job.households_name, "members": job.members_name,
                                   "villages": job.villages_name})
        return import_registry(files, actor=job.user, year=job.year, partial=job.partial,
                               progress=job.report_progress)
    except PermissionDenied as exc:
        raise PermissionError(str(exc)) from exc


def _store(job: ImportJob, outcome: Outcome) -> None:
    result: ApplyResult = outcome.result
    if result.errors:
        for suffix in (".csv", ".xlsx"):
            write_errors(result.errors, job.error_report(suffix))
    job.written = result.written
    job.counts = {name: getattr(result, name) for name in COUNT_FIELDS}
    job.error_count = len(result.errors)
    job.errors = [list(r) for r in error_rows(result.errors[:ERRORS_KEPT])]
    job.warnings = [mask_text(w) for w in outcome.warnings[:100]]
    _finish(job, status=ImportJob.Status.DONE, message=result.summary())


def _finish(job: ImportJob, *, status: str, message: str) -> None:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.progress = 100 if status == ImportJob.Status.DONE else job.live_progress().get("percent", 0)
    job.save(update_fields=["status", "message", "finished_at", "progress", "written", "counts", "error_count",
                            "errors", "warnings"])


def _remove_uploads(job: ImportJob) -> None:
    """The uploaded files hold personal data: delete them once read. The error reports stay."""
    for name in (job.households_path, job.members_path, job.villages_path):
        if name:
            (job.directory / name).unlink(missing_ok=True)
    (job.directory / "progress.json").unlink(missing_ok=True)


def delete_job_files(job: ImportJob) -> None:
    shutil.rmtree(job.directory, ignore_errors=True)
