"""The registry API: households and members, read through the selectors (the reader's scope) and written
through the services (role, scope, validation, history). Schemas are in sunshine.registry.schemas."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.registry import choices as c
from sunshine.registry import selectors, services
from sunshine.registry.models import HouseholdYear
from sunshine.registry.schemas import (
    HOUSEHOLD_REQUIRED,
    HOUSEHOLD_TEXT_FIELDS,
    MEMBER_REQUIRED,
    MEMBER_TEXT_FIELDS,
    HouseholdCreateIn,
    HouseholdDetailOut,
    HouseholdPage,
    HouseholdPatch,
    HouseholdQuery,
    MemberIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MemberQuery,
    household_detail_out,
    household_item_out,
    member_out,
)

router = Router()
HOUSEHOLDS = ["households 农户"]
MEMBERS = ["members 成员"]


def _year(year: int | None) -> int:
    return year or settings.SUNSHINE_DEFAULT_YEAR


def _for_db(changes: dict[str, Any], text_fields: frozenset[str], required: frozenset[str]) -> dict[str, Any]:
    """null → "" for text fields that may be empty; null for a required field is an error."""
    refused = sorted(k for k, v in changes.items() if v is None and k in required)
    if refused:
        raise ValidationError({k: ["不能为空"] for k in refused})
    return {k: ("" if v is None and k in text_fields else v) for k, v in changes.items()}


def _log_list(request: HttpRequest, object_type: str, year: int) -> None:
    """A page of unmasked numbers is a read of full records: one access-log row per page."""
    user = request.auth
    if user.can_see_full_personal_data:
        log_access(
            user=user, action=AccessAction.API_READ, object_type=object_type, object_ref=str(year),
            detail=mask_text(request.META.get("QUERY_STRING", "")), request=request,
        )


def _detail(request: HttpRequest, record: HouseholdYear) -> dict[str, Any]:
    reader = request.auth
    household = record.household
    members = list(selectors.members_of(household_year=record))
    for m in members:
        m.household_year = record
    log_full_read(reader, "household", household.household_no, request)
    return household_detail_out(reader, record, members, selectors.household_year_list(household=household))


# --- households ---------------------------------------------------------------------------------------


@router.get("/households", response={200: HouseholdPage, **READ_ERRORS}, tags=HOUSEHOLDS,
            summary="农户列表(一年度;可筛选、分页)")
def list_households(request: HttpRequest, filters: Query[HouseholdQuery]) -> dict[str, Any]:
    year = _year(filters.year)
    qs = selectors.household_years(
        reader=request.auth,
        filters=selectors.HouseholdFilter(
            year=year, division=filters.division, status=filters.status,
            household_type=filters.household_type, main_cause=filters.main_cause, q=filters.q,
        ),
    ).annotate(n_active=Count("members", filter=Q(members__member_status=c.MemberStatus.ACTIVE)))
    count, rows = paginate(qs, filters.page, filters.page_size)
    _log_list(request, "household_list", year)
    return {
        "count": count, "page": filters.page, "page_size": filters.page_size,
        "items": [household_item_out(request.auth, r, r.n_active) for r in rows],
    }


@router.get("/households/{household_no}", response={200: HouseholdDetailOut, **READ_ERRORS}, tags=HOUSEHOLDS,
            summary="农户详情(含成员);不指定年度时为最近年度")
def get_household(request: HttpRequest, household_no: str, year: int | None = None) -> dict[str, Any]:
    record = selectors.get_household_year(reader=request.auth, household_no=household_no, year=year)
    return _detail(request, record)


@router.get("/households/{household_no}/{year}", response={200: HouseholdDetailOut, **READ_ERRORS},
            tags=HOUSEHOLDS, summary="农户某年度详情(含成员)")
def get_household_year(request: HttpRequest, household_no: str, year: int) -> dict[str, Any]:
    record = selectors.get_household_year(reader=request.auth, household_no=household_no, year=year)
    return _detail(request, record)


@router.post("/households", response={201: HouseholdDetailOut, **ERROR_RESPONSES}, tags=HOUSEHOLDS,
             summary="新建农户(或已有农户的新年度)及其户主:即纳入建档立卡,须通过“纳入”案件办理,此处返回 422")
def create_household(request: HttpRequest, payload: HouseholdCreateIn) -> Status[dict[str, Any]]:
    fields = payload.model_dump(exclude={"household_no", "village_code", "year", "head"}, exclude_none=True)
    record = services.create_household(
        actor=request.auth, household_no=payload.household_no, village_code=payload.village_code.strip(),
        year=payload.year, head=payload.head.model_dump(exclude_none=True), **fields,
    )
    return Status(201, _detail(request, record))


@router.patch("/households/{household_no}/{year}", response={200: HouseholdDetailOut, **ERROR_RESPONSES},
              tags=HOUSEHOLDS, summary="修改农户某年度信息(只改所传字段)")
def update_household(request: HttpRequest, household_no: str, year: int, payload: HouseholdPatch
                     ) -> dict[str, Any]:
    record = selectors.get_household_year(reader=request.auth, household_no=household_no, year=year)
    changes = _for_db(payload.model_dump(exclude_unset=True), HOUSEHOLD_TEXT_FIELDS, HOUSEHOLD_REQUIRED)
    record = services.update_household_year(actor=request.auth, household_year=record, **changes)
    return _detail(request, record)


@router.post("/households/{household_no}/{year}/members", response={201: MemberOut, **ERROR_RESPONSES},
             tags=MEMBERS, summary="为农户某年度增加成员:须通过“自然变更”案件办理,此处返回 422")
def add_member(request: HttpRequest, household_no: str, year: int, payload: MemberIn
               ) -> Status[dict[str, Any]]:
    record = selectors.get_household_year(reader=request.auth, household_no=household_no, year=year)
    member = services.add_member(actor=request.auth, household_year=record, **payload.model_dump(exclude_none=True))
    member.household_year = record
    log_full_read(request.auth, "member", f"{household_no}/{member.pk}", request)
    return Status(201, member_out(request.auth, member))


# --- members ------------------------------------------------------------------------------------------


@router.get("/members", response={200: MemberPage, **READ_ERRORS}, tags=MEMBERS, summary="成员列表(一年度;分页)")
def list_members(request: HttpRequest, filters: Query[MemberQuery]) -> dict[str, Any]:
    year = _year(filters.year)
    qs = selectors.member_years(
        reader=request.auth, year=year, household_no=filters.household_no, division=filters.division
    )
    count, rows = paginate(qs, filters.page, filters.page_size)
    _log_list(request, "member_list", year)
    return {
        "count": count, "page": filters.page, "page_size": filters.page_size,
        "items": [member_out(request.auth, m) for m in rows],
    }


@router.get("/members/{member_id}", response={200: MemberOut, **READ_ERRORS}, tags=MEMBERS, summary="成员详情")
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    member = selectors.get_member(reader=request.auth, member_id=member_id)
    log_full_read(request.auth, "member", f"{member.household_year.household.household_no}/{member.pk}", request)
    return member_out(request.auth, member)


@router.patch("/members/{member_id}", response={200: MemberOut, **ERROR_RESPONSES}, tags=MEMBERS,
              summary="修改成员信息(只改所传字段)")
def update_member(request: HttpRequest, member_id: int, payload: MemberPatch) -> dict[str, Any]:
    member = selectors.get_member(reader=request.auth, member_id=member_id)
    changes = _for_db(payload.model_dump(exclude_unset=True), MEMBER_TEXT_FIELDS, MEMBER_REQUIRED)
    member = services.update_member(actor=request.auth, member=member, **changes)
    log_full_read(request.auth, "member", f"{member.household_year.household.household_no}/{member.pk}", request)
    return member_out(request.auth, member)
