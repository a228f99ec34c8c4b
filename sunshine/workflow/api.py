"""The cases API (mounted at /api/cases): list (filters, or the reader's inbox), detail with steps, actions,
objections, the exit guard's assessment and an entry's comparison findings; open a case; sign the current step;
handle an objection. Reads go through the selectors (the reader's scope: another village's case is 404); writes
through sunshine.workflow.services (a role that may not sign the step: 403; a step that is not the current
one — a stale form or an attempt to skip: 409; any other rule: 422)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, ErrorOut, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.workflow import display, selectors, services
from sunshine.workflow.schemas import AdvanceIn, CaseDetailOut, CasePage, CaseQuery, HandleObjectionIn, OpenIn

router = Router()
TAGS = ["cases 识别退出程序"]
WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorOut}


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = selectors.get_case(request.auth, case_id)
    log_full_read(request.auth, "case", str(case.pk), request)
    return display.case_detail(request.auth, case)


@router.get("", response={200: CasePage, **READ_ERRORS}, tags=TAGS,
            summary="案件列表(您的管辖范围;可筛选、分页;awaiting=true 为待我办理)")
def list_cases(request: HttpRequest, filters: Query[CaseQuery]) -> dict[str, Any]:
    wanted = selectors.CaseFilter(status=filters.status, case_type=filters.case_type, division=filters.division,
                                  year=filters.year, step=filters.step, q=filters.q, adjustment=filters.adjustment)
    qs = selectors.cases(request.auth, wanted)
    if filters.awaiting:
        qs = qs.filter(pk__in=services.awaiting(request.auth).values("pk"))
    count, rows = paginate(qs, filters.page, filters.page_size)
    if rows and request.auth.can_see_full_personal_data:
        # The items carry full ID numbers for this reader: a read of full records, one access-log row per page
        # (as the households, findings and warnings lists).
        log_access(user=request.auth, action=AccessAction.API_READ, object_type="case_list",
                   object_ref=str(filters.page), detail=mask_text(request.META.get("QUERY_STRING", "")),
                   request=request)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [display.case_item(request.auth, c) for c in rows]}


@router.get("/{id}", response={200: CaseDetailOut, **READ_ERRORS}, tags=TAGS,
            summary="案件详情:步骤、签字记录、公示异议、评估依据、比对发现")
def get_case(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the route's parameter name
    return _detail(request, id)


@router.post("", response={201: CaseDetailOut, **ERROR_RESPONSES}, tags=TAGS,
             summary="发起案件(纳入、标注脱贫、返贫、自然变更、销户)")
def open_case(request: HttpRequest, payload: OpenIn) -> Status:
    from sunshine.monitoring import selectors as monitoring_selectors
    from sunshine.registry import selectors as registry_selectors

    household = (registry_selectors.get_household(reader=request.auth, household_no=payload.household_no)
                 if payload.household_no else None)
    monitored = (monitoring_selectors.get_monitored(request.auth, payload.monitored_id)
                 if payload.monitored_id else None)
    case = services.open_case(actor=request.auth, case_type=payload.case_type, year=payload.year,
                              household=household, monitored=monitored, applicant=payload.applicant,
                              change_kind=payload.change_kind or "", payload=payload.payload, reason=payload.reason)
    return Status(201, _detail(request, case.pk))


@router.post("/{id}/advance", response={200: CaseDetailOut, **WRITE_ERRORS}, tags=TAGS,
             summary="办理当前步骤:同意(进入下一步)、退回(回到上一步,须填理由)、不予批准(仅县级审定)")
def advance_case(request: HttpRequest, id: int, payload: AdvanceIn) -> dict[str, Any]:  # noqa: A002
    case = selectors.get_case(request.auth, id)
    try:
        services.advance(actor=request.auth, case=case, step=payload.step, decision=payload.decision,
                         note=payload.note)
    except services.StepConflict as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    return _detail(request, id)


@router.post("/objections/{id}/handle", response={200: CaseDetailOut, **ERROR_RESPONSES}, tags=TAGS,
             summary="处理公示异议:成立(退回民主评议)或不成立")
def handle_objection(request: HttpRequest, id: int, payload: HandleObjectionIn) -> dict[str, Any]:  # noqa: A002
    objection = selectors.get_objection(request.auth, id)
    services.handle_objection(actor=request.auth, objection=objection, upheld=payload.upheld,
                              resolution=payload.resolution)
    return _detail(request, objection.case_id)
