"""The background load of a DatasetUpload (django-tasks): the uploaded file loaded with load_dataset, its
progress written to the upload row as it goes, the outcome and the error report stored, the uploaded file
deleted afterwards (it holds personal data; the error report masks ID numbers).

Enqueued by the upload page; run by `db_worker` (which `sunshine serve` starts), or inline by the immediate
backend in tests. Small uploads are run inline by the page (``run_upload``) without queueing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django_tasks import task

from sunshine.comparison.datasets import LoadOutcome, load_dataset
from sunshine.comparison.models import DatasetUpload
from sunshine.core import uploads

UPLOADS = "dataset_uploads"
FINISHED = uploads.FINISHED


def upload_dir(upload: DatasetUpload) -> Path:
    return uploads.upload_dir(UPLOADS, upload.pk)


def error_report(upload: DatasetUpload, suffix: str) -> Path:
    return uploads.error_report(upload_dir(upload), suffix)


class _Load(uploads.Runner):
    model = DatasetUpload
    what = "dataset upload"
    result_fields = ("load", "error_count", "errors")

    def work(self, job: DatasetUpload) -> LoadOutcome:
        return load_dataset(job.dataset, Path(settings.DATA_DIR) / job.path, actor=job.user, as_of=job.as_of,
                            partial=job.partial, display_name=job.file_name, progress=self.progress(job))

    def store(self, job: DatasetUpload, outcome: LoadOutcome) -> None:
        uploads.keep_errors(job, outcome.errors, lambda suffix: error_report(job, suffix), outcome.error_count)
        job.load = outcome.load
        self.finish(job, uploads.DONE, uploads.outcome_message(outcome.summary(with_code=False), outcome.warnings))


run_upload = _Load()  # Run a DatasetUpload to its end; never raises for bad input (the upload records it).


@task()
def load_upload_task(upload_id: int) -> dict[str, Any]:
    return run_upload(upload_id)
