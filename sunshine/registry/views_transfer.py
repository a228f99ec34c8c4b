"""Import and export pages: upload registry files (run in the background with progress), the job page
with its result and error table, exports of a filtered household list or a whole year, and templates.

Imports: only roles that may edit the registry; a job is seen by its creator only (others get 404).
Uploads smaller than settings.SUNSHINE_IMPORT_SYNC_BYTES (2 MB) are imported within the request; larger
ones are queued for the db_worker (django-tasks) and the job page polls the progress every second.

Exports: scoped to the reader's division; roles that may not see full personal data get masked files
(ID numbers 320321********123X, phones masked, birth dates empty) which cannot be imported again. Every
export is written to the access log."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from sunshine.core import uploads as core_uploads
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.core.scope import in_scope
from sunshine.core.views import year_from
from sunshine.registry import choices as c
from sunshine.registry import selectors
from sunshine.registry.models import HouseholdYear, MemberYear, VillageYear
from sunshine.registry.models_transfer import ImportJob
from sunshine.registry.transfer import export as exporter
from sunshine.registry.transfer.columns import TABLES
from sunshine.registry.transfer.readers import SUFFIXES
from sunshine.registry.transfer.tasks import import_task, run_job

EXPORT_FORMATS = ("xlsx", "csv", "parquet")
RECENT_JOBS = 10
PAGES = core_uploads.UploadPages(job_url="transfer_job", errors_url="transfer_job_errors",
                                 page="registry/transfer/job.html", status="registry/transfer/_job_status.html",
                                 report_name="导入错误报告", dom_id="job",
                                 skipped=gettext_lazy("有错误的农户已整户跳过"),
                                 nothing_written=gettext_lazy("未写入任何数据"))


class ImportForm(forms.Form):
    households = forms.FileField(label=_("户信息文件"), required=False)
    members = forms.FileField(label=_("成员信息文件"), required=False)
    villages = forms.FileField(label=_("村信息文件"), required=False,
                               help_text=_("可选:引入新村(及其乡镇)或更新村年度信息;也可单独上传"))
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100,
                              help_text=_("填写后只接受该年度的行"))
    partial = forms.BooleanField(label=_("只导入无错误的农户(有错误的户整户跳过)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("households", "members", "villages"):
            upload = data.get(name)
            if upload and Path(upload.name).suffix.lower() not in SUFFIXES:
                self.add_error(name, _("文件类型应为 .xlsx、.csv 或 .parquet"))
        has_h, has_m = bool(data.get("households")), bool(data.get("members"))
        if has_h != has_m:
            self.add_error("members" if has_h else "households", _("户信息和成员信息文件需同时上传"))
        elif not has_h and not data.get("villages"):
            raise forms.ValidationError(_("请选择要导入的文件"))
        return data


def _require_editor(request: HttpRequest) -> None:
    if not request.user.can_edit_registry:
        raise PermissionDenied(_("您的角色不能导入建档立卡数据"))


@login_required
def transfer_index(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _require_editor(request)
        if form.is_valid():
            job = _create_job(request, form)
            return redirect("transfer_job", job_id=job.pk)
    year = year_from(request)
    return render(request, "registry/transfer/index.html", {
        "form": form, "can_import": request.user.can_edit_registry,
        "jobs": ImportJob.objects.filter(user=request.user)[:RECENT_JOBS],
        "year": year, "years": range(year - 3, year + 2), "formats": EXPORT_FORMATS,
        "masked": not request.user.can_see_full_personal_data, "tables": TABLES.values(),
        "statuses": c.HouseholdStatus.choices, "types": c.HouseholdType.choices, "causes": c.MainCause.choices,
    })


def _create_job(request: HttpRequest, form: ImportForm) -> ImportJob:
    data = form.cleaned_data
    uploads = {name: data[name] for name in ("households", "members", "villages") if data.get(name)}
    job = ImportJob.objects.create(
        user=request.user, year=data.get("year"), partial=bool(data.get("partial")),
        kind=ImportJob.Kind.REGISTRY if "households" in uploads else ImportJob.Kind.VILLAGES,
        **{f"{name}_name": Path(upload.name).name[:200] for name, upload in uploads.items()},
    )
    for name, upload in uploads.items():
        stored = f"{name}{Path(upload.name).suffix.lower()}"
        core_uploads.save_file(upload, job.directory / stored)
        setattr(job, f"{name}_path", stored)
    job.save(update_fields=["households_path", "members_path", "villages_path"])
    core_uploads.start(job, size=sum(u.size for u in uploads.values()), run=run_job, task=import_task)
    return job


@login_required
def transfer_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = core_uploads.own_job(request, ImportJob.objects, job_id)
    errors = job.errors[:core_uploads.SHOWN_ERRORS]
    linked = selectors.visible_household_numbers(reader=request.user, numbers={str(e[4]) for e in errors})
    return core_uploads.status_page(request, job, PAGES, written=job.written, live=job.live_progress,
                                    linked=linked, counts=_count_rows(job))


def _count_rows(job: ImportJob) -> list[tuple[str, int]]:
    labels = [("households_created", _("新增农户")), ("households_updated", _("更新农户")),
              ("households_unchanged", _("未变农户")), ("households_skipped", _("跳过的农户")),
              ("members_created", _("新增成员")), ("members_updated", _("更新成员")),
              ("members_deleted", _("移除成员")), ("villages_written", _("村年度信息")),
              ("villages_created", _("新建村")), ("townships_created", _("新建乡镇"))]
    return [(label, job.counts.get(key, 0)) for key, label in labels if key in job.counts]


@login_required
def transfer_job_errors(request: HttpRequest, job_id: int) -> HttpResponse:
    job = core_uploads.own_job(request, ImportJob.objects, job_id)
    suffix = core_uploads.report_suffix(request)
    return core_uploads.error_download(job, job.error_report(suffix), PAGES, suffix)


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        raise Http404(_("不支持的导出格式"))
    return fmt


def _download(content: bytes, filename: str, content_type: str = "application/octet-stream") -> HttpResponse:
    # A plain response, not a streamed one: a county's zip is a few tens of MB, and every page test
    # (tests/test_scope.py) can read it like any other response.
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _zip_response(files: dict[str, Path], filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in files.values():
            z.write(path, path.name)
    return _download(buffer.getvalue(), filename, "application/zip")


@login_required
@require_GET
def export_households(request: HttpRequest) -> HttpResponse:
    """The household list with the list page's filters: households and their members, in one zip."""
    fmt = _format(request)
    year = year_from(request)
    filters = selectors.HouseholdFilter(
        year=year, division=request.GET.get("division") or None, status=request.GET.get("status") or None,
        household_type=request.GET.get("household_type") or None,
        main_cause=request.GET.get("main_cause") or None, q=request.GET.get("q") or None,
    )
    household_years = selectors.household_years(reader=request.user, filters=filters)
    members = MemberYear.objects.filter(household_year_id__in=household_years.values("id"))
    unmasked = request.user.can_see_full_personal_data
    with tempfile.TemporaryDirectory(prefix="sunshine-export-") as tmp:
        files = {"households": Path(tmp) / f"households.{fmt}", "members": Path(tmp) / f"members.{fmt}"}
        n = exporter.export_households(household_years, files["households"], unmasked=unmasked)
        exporter.export_members(members, files["members"], unmasked=unmasked)
        _log_export(request, "household_list", str(year), f"{n} 户 {fmt}", unmasked)
        suffix = "" if unmasked else "-脱敏"
        return _zip_response(files, f"农户名单-{year}{suffix}.zip")


