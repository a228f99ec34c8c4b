"""Policy library pages. Public (no login, PUBLIC_ROUTES): the search with filters and the latest documents,
a document's page, its original file. Staff (login): the same search, a document's page with its status change
and "上传新版本", the upload form. Everyone may read (documents are public and belong to no division); writes need
one of services.ROLES_THAT_WRITE — the views answer 403 otherwise, and the services check again."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sunshine.core import ratelimit
from sunshine.core.ids import mask_text
from sunshine.library import search, services
from sunshine.library.forms import SearchForm, StatusForm, UploadForm
from sunshine.library.models import PolicyDocument

PAGE_SIZE = 20
MINUTE = dt.timedelta(minutes=1)


def _search_context(request: HttpRequest) -> dict[str, Any]:
    """The search box, filters and one page of results (or, without a query, the latest documents)."""
    form = SearchForm(request.GET or None)
    filters = form.filters()
    query = form.query()
    number = request.GET.get("page", "1")
    number = int(number) if number.isdigit() and 0 < int(number) < 10_000 else 1
    params = request.GET.copy()
    params.pop("page", None)
    context: dict[str, Any] = {"form": form, "q": query, "query": params.urlencode()}
    if query.strip():
        results = search.search(query, filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        pages = Paginator(range(results.total), PAGE_SIZE)
        context.update(results=results, hits=results.hits, total=results.total,
                       page=pages.get_page(number) if results.total else None)
    else:
        page = Paginator(filters.apply(PolicyDocument.objects.all()), PAGE_SIZE).get_page(number)
        context.update(results=None, latest=page.object_list, total=page.paginator.count, page=page)
    return context


def _limited(request: HttpRequest) -> HttpResponse:
    return render(request, "public_limited.html", {
        "message": _("检索过于频繁,请稍后再试。"), "back_url": reverse("public_policies"),
        "back_label": _("返回政策文件库"), "office": settings.SUNSHINE_NOTICE_OFFICE or _("县扶贫开发领导小组办公室"),
        "phone": settings.SUNSHINE_NOTICE_PHONE}, status=429)


@require_http_methods(["GET", "HEAD"])
def public_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("q", "").strip():
        limit = ratelimit.Limit("policy_search", ratelimit.client_address(request),
                                settings.SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE, MINUTE, _("检索过于频繁,请稍后再试。"))
        try:
            ratelimit.check_and_hit([limit])
        except ratelimit.RateLimited:
            return _limited(request)
    return render(request, "library/public_list.html", _search_context(request))


def _document(id: int) -> PolicyDocument:  # noqa: A002 - the URL parameter's name
    return get_object_or_404(PolicyDocument.objects.select_related("supersedes", "created_by"), pk=id)


def _versions(document: PolicyDocument) -> dict[str, PolicyDocument | None]:
    return {"previous": document.supersedes,
            "next": PolicyDocument.objects.filter(supersedes=document).only("pk", "title", "issued").first()}


@require_http_methods(["GET", "HEAD"])
def public_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    document = _document(id)
    return render(request, "library/public_detail.html", {"doc": document, "body": mask_text(document.body),
                                                          **_versions(document)})


@require_http_methods(["GET", "HEAD"])
def public_file(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """The uploaded original, always as a download: an uploaded HTML page is never shown as one of ours."""
    document = _document(id)
    if not document.attachment:
        raise Http404(_("该文件没有原始文件"))
    try:
        handle = document.attachment.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("原始文件已不存在")) from exc
    name = document.source_name or PurePath(document.attachment.name).name
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/octet-stream")


@login_required
@require_http_methods(["GET", "HEAD"])
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "library/staff_list.html", {**_search_context(request),
                                                       "may_write": services.can_write(request.user)})


def _require_writer(request: HttpRequest) -> None:
    if not services.can_write(request.user):
        raise PermissionDenied(_("只有县级扶贫办管理员、省级分析人员和系统管理员可以维护政策文件"))


def _upload_fields(form: UploadForm) -> dict[str, Any]:
    data = form.cleaned_data
    upload = data.get("file")
    return {"title": data["title"], "document_no": data["document_no"], "issuer": data["issuer"],
            "level": data["level"], "issued": data["issued"], "effective": data["effective"], "tags": data["tags"],
            "body": data["body"],
            "upload": services.Upload(upload.name, upload.read()) if upload is not None else None}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_upload(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.add_document(actor=request.user, **_upload_fields(form))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("政策文件已入库,可以检索"))
            return redirect("library_detail", id=document.pk)
    return render(request, "library/upload.html", {"form": form, "previous": None},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_version(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    previous = _document(id)
    _require_writer(request)
    initial = {"title": previous.title, "issuer": previous.issuer, "level": previous.level, "tags": previous.tags}
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.add_version(actor=request.user, previous=previous, **_upload_fields(form))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("新版本已入库,原文件已标为已修订"))
            return redirect("library_detail", id=document.pk)
    return render(request, "library/upload.html", {"form": form, "previous": previous},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    document = _document(id)
    may_write = services.can_write(request.user)
    status_form = StatusForm(initial={"status": document.status})
    if request.method == "POST":
        _require_writer(request)
        status_form = StatusForm(request.POST)
        if status_form.is_valid():
            try:
                services.set_status(actor=request.user, document=document, **status_form.cleaned_data)
            except ValidationError as exc:
                status_form.apply_service_errors(exc)
            else:
                messages.success(request, _("状态已更新"))
                return redirect("library_detail", id=document.pk)
    history = list(document.history.select_related("history_user").order_by("-history_date")[:20])
    return render(request, "library/staff_detail.html", {
        "doc": document, "body": mask_text(document.body), **_versions(document), "may_write": may_write,
        "status_form": status_form,
        "history": history}, status=400 if request.method == "POST" else 200)
