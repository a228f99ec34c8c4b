"""The background import of a FundsUpload (django-tasks): the uploaded file imported with import_file, its
progress written to the upload row as it goes, the outcome and the error report stored, the uploaded file
deleted afterwards (it holds personal data; the error report masks ID numbers).

Enqueued by the upload page; run by `db_worker` (which `sunshine serve` starts), or inline by the page for a
small file (``run_upload``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django_tasks import task

from sunshine.core import uploads
from sunshine.funds.models_transfer import FundsUpload
from sunshine.funds.transfer.pipeline import ImportOutcome, import_file

UPLOADS = "funds_uploads"
FINISHED = uploads.FINISHED


def upload_dir(upload: FundsUpload) -> Path:
    return uploads.upload_dir(UPLOADS, upload.pk)


def error_report(upload: FundsUpload, suffix: str) -> Path:
    return uploads.error_report(upload_dir(upload), suffix)


class _Import(uploads.Runner):
    model = FundsUpload
    related = ("user", "user__division")
    what = "funds upload"
    result_fields = ("written", "counts", "error_count", "errors")

    def work(self, job: FundsUpload) -> ImportOutcome:
        return import_file(job.kind, Path(settings.DATA_DIR) / job.path, actor=job.user, partial=job.partial,
                           county=job.county or None, display_name=job.file_name, progress=self.progress(job))

    def store(self, job: FundsUpload, outcome: ImportOutcome) -> None:
        uploads.keep_errors(job, outcome.errors, lambda suffix: error_report(job, suffix))
        job.written = outcome.written
        job.counts = outcome.counts()
        self.finish(job, uploads.DONE, uploads.outcome_message(outcome.summary(), outcome.warnings))


run_upload = _Import()  # Run a FundsUpload to its end; never raises for bad input (the upload records it).


@task()
def import_upload_task(upload_id: int) -> dict[str, Any]:
    return run_upload(upload_id)
