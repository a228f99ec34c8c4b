"""User administration pages (administrators: every account; county managers: their county's staff) and
the page where anyone changes their own password. One-time passwords are shown once, in the response to the
action that made them, and never stored in clear."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.core.users import bulk, selectors, services, template
from sunshine.core.users.forms import BulkForm, OwnPasswordForm, UserFilterForm, UserForm

PAGE_SIZE = 50
HISTORY_ROWS = 30


def _manager(request: HttpRequest) -> User:
    if not services.is_user_manager(request.user):
        raise PermissionDenied(_("只有系统管理员和县级管理可以管理账号"))
    return request.user


def _managed(request: HttpRequest, pk: int) -> User:
    """An account the actor may change: 404 when outside what they see, 403 when seen but not theirs to manage."""
    actor = _manager(request)
    user = selectors.visible_users(actor).filter(pk=pk).first()
    if user is None:
        raise Http404(_("账号不存在或不在您的管辖范围内"))
    if not services.may_manage(actor, user):
        raise PermissionDenied(_("您不能管理这个账号"))
    return user


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = UserFilterForm(request.GET or None, reader=actor)
    users = selectors.filter_users(selectors.visible_users(actor), **form.filters())
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(u, services.may_manage(actor, u)) for u in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/users/list.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "can_bulk": True, "is_admin": actor.has_role(Role.ADMIN)})


def _form_page(request: HttpRequest, form: UserForm, title: str, user: User | None = None) -> HttpResponse:
    history = []
    if user is not None:
        history = list(user.history.select_related("history_user", "division")
                       .order_by("-history_date", "-history_id")[:HISTORY_ROWS])
        labels = dict(Role.choices)
        for row in history:
            row.role_text = "、".join(str(labels.get(r, r)) for r in row.roles)
    return render(request, "core/users/form.html", {"form": form, "title": title, "account": user,
                                                    "history": history})


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    url = reverse("user_create")
    if request.method != "POST":
        initial = {"area": request.GET.get("area") or (actor.division_id if not actor.has_role(Role.ADMIN) else "")}
        return _form_page(request, UserForm(actor=actor, initial=initial, refresh_url=url), _("新建账号"))
    form = UserForm(request.POST, actor=actor, refresh_url=url)
    if "refresh" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_user(actor, username=data["username"], full_name=data["full_name"],
                                           roles=data["roles"], division=data["division"])
        except services.UserChangeError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return render(request, "core/users/password_shown.html", {
                "accounts": [(created.user, created.one_time_password)], "title": _("账号已创建")})
    return _form_page(request, form, _("新建账号"))


@login_required
def user_edit(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    pk = id
    actor = _manager(request)
    user = _managed(request, pk)
    url = reverse("user_edit", args=[pk])
    title = _("账号:%(name)s") % {"name": user.username}
    if request.method != "POST":
        initial = UserForm.initial_for(user)
        if request.GET.get("area"):
            initial["area"] = request.GET["area"]
        return _form_page(request, UserForm(actor=actor, user=user, initial=initial, refresh_url=url), title, user)
    form = UserForm(request.POST, actor=actor, user=user, refresh_url=url)
    if "refresh" not in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_role(actor, user, roles=data["roles"], division=data["division"],
                                 full_name=data["full_name"])
        except services.UserChangeError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("已保存账号 %(name)s") % {"name": user.username})
            return redirect("user_edit", id=user.pk)
    return _form_page(request, form, title, user)


@login_required
def user_set_active(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    pk = id
    actor = _manager(request)
    user = _managed(request, pk)
    if request.method != "POST":  # after the checks: nobody learns from a 405 that an account exists
        return HttpResponseNotAllowed(["POST"])
    active = request.POST.get("active") == "1"
    try:
        services.set_active(actor, user, active)
    except services.UserChangeError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, (_("已启用账号 %(name)s") if active else _("已停用账号 %(name)s"))
                         % {"name": user.username})
    return redirect("user_edit", id=user.pk)


@login_required
def user_reset_password(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    pk = id
    actor = _manager(request)
    user = _managed(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    password = services.reset_password(actor, user)
    if user.pk == actor.pk:
        update_session_auth_hash(request, user)
    return render(request, "core/users/password_shown.html", {
        "accounts": [(user, password)], "title": _("密码已重置")})


@login_required
def user_bulk(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = BulkForm(request.POST or None, request.FILES or None)
    errors: list[bulk.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "users.xlsx"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                result = bulk.bulk_create(actor, path, upload.name)
            except bulk.BulkFileError as exc:
                form.add_error("file", str(exc))
            else:
                if not result.errors:
                    return render(request, "core/users/password_shown.html", {
                        "accounts": [(c.user, c.one_time_password) for c in result.created],
                        "title": _("已批量创建 %(n)d 个账号") % {"n": len(result.created)}})
                errors = result.errors
    return render(request, "core/users/bulk.html", {"form": form, "errors": errors,
                                                    "headers": bulk.RowError.ERROR_HEADERS})


@login_required
def user_bulk_template(request: HttpRequest) -> HttpResponse:
    """The blank bulk-creation workbook; its example row uses a village this manager may staff."""
    actor = _manager(request)
    response = HttpResponse(template.template_xlsx(template.example_village(actor)),
                            content_type=template.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, template.FILENAME)
    return response


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Anyone's own password; the only page a user with a one-time password can reach."""
    user = request.user
    form = OwnPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(user, user, form.cleaned_data["new_password1"], reason=_("本人修改密码"))
        except services.UserChangeError as exc:
            for message in exc.messages:
                form.add_error("new_password1", message)
        else:
            update_session_auth_hash(request, user)  # stay logged in with the new password
            messages.success(request, _("密码已修改"))
            return redirect("home")
    return render(request, "core/users/password_change.html", {"form": form, "forced": user.must_change_password})
