"""The one upload job behind every page that takes a file and imports it (registry files, department datasets,
funds files): the uploaded file saved under DATA_DIR, the job run within the request when small or queued for
the db_worker, the run itself (progress, outcome, error report, the uploaded file deleted once read: it holds
personal data), and the job page (a job is its creator's: others get 404; the page polls until it ends and
marks a job failed whose process died).

Each app keeps what is its own: its job model and form, which import function a job runs (a :class:`Runner`
subclass), who may upload, its URLs, templates and titles (:class:`UploadPages`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.core import jobs
from sunshine.core.ids import mask_text

logger = logging.getLogger(__name__)

DONE, FINISHED = jobs.DONE, jobs.FINISHED
ERRORS_KEPT = 2000  # error rows stored with the job for its page; the downloadable report has them all
SHOWN_ERRORS = 500  # error rows the job page lists
RECENT_UPLOADS = 10  # the user's own uploads listed on the upload page


# --- Submitting ----------------------------------------------------------------------------------------------

def upload_dir(area: str, job_id: int) -> Path:
    """DATA_DIR/<area>/<job id>/: the uploaded file until it is read, then the error reports."""
    return Path(settings.DATA_DIR) / area / str(job_id)


def error_report(directory: Path, suffix: str) -> Path:
    return directory / f"errors{suffix}"


def save_file(upload: UploadedFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for piece in upload.chunks():
            out.write(piece)


def start(job: models.Model, *, size: int, run: Callable[[int], Any], task: Any) -> None:
    """Run ``job`` within the request if its files are small (the user sees the outcome at once), else queue
    ``task`` for the db_worker and remember its id."""
    if size < settings.SUNSHINE_IMPORT_SYNC_BYTES:
        run(job.pk)
    else:
        result = task.enqueue(job.pk)
        type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


# --- Running ---------------------------------------------------------------------------------------------------

class Runner:
    """Runs a job row to its end and never raises for bad input (the job records it). A subclass says which
    model, what to run (``work``) and what of the outcome to keep (``store``)."""

    model: ClassVar[type[models.Model]]
    related: ClassVar[tuple[str, ...]] = ("user",)
    what: ClassVar[str] = "upload"  # for the log
    result_fields: ClassVar[tuple[str, ...]] = ()  # saved with the outcome besides status, message, progress
    denied: ClassVar[tuple[type[BaseException], ...]] = (PermissionDenied,)
    internal_error: ClassVar[str] = "导入时发生内部错误,未导入任何数据;请联系管理员"

    def __call__(self, job_id: int) -> dict[str, Any]:
        from sunshine.registry.transfer.model import TransferFileError  # the readers' error, for every kind

        job: Any = self.model.objects.select_related(*self.related).get(pk=job_id)
        if job.status in FINISHED:
            return {"status": job.status}
        self.model.objects.filter(pk=job.pk).update(status=jobs.RUNNING, **self.start_fields(), **jobs.claim())
        try:
            outcome = self.work(job)
        except TransferFileError as exc:
            self.finish(job, jobs.FAILED, mask_text(str(exc)))
        except self.denied as exc:
            self.finish(job, jobs.FAILED, str(exc))
        except Exception:
            logger.exception("%s %s failed", self.what, job.pk)
            self.finish(job, jobs.FAILED, self.internal_error)
        else:
            self.store(job, outcome)
        finally:
            self.cleanup(job)
        return {"status": job.status, "error_count": job.error_count}

    def start_fields(self) -> dict[str, Any]:
        return {"progress": 0, "message": ""}

    def work(self, job: Any) -> Any:
        raise NotImplementedError

    def store(self, job: Any, outcome: Any) -> None:
        raise NotImplementedError

    def progress(self, job: Any) -> Callable[[int, str], None]:
        """A progress callback writing to the job's row: an update of that row only (the import holds no
        transaction open while it reads and checks)."""
        def report(percent: int, stage: str) -> None:
            self.model.objects.filter(pk=job.pk).update(progress=max(0, min(100, percent)), message=stage)
        return report

    def failed_progress(self, job: Any) -> int:
        return 100

    def finish(self, job: Any, status: str, message: str) -> None:
        job.status = status
        job.message = message
        job.finished_at = timezone.now()
        job.progress = 100 if status == DONE else self.failed_progress(job)
        job.save(update_fields=["status", "message", "finished_at", "progress", *self.result_fields])

    def cleanup(self, job: Any) -> None:
        """The uploaded file holds personal data: delete it once read. The error reports stay."""
        if job.path:
            (Path(settings.DATA_DIR) / job.path).unlink(missing_ok=True)


def keep_errors(job: Any, errors: Sequence[Any], report: Callable[[str], Path], count: int | None = None) -> None:
    """Write the error reports (.csv and .xlsx, ID numbers masked) and keep the first rows with the job."""
    from sunshine.registry.transfer.apply import error_rows
    from sunshine.registry.transfer.validate import write_errors

    if errors:
        for suffix in (".csv", ".xlsx"):
            path = report(suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_errors(errors, path)
    job.error_count = len(errors) if count is None else count
    job.errors = [list(r) for r in error_rows(errors[:ERRORS_KEPT])]


def outcome_message(summary: str, warnings: Iterable[str], limit: int = 20) -> str:
    return "\n".join([summary, *(mask_text(w) for w in list(warnings)[:limit])])


# --- Pages -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UploadPages:
    """What differs between the apps' job pages."""

    job_url: str  # URL name of the job page (the status part polls it)
    errors_url: str  # URL name of the error report download
    page: str  # template of the whole page
    status: str  # template of the status part (extends core/_upload_status.html)
    report_name: str  # the report downloads as "<report_name>-<id>.xlsx"
    dom_id: str = "upload"  # the part is #<dom_id>-status, its message [data-testid=<dom_id>-message]
    skipped: str | Promise = gettext_lazy("有错误的行已跳过")
    nothing_written: str | Promise = gettext_lazy("未导入任何数据")


