"""The grievance API: list (scoped, filtered), detail with events, actions, and the reporter endpoint.

No schema here has a reporter field except ReporterOut, returned only by ``/{id}/reporter`` to supervisors of
the grievance's county or above (logged, API_READ); everyone else gets 403. Registration by API is the
operator's (same rule as the page) and answers the query code once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, ErrorOut, PageQuery, paginate
from sunshine.core.choices import AccessAction
from sunshine.core.scope import show_text
from sunshine.grievance import selectors, services
from sunshine.grievance.models import GrievanceEvent

router = Router()
TAGS = ["grievances 12317举报"]
WRITE_ERRORS = {**ERROR_RESPONSES, 409: ErrorOut}


class GrievanceQuery(PageQuery):
    state: str = ""
    category: str = ""
    division: str = ""
    overdue: bool = False


class GrievanceOut(Schema):
    id: int
    number: str
    channel: str
    category: str
    division: str
    division_code: str
    subject: str
    state: str
    state_label: str
    registered_on: dt.date
    deadline: dt.date | None
    overdue: bool
    escalation: int
    escalated_to: str
    handling_division: str
    anonymous: bool
    confidential: bool
    outcome: str
    satisfaction: str


class GrievancePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[GrievanceOut]


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_state: str
    to_state: str
    note: str


class GrievanceDetailOut(GrievanceOut):
    content: str
    findings: str
    measures: str
    events: list[EventOut]
    actions: list[str]


class ActionIn(Schema):
    action: str
    note: str = ""
    reason: str = ""
    division: str = ""
    outcome: str = ""
    findings: str = ""
    measures: str = ""
    satisfaction: str = ""


class IntakeIn(Schema):
    channel: str = "hotline"
    category: str
    division: str
    subject: str = Field(..., max_length=200)
    content: str
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    confidential: bool = True
    household_no: str = ""
    project_no: str = ""
    payment_no: str = ""
    loan_no: str = ""
    case_id: str = ""
    finding_id: str = ""
    cadre_no: str = ""
    village_cadre_id: str = ""


class RegisteredOut(Schema):
    id: int
    number: str
    query_code: str


class ReporterOut(Schema):
    anonymous: bool
    name: str
    phone: str


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    reader = request.auth
    g = selectors.grievance_for(reader, pk)
    on = services.today()
    events = GrievanceEvent.objects.filter(grievance=g).order_by("at", "id")
    return {**selectors.row(g, reader, on), "content": show_text(reader, g.content),
            "findings": show_text(reader, g.findings), "measures": show_text(reader, g.measures),
            "events": [{"at": e.at, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
                        "note": show_text(reader, e.note)} for e in events],
            "actions": services.available_actions(reader, g)}


@router.get("", response={200: GrievancePage, **READ_ERRORS}, tags=TAGS, summary="12317举报列表(管辖范围;不含反映人)")
def list_grievances(request: HttpRequest, filters: Query[GrievanceQuery]) -> dict[str, Any]:
    on = services.today()
    data = {"state": filters.state, "category": filters.category, "division": filters.division,
            "overdue": filters.overdue}
    qs = selectors.filtered(request.auth, data, on)
    count, rows = paginate(qs, filters.page, filters.page_size)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [selectors.row(g, request.auth, on) for g in rows]}


@router.post("", response={201: RegisteredOut, **ERROR_RESPONSES}, tags=TAGS,
             summary="登记12317举报(县级受理部门);查询码只返回这一次")
def register(request: HttpRequest, payload: IntakeIn) -> Status:
    user = request.auth
    if not services.is_operator(user, payload.division or user.division_id or ""):
        raise PermissionDenied("登记12317举报由县级受理部门(县级管理、监督)办理")
    data = payload.dict()
    grievance, code = services.register(
        actor=user, channel=data["channel"], category=data["category"], division_code=data["division"],
        subject=data["subject"], content=data["content"], reporter_name=data["reporter_name"],
        reporter_phone=data["reporter_phone"], anonymous=data["anonymous"], confidential=data["confidential"],
        links={k: data[k] for k in services.LINK_FIELDS})
    return Status(201, {"id": grievance.pk, "number": grievance.number, "query_code": code})


@router.get("/{id}", response={200: GrievanceDetailOut, **READ_ERRORS}, tags=TAGS, summary="12317举报详情")
def get_grievance(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 - the route's parameter name
    return _detail(request, id)


@router.get("/{id}/reporter", response={200: ReporterOut, **ERROR_RESPONSES}, tags=TAGS,
            summary="反映人信息(仅县级及以上监督人员;记入访问日志)")
def get_reporter(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002
    g = selectors.grievance_for(request.auth, id)
    reporter = selectors.reporter_for(request.auth, g, request, via=AccessAction.API_READ)
    if reporter is None:
        raise PermissionDenied("反映人信息仅县级及以上纪检监督人员可查看")
    return reporter


@router.post("/{id}/actions", response={200: GrievanceDetailOut, **WRITE_ERRORS}, tags=TAGS,
             summary="办理:accept/reject/assign/investigate/note/conclude/follow_up/archive(状态不符:409)")
def act(request: HttpRequest, id: int, payload: ActionIn) -> dict[str, Any]:  # noqa: A002
    user = request.auth
    g = selectors.grievance_for(user, id)
    d = payload.dict()
    calls = {
        "accept": lambda: services.accept(actor=user, grievance=g, note=d["note"]),
        "reject": lambda: services.reject(actor=user, grievance=g, reason=d["reason"]),
        "assign": lambda: services.assign(actor=user, grievance=g, division_code=d["division"], note=d["note"]),
        "investigate": lambda: services.investigate(actor=user, grievance=g, note=d["note"]),
        "note": lambda: services.note(actor=user, grievance=g, text=d["note"]),
        "conclude": lambda: services.conclude(actor=user, grievance=g, outcome=d["outcome"],
                                              findings=d["findings"], measures=d["measures"]),
        "follow_up": lambda: services.follow_up(actor=user, grievance=g, satisfaction=d["satisfaction"],
                                                note=d["note"]),
        "archive": lambda: services.archive(actor=user, grievance=g, note=d["note"]),
    }
    if d["action"] not in calls:
        raise HttpError(422, "未知的操作")
    try:
        calls[d["action"]]()
    except services.GrievanceConflict as exc:
        raise HttpError(409, " ".join(exc.messages)) from exc
    return _detail(request, g.pk)
