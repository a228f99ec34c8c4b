"""Assistance pages for staff (scoped by the reader's division): the cadres with their load, a cadre's page,
household coverage by division and the work teams of weak villages. The cadre's own phone pages are
sunshine.assistance.visits."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sunshine.assistance import selectors
from sunshine.assistance.coverage import coverage, reference_day
from sunshine.assistance.models import WorkTeam
from sunshine.core.scope import get_visible_division, in_scope, show_id_number, show_phone
from sunshine.policy.parameters import StandardParameters
from sunshine.registry.models import HouseholdYear, VillageYear

PAGE_SIZE = 50
VISIT_DAYS = StandardParameters().assistance_visit_days


def _year(request: HttpRequest, default: int) -> int:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else default


def _latest_year(reader: Any) -> int:
    """The newest year of registry records in the reader's scope (the demo's data are of 2020)."""
    latest = (in_scope(HouseholdYear.objects.all(), reader, "household__village__code")
              .order_by("-year").values_list("year", flat=True).first())
    return latest or timezone.localdate().year


@login_required
def cadre_list(request: HttpRequest) -> HttpResponse:
    year = _year(request, _latest_year(request.user))
    day = reference_day(year, timezone.localdate())
    qs = selectors.cadres_with_load(request.user, on=day, visit_days=VISIT_DAYS)
    q = request.GET.get("q", "").strip()[:40]
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(cadre_no__contains=q) | Q(unit__contains=q))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"cadre": c, "phone": show_phone(request.user, c.phone)} for c in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "assistance/cadre_list.html", {
        "page": page, "rows": rows, "year": year, "day": day, "visit_days": VISIT_DAYS, "q": q,
        "query": query.urlencode()})


@login_required
def cadre_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the name tests/test_scope.py fills
    cadre = selectors.get_cadre(request.user, id)
    day = timezone.localdate()
    summary = selectors.cadre_summary(cadre, day)
    return render(request, "assistance/cadre_detail.html", {
        "cadre": cadre, "phone": show_phone(request.user, cadre.phone),
        "id_number": show_id_number(request.user, cadre.id_number), "day": day, **summary})


@login_required
def coverage_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    reader = request.user
    division = get_visible_division(reader, code or reader.division_id or "")
    year = _year(request, _latest_year(reader))
    day = reference_day(year, timezone.localdate())
    rows, total = coverage(division, year=year, day=day, visit_days=VISIT_DAYS)
    return render(request, "assistance/coverage.html", {
        "division": division, "rows": rows, "total": total, "year": year, "day": day, "visit_days": VISIT_DAYS,
        "drill": division.level in ("province", "city", "county", "township") and rows[0].division != division,
        "ancestors": [d for d in division.ancestors() if d.prefix.startswith(reader.scope_prefix or "\x00")]})


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    """Work teams of the 省定经济薄弱村 in scope on the reference day; a weak village without a first secretary
    is shown first."""
    reader = request.user
    year = _year(request, _latest_year(reader))
    day = reference_day(year, timezone.localdate())
    weak = list(in_scope(VillageYear.objects.filter(year=year, weak_village=True), reader, "village__code")
                .select_related("village", "village__parent").order_by("village_id"))
    members: dict[str, list[WorkTeam]] = {}
    for m in (WorkTeam.objects.filter(selectors.covering(day), village_id__in=[w.village_id for w in weak])
              .select_related("cadre").order_by("role", "start_date")):
        members.setdefault(m.village_id, []).append(m)
    rows = [{"village": w.village, "members": members.get(w.village_id, []),
             "led": any(m.role == "first_secretary" for m in members.get(w.village_id, []))} for w in weak]
    rows.sort(key=lambda r: (r["led"], r["village"].code))
    return render(request, "assistance/teams.html", {"rows": rows, "year": year, "day": day,
                                                     "missing": sum(not r["led"] for r in rows)})
