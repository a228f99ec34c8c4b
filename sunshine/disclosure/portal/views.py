"""The public portal's pages (no login, GET only, no form on them): the landing page and a county's,
township's or village's page. Their assembled page is cached briefly (cache.public_page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from sunshine.core.choices import DivisionLevel
from sunshine.disclosure.portal import selectors
from sunshine.disclosure.portal.cache import public_page
from sunshine.workflow.public import issuer
from sunshine.workflow.views_common import today


@require_http_methods(["GET", "HEAD"])
@public_page
def home(request: HttpRequest) -> HttpResponse:
    on = today()
    return render(request, "disclosure/portal/home.html", {**selectors.landing(on), "today": on})


@require_http_methods(["GET", "HEAD"])
@public_page
def division(request: HttpRequest, code: str) -> HttpResponse:
    place = selectors.division(code)
    on = today()
    build = {DivisionLevel.COUNTY: selectors.county_page, DivisionLevel.TOWNSHIP: selectors.township_page,
             DivisionLevel.VILLAGE: selectors.village_page}[DivisionLevel(place.level)]
    context = {"place": place, "crumbs": selectors.breadcrumbs(place), "today": on, **build(place, on)}
    if place.level == DivisionLevel.VILLAGE:
        context.update(issuer(place))
    return render(request, f"disclosure/portal/{place.level}.html", context)
