"""Fund pages: the fund list with its totals by source, one fund's trail down to the households it reached (and
the reconciliation at every level, as a table and a chart), the payment search, one payment, and the funds check
button. Every object is fetched through sunshine.funds.selectors (the reader's scope: 404 outside it); ID numbers
are shown as the reader may see them (masked for masked roles)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from sunshine.comparison.runs.services import ROLES_THAT_RUN_COMPARISON
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.core.scope import division_visible, show_id_number
from sunshine.funds import reconcile, selectors
from sunshine.funds.forms_funds import CheckForm, FundFilterForm, PaymentFilterForm
from sunshine.funds.models import Payment, Project

PAGE_SIZE = 50
TRAIL_PAYMENTS = 50  # payments listed under each project of a trail; the rest through the payment search

# hD's project detail page, once it exists: looked up by name so that the trail links to it without depending on
# the project views (until then a project links to its payments).
PROJECT_URL_NAMES = ("project_detail", "projects_detail", "project")


def project_url(project: Project) -> str:
    for name in PROJECT_URL_NAMES:
        try:
            return reverse(name, kwargs={"id": project.pk})
        except NoReverseMatch:
            continue
    return reverse("payment_list") + "?" + urlencode({"project": project.project_no})


def can_see_funds(user: Any) -> bool:
    """Whether the reader's area holds whole counties (funds are a county's): county offices and above."""
    prefix = getattr(user, "scope_prefix", None)
    return prefix is not None and len(prefix) <= 6


def can_check(user: Any) -> bool:
    return bool(user.role_set & ROLES_THAT_RUN_COMPARISON)


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    form = FundFilterForm(request.GET or None, reader=request.user)
    qs = selectors.funds(request.user, form.to_filter())
    sums = reconcile.fund_sums(qs)  # every fund of the filter: their totals are the page's subject
    everything = list(qs)
    page = Paginator(everything, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"fund": f, "sums": sums[f.pk]} for f in page.object_list]
    total = reconcile.totals(sums.values())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funds/fund_list.html", {
        "form": form, "page": page, "rows": rows, "by_source": reconcile.totals_by_source(everything, sums),
        "total": total, "chart": reconcile.fund_chart(total), "query": query.urlencode(),
        "can_check": can_check(request.user),
    })


def _payment_row(reader: Any, p: Payment) -> dict[str, Any]:
    household = p.household
    return {
        "payment": p, "id": p.pk, "payment_no": p.payment_no, "name": p.name,
        "id_number": show_id_number(reader, p.id_number) if p.id_number else "",
        "by_hash": not p.id_number and bool(p.id_hash),
        "household_no": household.household_no if household else p.household_no,
        "in_registry": household is not None,
        "village": household.village.name if household else "",
        "item": p.get_item_display(), "period": p.period, "amount": p.amount, "paid_date": p.paid_date,
        "fund": p.fund, "project": p.project,
        # Linked only when the reader may open it (a county project is not a village clerk's).
        "project_url": project_url(p.project) if p.project_id and division_visible(reader, p.project.division_id)
        else "",
    }


def _newest_payments(project_ids: list[int]) -> dict[int, list[Payment]]:
    """The newest TRAIL_PAYMENTS payments of each project (a project may have paid thousands), in one query."""
    rank = Window(RowNumber(), partition_by=[F("project_id")], order_by=[F("paid_date").desc(), "payment_no", "pk"])
    rows = (Payment.objects.filter(project_id__in=project_ids).annotate(rank=rank).filter(rank__lte=TRAIL_PAYMENTS)
            .select_related("household", "household__village", "fund", "project")
            .order_by("project_id", "-paid_date", "payment_no", "pk"))
    out: dict[int, list[Payment]] = {}
    for payment in rows:
        out.setdefault(payment.project_id, []).append(payment)
    return out


@login_required
def fund_trail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    fund = selectors.get_fund(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    trail = reconcile.fund_trail(fund)
    ids = [line.project.pk for line in trail.projects]
    counts = selectors.payment_counts(ids)
    spending = selectors.expenditures_by_project(ids)
    newest = _newest_payments(ids)
    projects = []
    for line in trail.projects:
        projects.append({
            "line": line, "url": project_url(line.project), "expenditures": spending.get(line.project.pk, []),
            "payments": [_payment_row(request.user, p) for p in newest.get(line.project.pk, [])],
            "payment_count": counts.get(line.project.pk, 0),
            "more_url": reverse("payment_list") + "?" + urlencode({"project": line.project.project_no}),
        })
    if any(p["payments"] for p in projects):
        log_full_read(request.user, "fund", fund.fund_no, request)
    return render(request, "funds/fund_trail.html", {
        "fund": fund, "trail": trail, "sums": trail.sums, "projects": projects,
        "chart": reconcile.fund_chart(trail.sums), "projects_chart": reconcile.projects_chart(trail.projects),
        "direct_url": reverse("payment_list") + "?" + urlencode({"fund": fund.fund_no}),
    })


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None, reader=request.user)
    filters = form.to_filter()
    try:
        qs = selectors.payments(request.user, filters)
    except selectors.BadIdNumber as exc:
        form.add_error("id_number", str(exc))
        qs = Payment.objects.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_payment_row(request.user, p) for p in page.object_list]
    if rows and request.user.can_see_full_personal_data:
        log_access(user=request.user, action=AccessAction.VIEW_FULL, object_type="payment_list",
                   object_ref=str(page.number), detail=mask_text(request.GET.urlencode()), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funds/payment_list.html", {
        "form": form, "page": page, "rows": rows, "total": selectors.payment_total(qs), "query": query.urlencode(),
        "fund_links": can_see_funds(request.user),
    })


@login_required
def payment_detail(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 — the URL's parameter name
    payment = selectors.get_payment(request.user, id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    log_full_read(request.user, "payment", payment.payment_no, request)
    return render(request, "funds/payment_detail.html", {"row": _payment_row(request.user, payment),
                                                         "payment": payment,
                                                         "fund_links": can_see_funds(request.user)})


@login_required
def funds_check(request: HttpRequest) -> HttpResponse:
    """运行资金项目核查: runs the F-/P- rules over the chosen area and year now (a county's data take seconds)
    and shows the run's counts, with links to its findings."""
    from sunshine.funds.check.services import run_check

    if not can_check(request.user):
        raise PermissionDenied(_("您的角色不能发起资金项目核查"))
    form = CheckForm(request.POST or None, reader=request.user)
    run = None
    if request.method == "POST" and form.is_valid():
        try:
            run, _table = run_check(actor=request.user, year=form.cleaned_data["year"],
                                    division_code=(form.cleaned_data["division_code"] or "").strip() or None)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            if run.status == "done":
                messages.success(request, run.message)
            else:
                messages.error(request, run.message)
    elif request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    by_rule = []
    if run is not None:
        from sunshine.engine.funds.catalogue import RULES

        counted = (run.counts or {}).get("by_rule", {})
        by_rule = [{"code": code, "title": rule.title, "n": counted.get(code, 0)} for code, rule in RULES.items()]
    return render(request, "funds/fund_check.html", {"form": form, "run": run, "by_rule": by_rule})
