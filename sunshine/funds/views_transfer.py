"""The funds files page (`funds_upload`): upload a file of one kind of funds.md §1 (county managers and
administrators), blank templates, this user's recent uploads; a page per upload with its progress, counts,
errors (ID numbers masked) and error report.

An upload is seen by its creator only (others get 404). Files smaller than settings.SUNSHINE_IMPORT_SYNC_BYTES
are imported within the request; larger ones are queued for the db_worker and the page polls every second."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.core import uploads
from sunshine.core.models import Division, User
from sunshine.core.scope import in_scope
from sunshine.funds.models_transfer import KIND_CHOICES, FundsUpload
from sunshine.funds.transfer.export import template
from sunshine.funds.transfer.resolve import Context, can_import
from sunshine.funds.transfer.tasks import UPLOADS, error_report, import_upload_task, run_upload
from sunshine.registry.transfer.readers import SUFFIXES

ACCEPT = ",".join(sorted(SUFFIXES))


class FundsUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("文件类型"), choices=KIND_CHOICES)
    file = forms.FileField(label=gettext_lazy("文件"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                           help_text=gettext_lazy("Excel、CSV(UTF-8 或 GB18030)或 Parquet 文件,列名可用中文或英文"))
    county = forms.ChoiceField(label=gettext_lazy("所属县"), required=False,
                               help_text=gettext_lazy("行中没有区划代码、也无法由户编号确定县时,归入此县"))
    partial = forms.BooleanField(label=gettext_lazy("只导入无错误的行(有错误的行跳过并计数)"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if Context.of(user).county:
            del self.fields["county"]   # a county user's rows go to the user's county
        else:
            counties = in_scope(Division.objects.filter(level="county"), user, "code")
            self.fields["county"].choices = [("", "—"), *((d.code, d.name) for d in counties.order_by("code"))]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("文件类型应为 Excel(xlsx)、CSV 或 Parquet"))
        return upload


def _require_importer(request: HttpRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied(_("只有县级管理员和系统管理员可以导入资金项目文件"))


PAGES = uploads.UploadPages(job_url="funds_upload_job", errors_url="funds_upload_errors",
                            page="funds/transfer/upload_job.html", status="funds/transfer/upload_status.html",
                            report_name="资金项目文件错误报告")


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = FundsUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = _create(request, form)
        return redirect("funds_upload_job", job_id=job.pk)
    return render(request, "funds/transfer/upload.html", {
        "form": form, "kinds": KIND_CHOICES,
        "uploads": uploads.recent(FundsUpload.objects, request.user, lambda u: u.get_kind_display()),
    })


def _create(request: HttpRequest, form: FundsUploadForm) -> FundsUpload:
    data = form.cleaned_data
    file = data["file"]
    job = FundsUpload.objects.create(user=request.user, kind=data["kind"], partial=bool(data.get("partial")),
                                     county=data.get("county") or "", file_name=Path(file.name).name[:255])
    stored = Path(UPLOADS) / str(job.pk) / f"upload{Path(file.name).suffix.lower()}"
    uploads.save_file(file, Path(settings.DATA_DIR) / stored)
    job.path = stored.as_posix()
    job.save(update_fields=["path"])
    uploads.start(job, size=file.size, run=run_upload, task=import_upload_task)
    return job


@login_required
def upload_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = uploads.own_job(request, FundsUpload.objects, job_id)
    return uploads.status_page(request, job, PAGES, written=job.written, upload=job)


@login_required
def upload_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    job = uploads.own_job(request, FundsUpload.objects, job_id)
    suffix = uploads.report_suffix(request)
    return uploads.error_download(job, error_report(job, suffix), PAGES, suffix)


@login_required
def template_file(request: HttpRequest) -> HttpResponse:
    """A blank template (.xlsx with drop-down lists and 填写说明) of ?kind=…; no data, so any importer may."""
    _require_importer(request)
    kind = request.GET.get("kind", "")
    labels = dict(KIND_CHOICES)
    if kind not in labels:
        raise Http404(_("未知的文件类型"))
    suffix = ".csv" if request.GET.get("format") == "csv" else ".xlsx"
    with tempfile.TemporaryDirectory(prefix="funds-template-") as tmp:
        content = template(kind, Path(tmp) / f"{kind}{suffix}").read_bytes()
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, f"{labels[kind]}导入模板{suffix}")
    return response
