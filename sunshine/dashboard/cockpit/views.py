"""The cockpit pages and the home page (我的待办 + the summary of the user's division).

/dashboard/ is the reader's own division, /dashboard/<code>/ any division inside the reader's scope (404
outside it, before anything else, whatever the method). /divisions/<code>/ is the former drill-down page's
address, kept for bookmarks and links; it serves the same cockpit.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from sunshine.core import todo
from sunshine.core.choices import DivisionLevel
from sunshine.core.context_processors import NAVIGATION
from sunshine.core.models import Division, User
from sunshine.core.scope import get_visible_division
from sunshine.core.views import year_from
from sunshine.dashboard.choices import Section
from sunshine.dashboard.cockpit import charts
from sunshine.dashboard.cockpit import presenters as p
from sunshine.dashboard.cockpit.figures import shown
from sunshine.dashboard.indicators import CATALOGUE

# Each section's list page (the detail behind its figures), opened on the division shown.
SECTION_LISTS: dict[str, str] = {
    Section.REGISTRY: "household_list",
    Section.ASSESSMENT: "assessment_runs",
    Section.COMPARISON: "comparison_findings",
    Section.MONITORING: "monitoring_warnings",
    Section.WORKFLOW: "workflow_inbox",
    Section.FUNDS: "fund_list",
    Section.CREDIT: "loan_list",
    Section.GRIEVANCE: "grievance_list",
    Section.ASSISTANCE: "assistance_coverage",
}
REPORT_FORMATS = (("xlsx", _("下载报表(Excel)")), ("pdf", _("下载报表(PDF)")))
READ_METHODS = ("GET", "HEAD")
MIN_YEAR, MAX_YEAR = 2000, 2100  # the years a form elsewhere accepts; ?year=99999 shows the default year


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的待办 first, then the summary of the user's own division: its size, headline figures and ranking.
    The charts, trend, sections and the assessment result are one click away on the cockpit (the home page
    keeps within its query budget)."""
    if request.user.division_id is None:
        return render(request, "core/no_scope.html", status=403)
    context = cockpit_context(request, request.user.division, full=False)
    context["todo"] = todo.collect(request.user)
    return render(request, "dashboard/home.html", context)


@login_required
def own_cockpit(request: HttpRequest) -> HttpResponse:
    if request.user.division_id is None:
        return render(request, "core/no_scope.html", status=403)
    return _cockpit(request, request.user.division)


@login_required
def division_cockpit(request: HttpRequest, code: str) -> HttpResponse:
    return _cockpit(request, get_visible_division(request.user, code))


def _cockpit(request: HttpRequest, division: Division) -> HttpResponse:
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    return render(request, "dashboard/cockpit.html", cockpit_context(request, division, full=True))


def cockpit_context(request: HttpRequest, division: Division, *, full: bool) -> dict[str, object]:
    """The page's context. ``full``: the cockpit (sections, trend, charts); else the home page's summary."""
    reader: User = request.user
    year = year_from(request)
    if not MIN_YEAR <= year <= MAX_YEAR:
        year = settings.SUNSHINE_DEFAULT_YEAR
    state = p.refresh_state(year)
    parameters = p.standard_parameters(year, division.code)
    indicator = p.ranked_indicator(request.GET.get("rank"))
    years = p.trend_years(state, year) if full else [year]
    columns = p.ranking_columns(indicator)
    figures = p.read(reader=reader, division=division, year=year, years=years, child_codes=[c.code for c in columns])
    by_year, values = figures.by_year, figures.by_year[year]
    ranking = p.ranking(reader=reader, division=division, indicator=indicator, found=figures.children,
                        parameters=parameters)
    context: dict[str, object] = {
        "division": division,
        "breadcrumbs": breadcrumbs(reader, division),
        "year": year,
        "years": sorted(set(range(year - 3, year + 2)) | set(state.years)),
        "refresh": state,
        "is_village": division.level == DivisionLevel.VILLAGE,
        "size": p.size(values),
        "statuses": p.status_counts(values),
        "headline": [shown(i, values, parameters) for i in p.headline_indicators()],
        "ranking": ranking,
        "rank_choices": [(i.code, str(i.name)) for i in CATALOGUE.values()],
        "standard_missing": parameters is None,
        "lists": section_links(reader, division, year),
    }
    if full:
        trended = [CATALOGUE[c] for c in p.SIZE_CODES if c in CATALOGUE] + p.headline_indicators()
        if indicator is not None and indicator.code not in {i.code for i in trended}:
            trended.append(indicator)  # the line chart's figures are a row of the trend table
        trend = p.trend_rows(trended, by_year, years, parameters)
        ranked_trend = next((row for row in trend if indicator and row.indicator.code == indicator.code), None)
        status_years = p.status_by_year(by_year, years)
        context.update({
            "sections": p.sections(values, parameters),
            "trend_years": years,
            "trend": trend,
            "ranked_trend": ranked_trend,
            "status_years": status_years,
            "charts": _charts(ranking, ranked_trend, status_years, years),
            "reports": report_links(division, year),
            **assessment_card(reader, division, year),
        })
    return context


def _charts(ranking: p.Ranking | None, ranked_trend: p.TrendRow | None,
            status_years: list[tuple[str, list]], years: list[int]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    if ranking is not None and ranking.rows:
        out["ranking"] = charts.ranking_chart(ranking)
    if status_years:
        unit = CATALOGUE["households"].unit if "households" in CATALOGUE else ""
        out["statuses"] = charts.status_chart(years, status_years, str(unit))
    if ranked_trend is not None:
        out["trend"] = charts.trend_chart(ranked_trend, years)
    return out


def breadcrumbs(reader: User, division: Division) -> list[Division]:
    """The divisions above this one inside the reader's scope: none for the reader's own (no query then)."""
    if division.code == reader.division_id:
        return []
    scope_len = len(reader.scope_prefix or "")
    return [d for d in division.ancestors() if len(d.prefix) >= scope_len]


def report_links(division: Division, year: int) -> list[tuple[str, str, str]]:
    """(format, label, url) of the report pack's downloads; none while the report view is not installed."""
    try:
        url = reverse("dashboard_report")
    except NoReverseMatch:
        return []
    return [(fmt, str(label), f"{url}?{urlencode({'division': division.code, 'year': year, 'format': fmt})}")
            for fmt, label in REPORT_FORMATS]


def section_links(reader: User, division: Division, year: int) -> dict[str, str]:
    """Section → its list page, for the sections whose list the reader's roles may open (the menu's rule).
    The division is passed unless it is the reader's own (the list then covers the whole scope anyway)."""
    allowed = {entry.url_name: bool(reader.role_set & entry.roles) for entry in NAVIGATION}
    query = {"year": year} if division.code == reader.division_id else {"division": division.code, "year": year}
    links = {}
    for section, url_name in SECTION_LISTS.items():
        if not allowed.get(url_name, True):
            continue
        try:
            links[str(section)] = f"{reverse(url_name)}?{urlencode(query)}"
        except NoReverseMatch:
            continue
    return links


def assessment_card(reader: User, division: Division, year: int) -> dict[str, object]:
    """The village's or county's result in the year's latest official assessment (one read; none elsewhere)."""
    if division.level not in (DivisionLevel.VILLAGE, DivisionLevel.COUNTY):
        return {"assessment": None, "assessment_criteria": []}
    from sunshine.assessment.selectors import latest_official_division_result
    from sunshine.assessment.views import criteria_rows

    result = latest_official_division_result(reader, division.code, division.level, year)
    criteria = criteria_rows(result.run.kind, result.criteria) if result else []
    return {"assessment": result, "assessment_criteria": criteria}
