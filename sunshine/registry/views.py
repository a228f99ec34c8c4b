"""Registry pages: list, household page, create and edit forms. Reads go through selectors,
writes through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction, Role
from sunshine.core.ids import mask_text
from sunshine.core.scope import show_id_number, show_phone
from sunshine.core.views import year_from
from sunshine.registry import choices as c
from sunshine.registry import presenters, selectors, services
from sunshine.registry.forms import (
    ChangeHeadForm,
    CorrectionReasonForm,
    HeadMemberForm,
    HouseholdCreateForm,
    HouseholdCreateYearForm,
    HouseholdListFilter,
    HouseholdYearForm,
    MemberForm,
)
from sunshine.registry.history import household_history


def _require_editor(request: HttpRequest) -> None:
    if not request.user.can_edit_registry:
        raise PermissionDenied(_("您的角色不能修改建档立卡数据"))


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    year = year_from(request)
    if "division" in request.GET:
        region = HouseholdListFilter(request.GET, reader=request.user)
        # Any division code is taken (the division page links deeper than the picker reaches); the selector
        # keeps the reader's scope whatever the code.
        division = request.GET["division"].strip()
    else:  # unbound, so that a clerk's own village shows preselected
        region = HouseholdListFilter(reader=request.user)
        division = region.fields["division"].initial
    filters = selectors.HouseholdFilter(
        year=year,
        division=division or None,
        status=request.GET.get("status") or None,
        household_type=request.GET.get("household_type") or None,
        main_cause=request.GET.get("main_cause") or None,
        q=request.GET.get("q") or None,
    )
    page = Paginator(selectors.household_years(reader=request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    rows = [
        {"record": r, "head_id": show_id_number(request.user, r.head_id_number)} for r in page.object_list
    ]
    if rows and request.user.can_see_full_personal_data:
        log_access(user=request.user, action=AccessAction.VIEW_FULL, object_type="household_list",
                   object_ref=str(year), detail=mask_text(request.GET.urlencode()), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page, "rows": rows, "filters": filters, "year": year, "query": query.urlencode(),
        "region": region, "entry_url": _case_url("entry"), "is_admin": request.user.has_role(Role.ADMIN),
        "statuses": c.HouseholdStatus.choices, "types": c.HouseholdType.choices, "causes": c.MainCause.choices,
        "years": range(year - 3, year + 2),
    }
    template = "registry/_household_table.html" if request.htmx else "registry/household_list.html"
    return render(request, template, context)


@login_required
def household_detail(request: HttpRequest, household_no: str) -> HttpResponse:
    year = request.GET.get("year")
    record = selectors.get_household_year(
        reader=request.user, household_no=household_no, year=int(year) if year and year.isdigit() else None
    )
    household = record.household
    members = list(selectors.members_of(household_year=record))
    log_full_read(request.user, "household", household_no, request)
    from sunshine.assessment.selectors import latest_official_household_result
    from sunshine.assessment.views import criteria_rows

    assessment = latest_official_household_result(request.user, household, record.year)
    return render(request, "registry/household_detail.html", {
        "assessment": assessment,
        "assessment_criteria": criteria_rows("households", assessment.criteria) if assessment else [],
        "household": household,
        "record": record,
        "years": selectors.household_year_list(household=household),
        "members": [presenters.member_row(request.user, m) for m in members],
        "income": presenters.income_breakdown(record, members),
        "indicators": presenters.indicators(record, members),
        "head_id": show_id_number(request.user, record.head_id_number),
        "phone": show_phone(request.user, record.phone),
        "history": household_history(reader=request.user, household=household),
        "can_edit": request.user.can_edit_registry,
        "change_case_url": _case_url("change", record),
    })


# The case that changes a household from each status (workflow CaseType values), for the edit page's links.
CASES_FROM_STATUS = {
    c.HouseholdStatus.IN_POVERTY: ("exit", "closure"),
    c.HouseholdStatus.EXITED: ("return", "closure"),
    c.HouseholdStatus.RETURNED: ("exit", "closure"),
    c.HouseholdStatus.CLOSED: ("entry",),
}
CASE_LABELS = {"entry": gettext_lazy("纳入"), "exit": gettext_lazy("标注脱贫"), "return": gettext_lazy("返贫"),
               "change": gettext_lazy("自然变更"), "closure": gettext_lazy("销户")}


def _case_url(case_type: str, record: object = None) -> str:
    """The workflow's page for opening a case of this type, pre-filled with the household and year."""
    query = {"case_type": case_type}
    if record is not None:
        query |= {"household_no": record.household.household_no, "year": record.year}  # type: ignore[attr-defined]
    return f"{reverse('workflow_case_new')}?{urlencode(query)}"