@login_required
@require_GET
def export_year(request: HttpRequest) -> HttpResponse:
    """A whole year within the reader's scope (optionally one division of it): villages, households, members."""
    fmt = _format(request)
    year = year_from(request)
    prefix = request.user.scope_prefix
    if prefix is None:
        raise PermissionDenied(_("您的账号未设置所属区划"))
    division = (request.GET.get("division") or "").strip()
    if division:
        from sunshine.core.scope import get_visible_division

        prefix = get_visible_division(request.user, division).prefix
    reader, unmasked = request.user, request.user.can_see_full_personal_data
    with tempfile.TemporaryDirectory(prefix="sunshine-export-") as tmp:
        files = {name: Path(tmp) / f"{name}.{fmt}" for name in TABLES}
        exporter.export_villages(in_scope(VillageYear.objects.filter(year=year, village__code__startswith=prefix),
                                          reader, "village__code"), files["villages"])
        n = exporter.export_households(
            in_scope(HouseholdYear.objects.filter(year=year, household__village__code__startswith=prefix), reader,
                     "household__village__code"), files["households"], unmasked=unmasked)
        exporter.export_members(
            in_scope(MemberYear.objects.filter(year=year, household_year__household__village__code__startswith=prefix),
                     reader, "household_year__household__village__code"), files["members"], unmasked=unmasked)
        _log_export(request, "registry_year", f"{year} {division}".strip(), f"{n} 户 {fmt}", unmasked)
        suffix = "" if unmasked else "-脱敏"
        return _zip_response(files, f"建档立卡-{year}-{division or prefix}{suffix}.zip")


def _log_export(request: HttpRequest, object_type: str, ref: str, what: str, unmasked: bool) -> None:
    detail = f"{what} {'完整' if unmasked else '脱敏'} {mask_text(request.GET.urlencode())}"
    log_access(user=request.user, action=AccessAction.EXPORT, object_type=object_type, object_ref=ref,
               detail=detail, request=request)


@login_required
@require_GET
def export_template(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "households")
    if kind not in TABLES:
        raise Http404(_("没有这种模板"))
    suffix = ".csv" if request.GET.get("format") == "csv" else ".xlsx"
    with tempfile.TemporaryDirectory(prefix="sunshine-template-") as tmp:
        path = exporter.write_template(kind, Path(tmp) / f"{kind}{suffix}")
        content = path.read_bytes()
    return _download(content, f"{TABLES[kind].title}模板{suffix}")