def own_job(request: HttpRequest, queryset: Any, job_id: int) -> Any:
    """The job if the reader created it (404 otherwise, whatever the method); the pages are read-only."""
    job = get_object_or_404(queryset, pk=job_id, user=request.user)
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied(_("只能查看"))
    return job


def recent(queryset: Any, user: Any, kind: Callable[[Any], str]) -> list[dict[str, Any]]:
    """The user's latest uploads for the upload page's list (core/_upload_list.html)."""
    return [{"pk": u.pk, "created_at": u.created_at, "kind": kind(u), "file_name": u.file_name,
             "status": u.get_status_display()} for u in queryset.filter(user=user)[:RECENT_UPLOADS]]


def status_page(request: HttpRequest, job: Any, pages: UploadPages, *, written: bool,
                live: Callable[[], dict[str, Any]] | None = None, **extra: Any) -> HttpResponse:
    """The job page, or its status part alone for the page's polling (htmx)."""
    jobs.recover_job(job)  # a web worker killed while importing inline leaves no one else to mark it failed
    context = {
        "job": job, "pages": pages, "finished": job.finished, "written": written,
        "errors": job.errors[:SHOWN_ERRORS],
        "live": live() if live is not None else {"percent": job.progress, "stage": job.message},
        **extra,
    }
    return render(request, pages.status if request.htmx else pages.page, context)


def error_download(job: Any, path: Path, pages: UploadPages, suffix: str) -> HttpResponse:
    if not path.is_file():
        raise Http404(_("没有错误报告"))
    response = HttpResponse(path.read_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, f"{pages.report_name}-{job.pk}{suffix}")
    return response


def report_suffix(request: HttpRequest) -> str:
    return ".xlsx" if request.GET.get("format") == "xlsx" else ".csv"
