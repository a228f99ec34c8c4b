"""Assessment pages: runs (list and start), one run's results, what-if comparison. Reads go through the
selectors (the reader's scope), runs are started through services.run_assessment."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sunshine.assessment import selectors
from sunshine.assessment.choices import (
    COUNTY_CRITERIA,
    HOUSEHOLD_CRITERIA,
    ROLES_THAT_RUN_OFFICIAL,
    VILLAGE_CRITERIA,
    CriterionState,
    Kind,
    Result,
)
from sunshine.assessment.forms import RunForm
from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import run_assessment
from sunshine.core.models import Division
from sunshine.policy.parameters import StandardParameters, parameter_rows, parameter_value

CRITERIA = {Kind.HOUSEHOLDS: HOUSEHOLD_CRITERIA, Kind.VILLAGES: VILLAGE_CRITERIA, Kind.COUNTIES: COUNTY_CRITERIA}
STATE_LABELS = dict(CriterionState.choices)


def criteria_rows(kind: str, criteria: dict[str, str]) -> list[dict[str, str]]:
    """Each criterion of a result in explanation order: code, name, state and its label."""
    return [{"code": code, "name": name, "state": criteria.get(code) or "",
             "label": STATE_LABELS.get(criteria.get(code) or "", "—")} for code, name in CRITERIA[Kind(kind)].items()]


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    can_run_official = bool(request.user.role_set & ROLES_THAT_RUN_OFFICIAL)
    form = RunForm(request.POST or None, reader=request.user)
    form.initial["what_if"] = not can_run_official
    if request.method == "POST" and form.is_valid():
        try:
            run = run_assessment(actor=request.user, **form.service_fields())
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("评估已完成:%(run)s") % {"run": run})
            return redirect("assessment_run", run_id=run.pk)
    page = Paginator(selectors.visible_runs(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "assessment/run_list.html", {
        "form": form, "page": page,
        "can_run_official": can_run_official,
    })


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(request.user, run_id)
    criteria = CRITERIA[Kind(run.kind)]
    result = request.GET.get("result") or None
    criterion = request.GET.get("criterion") or None
    state = request.GET.get("state") or None
    if result not in Result.values:
        result = None
    if criterion not in criteria:
        criterion, state = None, None
    if state not in CriterionState.values:
        state = None
    qs = selectors.scoped_results(request.user, run, result=result, criterion=criterion, state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"r": r, "criteria": criteria_rows(run.kind, r.criteria)} for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "assessment/run_detail.html", {
        "run": run, "page": page, "rows": rows, "counts": selectors.result_counts(request.user, run),
        "criteria": criteria, "results": Result.choices, "states": CriterionState.choices,
        "filters": {"result": result, "criterion": criterion, "state": state}, "query": query.urlencode(),
        "parameters": parameter_rows(run.parameters, changed=run.overrides),
        "others": selectors.visible_runs(request.user).filter(
            kind=Kind.HOUSEHOLDS, year=run.year).exclude(pk=run.pk)[:20] if run.kind == Kind.HOUSEHOLDS else [],
    })


def _run_param(request: HttpRequest, name: str) -> AssessmentRun | None:
    raw = request.GET.get(name, "")
    return selectors.get_run(request.user, int(raw)) if raw.isdigit() else None


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    before, after = _run_param(request, "before"), _run_param(request, "after")
    context: dict[str, Any] = {"before": before, "after": after, "changes": None,
                               "runs": selectors.visible_runs(request.user).filter(kind=Kind.HOUSEHOLDS)[:100]}
    if before is not None and after is not None:
        if before.kind != Kind.HOUSEHOLDS or after.kind != Kind.HOUSEHOLDS:
            context["error"] = _("只能比较两次农户评估")
        else:
            changes = selectors.household_changes(request.user, before, after)
            shown = changes[:1000]
            villages = dict(Division.objects.filter(code__in={c.village_code for c in shown})
                            .values_list("code", "name"))
            by_county = Counter(c.village_code[:6].ljust(12, "0") for c in changes)
            names = dict(Division.objects.filter(code__in=by_county).values_list("code", "name"))
            labels = dict(Result.choices)
            labels_p = StandardParameters.labels()
            context.update({
                "parameter_diff": [{"name": labels_p.get(k, k), "before": parameter_value(k, v),
                                    "after": parameter_value(k, after.parameters.get(k))}
                                   for k, v in before.parameters.items() if after.parameters.get(k) != v],
                "changes": [{"c": c, "before": labels.get(c.before, c.before), "after": labels.get(c.after, c.after),
                             "village": villages.get(c.village_code, "")} for c in shown],
                "total": len(changes),
                "by_county": [{"code": k, "name": names.get(k, k), "n": n} for k, n in sorted(by_county.items())],
                "directions": Counter((labels.get(c.before, c.before), labels.get(c.after, c.after))
                                      for c in changes).most_common(),
            })
    return render(request, "assessment/compare.html", context)