def _status_cases(record: object) -> list[dict[str, str]]:
    return [{"label": CASE_LABELS[t], "url": _case_url(t, record)}
            for t in CASES_FROM_STATUS.get(record.status, ())]  # type: ignore[attr-defined]


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    """A household enters the registry through an entry case (纳入); only an administrator registers one
    here directly, with a correction reason written into its history."""
    _require_editor(request)
    if not request.user.has_role(Role.ADMIN):
        messages.info(request, _("新建农户即纳入建档立卡,须发起“纳入”案件,经审核、公示、审定后由系统建档"))
        return redirect(_case_url("entry"))
    form = HouseholdCreateForm(request.POST or None, reader=request.user, prefix="h",
                               initial={"year": settings.SUNSHINE_DEFAULT_YEAR})
    head = HeadMemberForm(request.POST or None, prefix="head")
    yearly = HouseholdCreateYearForm(request.POST or None, prefix="y",
                                     initial={"status": c.HouseholdStatus.IN_POVERTY})
    reason = CorrectionReasonForm(request.POST or None, prefix="c")
    if request.method == "POST" and all(f.is_valid() for f in (form, head, yearly, reason)):
        try:
            record = services.correct_create_household(
                actor=request.user, reason=reason.cleaned_data["reason"],
                household_no=form.cleaned_data["household_no"],
                village_code=form.cleaned_data["village_code"], year=form.cleaned_data["year"],
                head=head.service_fields(), **yearly.service_fields(),
            )
        except ValidationError as exc:
            _spread_errors(exc, form, head, yearly, reason)
        else:
            messages.success(request, _("已新建农户 %(no)s") % {"no": record.household.household_no})
            return redirect(f"{record.household.get_absolute_url()}?year={record.year}")
    return render(request, "registry/household_form.html",
                  {"form": form, "head": head, "yearly": yearly, "reason": reason, "title": _("新建农户"),
                   "entry_url": _case_url("entry")})


def _spread_errors(exc: ValidationError, *forms: object) -> None:
    """Put each field error on the form that has that field (head member errors on the head form)."""
    for field, msgs in exc.message_dict.items():
        target = next((f for f in forms if field in f.fields), forms[0])  # type: ignore[attr-defined]
        for m in msgs:
            target.add_error(field if field in target.fields else None, m)  # type: ignore[attr-defined]


@login_required
def household_edit(request: HttpRequest, household_no: str, year: int) -> HttpResponse:
    _require_editor(request)
    record = selectors.get_household_year(reader=request.user, household_no=household_no, year=year)
    masked = None if request.user.can_see_full_personal_data else show_phone(request.user, record.phone)
    form = HouseholdYearForm(request.POST or None, instance=record, prefix="y", masked_phone=masked)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household_year(actor=request.user, household_year=record, **form.service_fields())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{record.household.get_absolute_url()}?year={year}")
    fixed = [
        {"label": _("状态"), "value": record.get_status_display()},
        {"label": _("识别年度"), "value": record.identified_year or "—"},
        {"label": _("脱贫年度"), "value": record.exit_year or "—"},
    ]
    return render(request, "registry/record_form.html", {
        "form": form, "record": record, "title": _("编辑户信息"), "fixed": fixed,
        "hint": _("状态、识别年度和脱贫年度只能通过案件变更:发起案件,经审核、公示、审定批准后由系统修改。"),
        "cases": _status_cases(record),
    })


@login_required
def member_create(request: HttpRequest, household_no: str, year: int) -> HttpResponse:
    """Adding a member (birth, marriage in) is a change case (自然变更): this page explains and links to it."""
    _require_editor(request)
    record = selectors.get_household_year(reader=request.user, household_no=household_no, year=year)
    return render(request, "registry/member_procedure.html", {
        "record": record, "title": _("添加成员"), "change_case_url": _case_url("change", record),
    }, status=409 if request.method == "POST" else 200)


@login_required
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    _require_editor(request)
    member = selectors.get_member(reader=request.user, member_id=member_id)
    record = member.household_year
    form = MemberForm(request.POST or None, instance=member)
    if not request.user.can_see_full_personal_data:
        # The birth date is the masked part of the ID number, so it is withheld as well.
        form.initial["id_number"] = ""
        form.initial["birth_date"] = None
        form.fields["id_number"].required = False
        form.fields["id_number"].help_text = _("当前为%(masked)s;留空表示不修改") % {
            "masked": show_id_number(request.user, member.person.id_number)}
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        # Masked readers never saw these two; blank means "unchanged".
        for name in ("id_number", "birth_date"):
            if not fields.get(name):
                fields[name] = getattr(member.person, name)
        try:
            services.update_member(actor=request.user, member=member, **fields)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已保存"))
            return redirect(f"{record.household.get_absolute_url()}?year={record.year}")
    fixed = [
        {"label": _("成员状态"), "value": member.get_member_status_display()},
        {"label": _("变动日期"), "value": member.change_date or "—"},
    ]
    return render(request, "registry/record_form.html", {
        "form": form, "record": record, "title": _("编辑成员"), "fixed": fixed,
        "hint": _("成员状态(死亡、迁出)与成员的增减只能通过“自然变更”案件办理。"),
        "cases": [{"label": CASE_LABELS["change"], "url": _case_url("change", record)}],
    })


@login_required
def household_change_head(request: HttpRequest, household_no: str, year: int) -> HttpResponse:
    _require_editor(request)
    record = selectors.get_household_year(reader=request.user, household_no=household_no, year=year)
    members = list(selectors.members_of(household_year=record))
    form = ChangeHeadForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_head(actor=request.user, household_year=record,
                                 new_head=form.members[form.cleaned_data["new_head"]],
                                 old_head_relation=form.cleaned_data["old_head_relation"])
        except ValidationError as exc:
            for messages_ in exc.message_dict.values():
                for m in messages_:
                    form.add_error(None, m)
        else:
            messages.success(request, _("已更换户主"))
            return redirect(f"{record.household.get_absolute_url()}?year={year}")
    return render(request, "form_page.html", {"form": form, "record": record, "title": _("更换户主")})
