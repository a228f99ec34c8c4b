"""The background import (django-tasks): an ImportJob's files read, validated and written, its progress
reported as it goes, its outcome and error report stored, its uploaded files deleted afterwards.

Enqueued by the upload page; run by `db_worker` (which `sunshine serve` starts), or inline by the
immediate backend in tests. Small uploads are run inline by the page (``run_job``) without queueing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks import task

from sunshine.core import uploads
from sunshine.core.ids import mask_text
from sunshine.registry.models_transfer import ImportJob
from sunshine.registry.transfer.apply import ApplyResult
from sunshine.registry.transfer.pipeline import ImportFiles, Outcome, import_registry, import_villages

COUNT_FIELDS = ("households_created", "households_updated", "households_unchanged", "households_skipped",
                "members_created", "members_updated", "members_deleted", "persons_created", "persons_updated",
                "villages_written", "townships_created", "villages_created")


class _Import(uploads.Runner):
    model = ImportJob
    related = ("user", "user__division")
    what = "import job"
    result_fields = ("written", "counts", "error_count", "errors", "warnings")
    denied = (PermissionDenied, PermissionError)
    internal_error = "导入时发生内部错误,未写入任何数据;请联系管理员"

    def start_fields(self) -> dict[str, Any]:
        return {"started_at": timezone.now()}

    def work(self, job: ImportJob) -> Outcome:
        job.report_progress(0, "开始")

        def path(value: str) -> Path | None:
            return job.directory / value if value else None

        if job.kind == ImportJob.Kind.VILLAGES:
            return import_villages(path(job.villages_path), actor=job.user, year=job.year, partial=job.partial,
                                   name=job.villages_name, progress=job.report_progress)
        files = ImportFiles(path(job.households_path), path(job.members_path), path(job.villages_path),
                            names={"households": job.households_name, "members": job.members_name,
                                   "villages": job.villages_name})
        return import_registry(files, actor=job.user, year=job.year, partial=job.partial,
                               progress=job.report_progress)

    def store(self, job: ImportJob, outcome: Outcome) -> None:
        result: ApplyResult = outcome.result
        uploads.keep_errors(job, result.errors, job.error_report)
        job.written = result.written
        job.counts = {name: getattr(result, name) for name in COUNT_FIELDS}
        job.warnings = [mask_text(w) for w in outcome.warnings[:100]]
        self.finish(job, uploads.DONE, result.summary())

    def failed_progress(self, job: ImportJob) -> int:
        return job.live_progress().get("percent", 0)

    def cleanup(self, job: ImportJob) -> None:
        """The uploaded files hold personal data: delete them once read. The error reports stay."""
        for name in (job.households_path, job.members_path, job.villages_path):
            if name:
                (job.directory / name).unlink(missing_ok=True)
        (job.directory / "progress.json").unlink(missing_ok=True)


run_job = _Import()  # Run an ImportJob to its end; never raises for bad input (the job records it).


@task()
def import_task(job_id: int) -> dict[str, Any]:
    return run_job(job_id)


def delete_job_files(job: ImportJob) -> None:
    shutil.rmtree(job.directory, ignore_errors=True)
