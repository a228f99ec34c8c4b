"""The public project announcements (公告公示, services.md §1): no login, no scope. Lists every announcement that
has started — the running ones and the past ones (they stay public) — by county → township → village; one
announcement's page with the fields of services.md §1 (never an ID number, a phone, a birth date or health;
beneficiaries as a count and masked names); and a comment/objection form, rate-limited like the workflow's
public objection form (post/redirect/get). Readable without JavaScript and on a phone."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sunshine.core.http import client_ip
from sunshine.core.models import Division
from sunshine.disclosure.portal.cache import cached_value, public_page
from sunshine.funds import announcements
from sunshine.funds.forms_projects import PublicCommentForm
from sunshine.funds.lifecycle import today
from sunshine.funds.models import Announcement
from sunshine.workflow.services.objections import RateLimited


def _office(county_name: str) -> dict[str, str]:
    office = settings.SUNSHINE_NOTICE_OFFICE or (f"{county_name}扶贫开发领导小组办公室" if county_name else "")
    return {"office": office, "phone": settings.SUNSHINE_NOTICE_PHONE}


# The front page lists the running announcements (at most this many, the newest first); every county's page
# lists all of its announcements, running and past, a page at a time.
FRONT_LIMIT = 200
PAGE_SIZE = 100


@require_http_methods(["GET", "HEAD"])
@public_page  # anonymous reads: a short cache (no form on the page)
def announcement_list(request: HttpRequest) -> HttpResponse:
    """Counties with their announcements (running and total), and the running ones by county → township → village."""
    on = today()
    shown = announcements.public_announcements(on)
    counties = list(shown.values("project__county_id", "project__county__name").order_by("project__county_id")
                    .annotate(total=Count("pk"), current=Count("pk", filter=Q(end_date__gte=on))))
    current = list(shown.filter(end_date__gte=on).order_by("-start_date", "-id")[:FRONT_LIMIT])
    return render(request, "funds/public/list.html", {
        "counties": [{"code": c["project__county_id"], "name": c["project__county__name"], "total": c["total"],
                      "current": c["current"]} for c in counties],
        "tree": announcements.grouped(current, on), "today": on, "division": None, "current": len(current),
        **_office("")})


@require_http_methods(["GET", "HEAD"])
@public_page  # anonymous reads: a short cache (no form on the page)
def division_list(request: HttpRequest, code: str) -> HttpResponse:
    """One county's, township's or village's announcements, running and past."""
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise Http404(_("区划不存在"))
    on = today()
    qs = (announcements.public_announcements(on).filter(project__division__code__startswith=division.prefix)
          .order_by("project__division_id", "-start_date", "-id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    if not rows:
        raise Http404(_("该地区没有项目公告"))
    return render(request, "funds/public/list.html", {
        "tree": announcements.grouped(rows, on), "today": on, "division": division, "page": page, "query": "",
        "current": qs.filter(end_date__gte=on).count(), **_office(rows[0].project.county.name)})


def _public(announcement_id: int) -> Announcement:
    found = announcements.public_announcements().filter(pk=announcement_id).first()
    if found is None:
        raise Http404(_("公告不存在或尚未开始公示"))
    return found


@require_http_methods(["GET", "HEAD", "POST"])
def announcement(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL parameter's name
    item = _public(id)
    on = today()
    form = PublicCommentForm(request.POST if request.method == "POST" else None)
    # The page has a form (its CSRF token is the visitor's own): only its public facts are cached.
    facts = cached_value(f"announcement.{item.pk}.{on}", lambda: announcements.public_facts(item, on))
    context = {"a": facts, "item": item, "today": on,
               **_office(item.project.county.name)}
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                announcements.submit_comment(announcement=item, kind=d["kind"], text=d["text"], name=d["name"],
                                             phone=d["phone"], address=client_ip(request), on=on)
            except RateLimited as exc:
                return render(request, "public_limited.html", {
                    **context, "message": exc.message, "back_label": _("返回公告"),
                    "back_url": reverse("public_project_announcement", args=[item.pk])}, status=429)
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("感谢您的意见,已登记。县扶贫部门将核实处理,您的联系方式予以保密。"))
                return redirect("public_project_announcement", id=item.pk)
        return render(request, "funds/public/announcement.html", {**context, "form": form}, status=400)
    return render(request, "funds/public/announcement.html", {**context, "form": form})


# --- the dividend list (分红名单公示, funds.md §6): names masked, never an ID number, a phone or a 户编号 ---------


@require_http_methods(["GET", "HEAD"])
@public_page  # anonymous reads: a short cache (no form on the page)
def dividend_list(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """One village's distribution list of a year, as computed from the registry and the asset income."""
    village = Division.objects.filter(code=code, level="village").first()
    if village is None or not 2000 <= year <= today().year:
        raise Http404(_("区划不存在"))
    rows = public_dividends(village.code, year)
    if not rows:
        raise Http404(_("该村该年度没有资产收益分红"))
    households = [r for r in rows if r["household_no"]]
    county = Division.objects.filter(code=village.code[:6] + "000000").first()
    return render(request, "funds/public/dividends.html", {
        "village": village, "year": year, "households": households,
        "village_shares": [r for r in rows if not r["household_no"]],
        "total": sum(r["amount"] for r in households), **_office(county.name if county else "")})


def public_dividends(village: str, year: int) -> list[dict[str, object]]:
    """The village's list as sunshine.funds.credit.dividend_list reads it (the county's stored distribution,
    computed and stored first when there is none), without a reader: the notice is public. Names masked; no 户编号
    leaves this function."""
    from sunshine.funds.announcements import mask_name
    from sunshine.funds.credit import ensure_dividends, read_shares
    from sunshine.funds.models_credit import Asset
    from sunshine.registry.models import HouseholdYear

    ensure_dividends(village, year)
    table = read_shares(village, year, village).to_pylist()
    names = dict(Asset.objects.filter(asset_no__in={r["asset_no"] for r in table}, county_id=village[:6] + "000000")
                 .values_list("asset_no", "name"))
    heads = dict(HouseholdYear.objects.filter(year=year, household__household_no__in=[
        r["household_no"] for r in table if r["household_no"]]).values_list("household__household_no", "head_name"))
    return [{"household_no": bool(r["household_no"]), "asset_name": names.get(r["asset_no"], r["asset_no"]),
             "head_name": mask_name(heads.get(r["household_no"], "")) if r["household_no"] else "",
             "amount": r["amount"]} for r in table]
