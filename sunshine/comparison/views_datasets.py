"""The department datasets page: the 13 datasets with their latest load and every version, the upload form
(roles that may load), and a page per upload with its progress, errors (ID numbers masked) and error report.

The list is for every user with a role; an upload is seen by its creator only (others get 404). Uploads
smaller than settings.SUNSHINE_IMPORT_SYNC_BYTES are loaded within the request; larger ones are queued for
the db_worker (django-tasks) and the upload page polls every second."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sunshine.comparison.datasets import can_load_datasets
from sunshine.comparison.forms_datasets import DatasetUploadForm
from sunshine.comparison.models import DatasetLoad, DatasetUpload
from sunshine.comparison.tasks_datasets import FINISHED, UPLOADS, error_report, load_upload_task, run_upload
from sunshine.core import jobs
from sunshine.engine.comparison.datasets import DATASETS

RECENT_UPLOADS = 10
SHOWN_ERRORS = 500


def _require_role(request: HttpRequest) -> None:
    if not request.user.role_set:
        raise PermissionDenied(_("您的账号还没有分配角色"))


@login_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    allowed = can_load_datasets(request.user)
    form = DatasetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("您的角色不能导入部门数据"))
        if form.is_valid():
            upload = _create_upload(request, form)
            return redirect("comparison_dataset_upload", job_id=upload.pk)
    return render(request, "comparison/dataset_list.html", {
        "datasets": _datasets(), "form": form, "can_load": allowed,
        "uploads": DatasetUpload.objects.filter(user=request.user)[:RECENT_UPLOADS],
    })


def _datasets() -> list[dict[str, Any]]:
    """Each dataset with its loads, newest first."""
    versions: dict[str, list[DatasetLoad]] = defaultdict(list)
    for load in DatasetLoad.objects.select_related("loaded_by").order_by("dataset", "-version"):
        versions[load.dataset].append(load)
    return [{"name": name, "label": d.label, "department": d.department, "latest": (versions[name] or [None])[0],
             "versions": versions[name]} for name, d in DATASETS.items()]


def _create_upload(request: HttpRequest, form: DatasetUploadForm) -> DatasetUpload:
    data = form.cleaned_data
    file = data["file"]
    upload = DatasetUpload.objects.create(
        user=request.user, dataset=data["dataset"], as_of=data.get("as_of"), partial=bool(data.get("partial")),
        file_name=Path(file.name).name[:255],
    )
    stored = Path(UPLOADS) / str(upload.pk) / f"upload{Path(file.name).suffix.lower()}"
    target = Path(settings.DATA_DIR) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for piece in file.chunks():
            out.write(piece)
    upload.path = stored.as_posix()
    upload.save(update_fields=["path"])
    if file.size < settings.SUNSHINE_IMPORT_SYNC_BYTES:
        run_upload(upload.pk)
    else:
        result = load_upload_task.enqueue(upload.pk)
        DatasetUpload.objects.filter(pk=upload.pk).update(task_id=str(result.id)[:64])
    return upload


def _own_upload(request: HttpRequest, job_id: int) -> DatasetUpload:
    """The upload if the reader created it (404 otherwise, whatever the method); the pages are read-only."""
    upload = get_object_or_404(DatasetUpload.objects.select_related("load"), pk=job_id, user=request.user)
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied(_("只能查看"))
    return upload


@login_required
def dataset_upload(request: HttpRequest, job_id: int) -> HttpResponse:
    upload = _own_upload(request, job_id)
    jobs.recover_job(upload)  # a web worker killed while loading inline leaves no one else to mark it failed
    context = {"upload": upload, "finished": upload.status in FINISHED, "errors": upload.errors[:SHOWN_ERRORS],
               "label": DATASETS[upload.dataset].label}
    template = "comparison/dataset_upload_status.html" if request.htmx else "comparison/dataset_upload.html"
    return render(request, template, context)


@login_required
def dataset_upload_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    upload = _own_upload(request, job_id)
    suffix = ".xlsx" if request.GET.get("format") == "xlsx" else ".csv"
    path = error_report(upload, suffix)
    if not path.is_file():
        raise Http404(_("没有错误报告"))
    response = HttpResponse(path.read_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, f"部门数据错误报告-{upload.pk}{suffix}")
    return response
