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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.comparison.datasets import can_load_datasets
from sunshine.comparison.forms_datasets import DatasetUploadForm
from sunshine.comparison.models import DatasetLoad, DatasetUpload
from sunshine.comparison.tasks_datasets import UPLOADS, error_report, load_upload_task, run_upload
from sunshine.core import uploads
from sunshine.engine.comparison.datasets import DATASETS

PAGES = uploads.UploadPages(job_url="comparison_dataset_upload", errors_url="comparison_dataset_upload_errors",
                            page="comparison/dataset_upload.html", status="comparison/dataset_upload_status.html",
                            report_name="部门数据错误报告")


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
        "uploads": uploads.recent(DatasetUpload.objects, request.user, lambda u: u.get_dataset_display()),
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
    uploads.save_file(file, Path(settings.DATA_DIR) / stored)
    upload.path = stored.as_posix()
    upload.save(update_fields=["path"])
    uploads.start(upload, size=file.size, run=run_upload, task=load_upload_task)
    return upload


@login_required
def dataset_upload(request: HttpRequest, job_id: int) -> HttpResponse:
    upload = uploads.own_job(request, DatasetUpload.objects.select_related("load"), job_id)
    return uploads.status_page(request, upload, PAGES, written=bool(upload.load_id), upload=upload,
                               label=DATASETS[upload.dataset].label)


@login_required
def dataset_upload_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    upload = uploads.own_job(request, DatasetUpload.objects.select_related("load"), job_id)
    suffix = uploads.report_suffix(request)
    return uploads.error_download(upload, error_report(upload, suffix), PAGES, suffix)
