"""Sampling pages: the list of draws with the form that draws a sample, one draw (strata, estimates, units with
a visit form each), continuing a fixed panel, recording a visit and exporting the unit list. Reads go through
sunshine.monitoring.sampling.selectors (the reader's scope); writes through the sampling services, which check
the role and the scope again."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import Division
from sunshine.core.scope import show_id_number, show_text
from sunshine.monitoring.choices import SampleKind
from sunshine.monitoring.forms_sampling import ContinueForm, DrawForm, VisitForm
from sunshine.monitoring.sampling import export, selectors
from sunshine.monitoring.sampling.draw import can_draw, continue_panel, draw_sample
from sunshine.monitoring.sampling.report import METHOD_LABELS, estimate
from sunshine.monitoring.sampling.services import can_visit, record_visit, unit_status
from sunshine.registry.choices import HouseholdStatus

UNITS_PER_PAGE = 50
STATUS_LABELS = dict(HouseholdStatus.choices)


@login_required
def sample_list(request: HttpRequest) -> HttpResponse:
    allowed = can_draw(request.user)
    form = DrawForm(request.POST or None, reader=request.user)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("您的角色不能抽样"))
        if form.is_valid():
            try:
                draw = draw_sample(actor=request.user, **form.service_fields())
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("已抽取样本 %(draw)s,共 %(n)s 户") % {"draw": draw, "n": draw.size})
                return redirect("monitoring_sample", id=draw.pk)
    page = Paginator(selectors.visible_draws(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "monitoring/sample_list.html", {"form": form, "page": page, "can_draw": allowed})


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _share(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "method_label": METHOD_LABELS.get(result["method"], result["method"]),
            "pct": _pct(result["estimate"]), "low_pct": _pct(result["low"]), "high_pct": _pct(result["high"])}


def _detail_context(request: HttpRequest, draw: Any, *, page_number: str | None = None,
                    visit_forms: dict[int, VisitForm] | None = None,
                    continue_form: ContinueForm | None = None) -> dict[str, Any]:
    reader = request.user
    page = Paginator(selectors.units(reader, draw), UNITS_PER_PAGE).get_page(page_number or request.GET.get("page"))
    units = list(page.object_list)
    heads = selectors.heads(draw, [u.household_id for u in units])
    visiting = can_visit(reader)
    forms = visit_forms or {}
    rows = []
    for unit in units:
        name, number = heads.get(unit.household_id, ("", ""))
        status = unit_status(unit)
        form = forms.get(unit.pk)
        if form is None and visiting:
            initial: dict[str, Any] = {}
            if unit.visited_on:
                initial = {"visited_on": unit.visited_on, "note": show_text(reader, unit.note),
                           "data_correct": {True: "true", False: "false"}.get(unit.data_correct),
                           "wrongly_exited": {True: "true", False: "false"}.get(unit.wrongly_exited, "")}
            form = VisitForm(unit_id=unit.pk, **({"initial": initial} if initial else {}))
        if form is not None and status != HouseholdStatus.EXITED:
            form.fields.pop("wrongly_exited", None)
        rows.append({"unit": unit, "head_name": name, "head_id": show_id_number(reader, number),
                     "status": STATUS_LABELS.get(status, status), "county": unit.stratum.split(":")[0],
                     "form": form, "open": unit.pk in forms, "note": show_text(reader, unit.note)})
    covers = selectors.draw_covers_reader(reader, draw)
    result = estimate(draw) if covers else None
    if result is not None:
        result["data_wrong"] = _share(result["data_wrong"])
        result["wrongly_exited"] = _share(result["wrongly_exited"])
        counties = {str(row["county"])[:6].ljust(12, "0") for row in result["strata"]}
        names = dict(Division.objects.filter(code__in=counties).values_list("code", "name"))
        for row in result["strata"]:
            row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
            row["county_name"] = names.get(str(row["county"])[:6].ljust(12, "0"), "")
    if continue_form is None and draw.kind == SampleKind.FIXED and can_draw(reader) and covers:
        continue_form = ContinueForm(year=draw.year)
    return {"draw": draw, "page": page, "rows": rows, "result": result, "covers": covers, "can_visit": visiting,
            "continue_form": continue_form, "continued": list(draw.continued.order_by("year", "pk")),
            "formats": export.FORMATS}


@login_required
def sample_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    draw = selectors.get_draw(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return render(request, "monitoring/sample_detail.html", _detail_context(request, draw))


@login_required
def sample_visit(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    draw = selectors.get_draw(request.user, id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    unit = selectors.get_unit(request.user, draw, request.POST.get("unit"))
    if not can_visit(request.user):
        raise PermissionDenied(_("您的角色不能登记走访结果"))
    form = VisitForm(request.POST, unit_id=unit.pk)
    if unit_status(unit) != HouseholdStatus.EXITED:
        form.fields.pop("wrongly_exited")
    if form.is_valid():
        fields = form.service_fields()
        if fields["note"] == show_text(request.user, unit.note):
            fields["note"] = unit.note  # the masked note came back unchanged: keep what was written
        try:
            record_visit(actor=request.user, unit=unit, **fields)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已登记 %(no)s 的走访结果") % {"no": unit.household.household_no})
            page = request.POST.get("page", "")
            target = reverse("monitoring_sample", kwargs={"id": draw.pk})
            return redirect(f"{target}?page={page}" if page.isdigit() else target)
    context = _detail_context(request, draw, page_number=request.POST.get("page"),
                              visit_forms={unit.pk: form})
    return render(request, "monitoring/sample_detail.html", context, status=400)


@login_required
def sample_continue(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    draw = selectors.get_draw(request.user, id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_draw(request.user):
        raise PermissionDenied(_("您的角色不能抽样"))
    form = ContinueForm(request.POST)
    if form.is_valid():
        try:
            new = continue_panel(actor=request.user, panel=draw, year=form.cleaned_data["year"],
                                 seed=form.cleaned_data["seed"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("固定样本已沿用到 %(year)s 年度") % {"year": new.year})
            return redirect("monitoring_sample", id=new.pk)
    return render(request, "monitoring/sample_detail.html", _detail_context(request, draw, continue_form=form),
                  status=400)


@login_required
def sample_export(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002
    draw = selectors.get_draw(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    fmt = request.GET.get("format", "xlsx")
    if fmt not in export.FORMATS:
        fmt = "xlsx"
    body, count = export.render(request.user, draw, fmt)
    full = request.user.can_see_full_personal_data
    log_access(user=request.user, action=AccessAction.EXPORT, object_type="sample_draw", object_ref=str(draw.pk),
               detail=f"抽样农户名单 {fmt} ({count} 行){',含完整身份证号' if full else ''}", request=request)
    content_type = ("text/csv; charset=utf-8" if fmt == "csv" else
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="sample-{draw.pk}.{fmt}"'
    return response
