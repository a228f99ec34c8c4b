"""The audit page (/audit/): reads of full personal data, exports, imports and sign-ins, for supervisors
(纪检监察、审计) and administrators, over the accounts of their own division; its export (itself written to the
log) and the integrity check of the hash chain."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access
from sunshine.core.auditlog import checkpoint, export
from sunshine.core.auditlog.forms import AuditFilterForm
from sunshine.core.auditlog.labels import object_type_label
from sunshine.core.auditlog.selectors import filter_log, head_seq, may_audit, visible_log
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.core.models import User

PAGE_SIZE = 50


def _auditor(request: HttpRequest) -> User:
    if not may_audit(request.user):
        raise PermissionDenied(_("只有监督(纪检监察、审计)和系统管理员可以查看访问日志"))
    return request.user


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    reader = _auditor(request)
    form = AuditFilterForm(request.GET or None, reader=reader)
    rows = filter_log(visible_log(reader), form.to_filter())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.object_type_label = object_type_label(row.object_type)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit/log.html", {
        "form": form, "page": page, "query": query.urlencode(), "status": checkpoint.load(),
    })


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    reader = _auditor(request)
    kind = request.GET.get("format", "csv")
    if kind not in export.FORMATS:
        kind = "csv"
    form = AuditFilterForm(request.GET or None, reader=reader)
    # The rows as they are now: the export's own log row (written next) is not part of it.
    rows = filter_log(visible_log(reader), form.to_filter()).filter(seq__lte=head_seq())
    count = rows.count()
    query = request.GET.copy()
    query.pop("format", None)
    # Logged before the file is made: an export that fails half-way is still in the log.
    log_access(user=reader, action=AccessAction.EXPORT, object_type="access_log", object_ref=kind,
               detail=f"{count} 行 {mask_text(query.urlencode())}", request=request)
    name = f"access-log-{timezone.localdate():%Y%m%d}.{kind}"
    stream = rows.iterator(chunk_size=export.CHUNK)
    if kind == "csv":
        response = StreamingHttpResponse(export.csv_lines(reader, stream), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # xlsxwriter needs a file; a temporary one, removed when the response is closed.
    spool = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 — closed by FileResponse
    export.write_xlsx(reader, stream, spool.name)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    _auditor(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    verdict = checkpoint.verify_and_record()
    if verdict.ok:
        messages.success(request, _("访问日志完整:共 %(n)s 条,未发现删除、修改或插入。") % {"n": verdict.rows})
    else:
        messages.error(request, _("访问日志被篡改:%(problem)s") % {"problem": verdict.problem})
    return redirect("audit_log")
