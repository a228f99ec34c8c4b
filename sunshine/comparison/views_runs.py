"""Comparison run pages: the run list with the form that starts a run, one run's summary (with live progress
while it runs) and re-running it. Reads go through the selectors (the reader's scope); runs are started
through sunshine.comparison.runs.services, which checks the role and the scope again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.comparison import display, selectors
from sunshine.comparison.choices import FindingStatus, JobStatus
from sunshine.comparison.forms import RunForm
from sunshine.comparison.runs.services import ROLES_THAT_RUN_COMPARISON, live_progress, rerun, start_run
from sunshine.core import jobs
from sunshine.core.ids import mask_text
from sunshine.policy.parameters import parameter_rows

FINISHED = (JobStatus.DONE, JobStatus.FAILED)


def can_run(user: Any) -> bool:
    """Who sees the start form and the rerun button (the run service checks again, with the scope)."""
    return bool(user.role_set & ROLES_THAT_RUN_COMPARISON)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    allowed = can_run(request.user)
    form = RunForm(request.POST or None, reader=request.user)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("您的角色不能发起数据比对"))
        if form.is_valid():
            try:
                run = start_run(actor=request.user, **form.service_fields())
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("已提交数据比对:%(run)s") % {"run": run})
                return redirect("comparison_run", run_id=run.pk)
    page = Paginator(selectors.visible_runs(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "comparison/run_list.html", {"form": form, "page": page, "can_run": allowed})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(request.user, run_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    jobs.recover_job(run)  # its process was killed: show it failed, not "进行中" forever
    finished = run.status in FINISHED
    context: dict[str, Any] = {
        "run": run, "finished": finished, "live": live_progress(run), "message": mask_text(run.message),
        "summary": selectors.run_summary(request.user, run) if finished else None,
        "whole": selectors.run_covers_reader(request.user, run),
        "loads": list(run.loads.order_by("dataset", "-version")),
        "statuses": FindingStatus.choices, "can_run": can_run(request.user),
        "rule_titles": [{"code": code, "title": display.rule_title(code)} for code in run.rules or []],
        "parameters": parameter_rows(run.parameters),
    }
    template = "comparison/run_status.html" if request.htmx else "comparison/run_detail.html"
    return render(request, template, context)


@login_required
def run_rerun(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(request.user, run_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_run(request.user):
        raise PermissionDenied(_("您的角色不能发起数据比对"))
    try:
        new = rerun(actor=request.user, run=run)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect("comparison_run", run_id=run.pk)
    messages.success(request, _("已按同一快照重新比对:%(run)s") % {"run": new})
    return redirect("comparison_run", run_id=new.pk)
