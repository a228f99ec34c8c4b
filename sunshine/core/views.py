"""Thin views: login, home and the division drill-down."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sunshine.core import todo
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.core.scope import get_visible_division
from sunshine.registry import choices as c
from sunshine.registry.selectors import division_breakdown


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True


def year_from(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year", settings.SUNSHINE_DEFAULT_YEAR))
    except ValueError:
        return settings.SUNSHINE_DEFAULT_YEAR


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的待办 first, then the counts of the user's own division."""
    if request.user.division_id is None:
        return render(request, "core/no_scope.html", status=403)
    context = division_context(request, request.user.division)
    context["todo"] = todo.collect(request.user)
    context["is_home"] = True
    return render(request, "core/division.html", context)


@login_required
def division_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "core/division.html", division_context(request, code))


def division_context(request: HttpRequest, code: str | Division) -> dict[str, object]:
    """The division page's context; ``code`` may be the reader's own division, loaded already (home)."""
    division = code if isinstance(code, Division) else get_visible_division(request.user, code)
    year = year_from(request)
    children, totals = division_breakdown(reader=request.user, division=division, year=year)
    from sunshine.assessment.selectors import latest_official_division_result  # the app sits above core
    from sunshine.assessment.views import criteria_rows

    assessment = latest_official_division_result(request.user, division.code, division.level, year)
    criteria = criteria_rows(assessment.run.kind, assessment.criteria) if assessment else []
    scope_len = len(request.user.scope_prefix or "")
    breadcrumbs = [d for d in division.ancestors() if len(d.prefix) >= scope_len]
    return {
        "division": division,
        "breadcrumbs": breadcrumbs,
        "children": children,
        "totals": totals,
        "total": sum(totals.values()),
        "statuses": c.HouseholdStatus.choices,
        "year": year,
        "years": range(year - 3, year + 2),
        "is_village": division.level == DivisionLevel.VILLAGE,
        "assessment": assessment,
        "assessment_criteria": criteria,
    }
