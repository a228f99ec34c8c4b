"""The cadre's phone pages for visits (走访): my households, the visit form, its photos, and the service worker
that keeps the pages and visits typed offline (static/assistance/visits-sw.js, visits.js).

The form posts as an ordinary form without script. With script (visits.js) it is sent by fetch with
``Accept: application/json`` and answered in JSON, so that a visit kept on the phone can be sent later from any
visits page; the answer is the same whether it is the first sending or a resend (client_uuid)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sunshine.assistance.visits import selectors, services
from sunshine.assistance.visits.forms import MAX_PHOTOS, VisitForm
from sunshine.core.attachments import attachment_response
from sunshine.core.scope import division_visible

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "assistance" / "visits-sw.js"
SCOPE = "/assistance/visits/"


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """我的帮扶户: the cadre's households today, the last visit of each and a big 走访 button."""
    cadre = selectors.require_cadre(request.user)
    households = list(selectors.my_households(cadre=cadre, on=timezone.localdate()))
    return render(request, "assistance/visits/home.html", {"cadre": cadre, "households": households})


@login_required
def new(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - URL parameter named as tests/test_scope.py expects
    """The visit form. GET: only a household paired today. POST: any household the cadre was ever paired with —
    a visit typed offline may arrive after the pairing ended; the service checks the visit's date."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    cadre = selectors.require_cadre(request.user)
    on = timezone.localdate() if request.method == "GET" else None
    household = selectors.get_paired_household(cadre=cadre, household_id=id, on=on)
    if request.method == "GET":
        return _form_page(request, household, VisitForm())
    form = VisitForm(request.POST, photos=request.FILES.getlist("photos"))
    # A resend of a visit already stored: answer at once, without reading its photos again.
    uuid_field = form.fields["client_uuid"]
    try:
        client_uuid = uuid_field.clean(request.POST.get("client_uuid"))
    except ValidationError:
        client_uuid = None
    try:
        already = services.existing_visit(client_uuid, cadre)
        if already is not None and already.household_id == household.pk:
            return _saved(request, household, services.Recorded(visit=already, created=False))
        if already is not None:
            raise PermissionDenied(_("该走访记录编号已被使用"))
        if not form.is_valid():
            return _invalid(request, household, form)
        data = form.cleaned_data
        recorded = services.record_visit(
            actor=request.user, cadre=cadre, household=household, date=data["date"], notes=data["notes"],
            measures=data["measures"], latitude=data["latitude"], longitude=data["longitude"],
            client_uuid=data["client_uuid"], photos=form.photos)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return _invalid(request, household, form)
    return _saved(request, household, recorded)


def _form_page(request: HttpRequest, household: Any, form: VisitForm, status: int = 200) -> HttpResponse:
    return render(request, "assistance/visits/form.html",
                  {"household": household, "form": form, "max_photos": MAX_PHOTOS}, status=status)


def _after_url(request: HttpRequest, household: Any) -> str:
    """The household's page when the cadre may open it, otherwise back to the cadre's list."""
    if division_visible(request.user, household.village_id):
        return reverse("household_detail", args=[household.household_no])
    return reverse("visit_home")


def _saved(request: HttpRequest, household: Any, recorded: services.Recorded) -> HttpResponse:
    url = _after_url(request, household)
    if _wants_json(request):
        return JsonResponse({"ok": True, "created": recorded.created, "visit": recorded.visit.pk,
                             "date": recorded.visit.date.isoformat(), "redirect": url,
                             "message": _("已上传")}, status=201 if recorded.created else 200)
    messages.success(request, _("走访记录已保存") if recorded.created else _("该走访记录此前已保存"))
    return redirect(url)


def _invalid(request: HttpRequest, household: Any, form: VisitForm) -> HttpResponse:
    if _wants_json(request):
        errors = {field: [str(e) for e in errors] for field, errors in form.errors.items()}
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    return _form_page(request, household, form, status=400)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from inside the scope it controls (a script under /static/ could only
    control /static/). Not personal: it needs no login, and is revalidated on every visit."""
    response = HttpResponse(SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def photo(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - URL parameter named as tests/test_scope.py expects
    """A visit photo, for readers who may see its household."""
    found = selectors.get_photo(reader=request.user, photo_id=id)
    response = attachment_response(request, found.image, object_type="visit_photo", object_ref=str(found.pk))
    # Opened on its own, Chrome shows an image in a page it builds with inline style, governed by this response's
    # CSP: a JPEG is no HTML of ours, so allowing it here opens nothing for injected markup (as for PDFs).
    response._csp_replace = {"style-src": ["'self'", "'unsafe-inline'"]}  # type: ignore[attr-defined]
    return response
