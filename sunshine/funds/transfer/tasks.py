"""The background import of a FundsUpload (django-tasks): the uploaded file imported with import_file, its
progress written to the upload row as it goes, the outcome and the error report stored, the uploaded file
deleted afterwards (it holds personal data; the error report masks ID numbers).

Enqueued by the upload page; run by `db_worker` (which `sunshine serve` starts), or inline by the page for a
small file (``run_upload``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tasks import task

from sunshine.comparison.choices import JobStatus
from sunshine.core import jobs
from sunshine.core.ids import mask_text
from sunshine.funds.models_transfer import FundsUpload
from sunshine.funds.transfer.pipeline import ImportOutcome, import_file
from sunshine.registry.transfer.apply import error_rows
from sunshine.registry.transfer.model import TransferFileError
from sunshine.registry.transfer.validate import write_errors

logger = logging.getLogger(__name__)
UPLOADS = "funds_uploads"
ERRORS_KEPT = 2000  # error rows stored with the upload for its page; the downloadable report has them all
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


def upload_dir(upload: FundsUpload) -> Path:
    return Path(settings.DATA_DIR) / UPLOADS / str(upload.pk)


def error_report(upload: FundsUpload, suffix: str) -> Path:
    return upload_dir(upload) / f"errors{suffix}"


@task()
def import_upload_task(upload_id: int) -> dict[str, Any]:
    return run_upload(upload_id)


def run_upload(upload_id: int) -> dict[str, Any]:
    """Run a FundsUpload to its end; never raises for bad input (the upload records it)."""
    upload = FundsUpload.objects.select_related("user", "user__division").get(pk=upload_id)
    if upload.status in FINISHED:
        return {"status": upload.status}
    FundsUpload.objects.filter(pk=upload.pk).update(status=JobStatus.RUNNING, progress=0, message="",
                                                    **jobs.claim())

    def progress(percent: int, stage: str) -> None:
        FundsUpload.objects.filter(pk=upload.pk).update(progress=max(0, min(100, percent)), message=stage)

    try:
        outcome = import_file(upload.kind, Path(settings.DATA_DIR) / upload.path, actor=upload.user,
                              partial=upload.partial, county=upload.county or None, display_name=upload.file_name,
                              progress=progress)
    except TransferFileError as exc:
        _finish(upload, JobStatus.FAILED, mask_text(str(exc)))
    except PermissionDenied as exc:
        _finish(upload, JobStatus.FAILED, str(exc))
    except Exception:
        logger.exception("funds upload %s failed", upload.pk)
        _finish(upload, JobStatus.FAILED, "导入时发生内部错误,未导入任何数据;请联系管理员")
    else:
        _store(upload, outcome)
    finally:
        if upload.path:
            (Path(settings.DATA_DIR) / upload.path).unlink(missing_ok=True)
    return {"status": upload.status, "error_count": upload.error_count}


def _store(upload: FundsUpload, outcome: ImportOutcome) -> None:
    if outcome.errors:
        upload_dir(upload).mkdir(parents=True, exist_ok=True)
        for suffix in (".csv", ".xlsx"):
            write_errors(outcome.errors, error_report(upload, suffix))
    upload.written = outcome.written
    upload.counts = outcome.counts()
    upload.error_count = len(outcome.errors)
    upload.errors = [list(r) for r in error_rows(outcome.errors[:ERRORS_KEPT])]
    _finish(upload, JobStatus.DONE, "\n".join([outcome.summary(), *(mask_text(w) for w in outcome.warnings[:20])]))


def _finish(upload: FundsUpload, status: str, message: str) -> None:
    upload.status = status
    upload.message = message
    upload.finished_at = timezone.now()
    upload.progress = 100
    upload.save(update_fields=["status", "message", "finished_at", "progress", "written", "counts", "error_count",
                               "errors"])
