"""Policy standard pages: the list of versions (every signed-in user) and the form for a new version
(admin and provincial analyst only), written through services.create_standard_version."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.policy.forms import StandardForm
from sunshine.policy.models import PolicyStandard
from sunshine.policy.selectors import standards
from sunshine.policy.services import can_edit_standards, create_standard_version


@login_required
def standard_list(request: HttpRequest) -> HttpResponse:
    return render(request, "policy/standard_list.html",
                  {"standards": standards(), "can_edit": can_edit_standards(request.user)})


@login_required
def standard_create(request: HttpRequest) -> HttpResponse:
    if not can_edit_standards(request.user):
        raise PermissionDenied(_("只有系统管理员和省级分析人员可以制定政策标准"))
    base_version = request.POST.get("base_version") or request.GET.get("base")
    base = PolicyStandard.objects.filter(version=base_version).first() if base_version else None
    if base is None:
        base = standards().first()
    form = StandardForm(request.POST or None, base=base, reader=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            standard = create_standard_version(actor=request.user, **form.service_fields())
        except PermissionDenied as exc:
            form.add_error("region_code", str(exc))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已创建政策标准 %(s)s") % {"s": standard})
            return redirect("policy_standards")
    return render(request, "policy/standard_form.html", {"form": form, "base": base})
