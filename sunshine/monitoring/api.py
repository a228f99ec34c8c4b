"""The monitoring API: warnings (list with counts, detail, verify, add a measure, clear, hand over) and monitored
households, read through the selectors (the reader's scope) and changed through sunshine.monitoring.workflow.
ID numbers are masked by role (sunshine.monitoring.display); full reads go to the access log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text
from sunshine.monitoring import display, selectors, workflow
from sunshine.monitoring.models import EarlyWarning
from sunshine.monitoring.schemas import (
    ClearIn,
    HandOverIn,
    MeasureIn,
    MonitoredOut,
    MonitoredPage,
    MonitoredQuery,
    WarningDetailOut,
    WarningPage,
    WarningQuery,
    WarningVerifyIn,
)

router = Router()
WARNINGS = ["monitoring 监测预警"]
MONITORED = ["monitored 监测户(档外)"]


def _log_list(request: HttpRequest, object_type: str, page: int) -> None:
    if request.auth.can_see_full_personal_data:
        log_access(user=request.auth, action=AccessAction.API_READ, object_type=object_type, object_ref=str(page),
                   detail=mask_text(request.META.get("QUERY_STRING", "")), request=request)


@router.get("/warnings", response={200: WarningPage, **READ_ERRORS}, tags=WARNINGS,
            summary="监测预警列表(您的管辖范围;可筛选、分页;附按类型、按状态计数)")
def list_warnings(request: HttpRequest, filters: Query[WarningQuery]) -> dict[str, Any]:
    on = workflow.today()
    wanted = selectors.WarningFilter(
        code=filters.code, status=filters.status, year=filters.year, division=filters.division,
        escalation=filters.escalation, overdue=filters.overdue, score_min=filters.score_min,
        score_max=filters.score_max, mine=filters.mine, household_no=filters.household_no,
    )
    qs = selectors.warnings(request.auth, wanted, today=on)
    count, rows = paginate(qs, filters.page, filters.page_size)
    if rows:
        _log_list(request, "warning_list", filters.page)
    return {
        "count": count, "page": filters.page, "page_size": filters.page_size,
        "by_code": [{"code": c["code"], "label": c["label"], "count": c["n"]} for c in selectors.counts_by_code(qs)],
        "by_status": [{"status": c["status"], "label": c["label"], "count": c["n"]}
                      for c in selectors.counts_by_status(qs)],
        "items": [display.warning_item(request.auth, w, on) for w in display.with_head_names(rows)],
    }


def _detail(request: HttpRequest, warning: EarlyWarning) -> dict[str, Any]:
    reader = request.auth
    log_full_read(reader, "warning", str(warning.pk), request)
    display.with_head_names([warning])
    return {
        **display.warning_item(reader, warning, workflow.today()),
        "contributions": display.contributions(warning),
        "measures": [display.measure_item(reader, m) for m in selectors.measures_of(warning)],
        "events": [display.event_item(reader, e) for e in selectors.events_of(warning)],
        "next_steps": list(workflow.next_steps(reader, warning)),
    }


@router.get("/warnings/{id}", response={200: WarningDetailOut, **READ_ERRORS}, tags=WARNINGS,
            summary="监测预警详情:评分构成、帮扶措施与处理记录")
def get_warning(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the route's parameter name
    return _detail(request, selectors.get_warning(request.auth, id))


@router.post("/warnings/{id}/verify", response={200: WarningDetailOut, **ERROR_RESPONSES}, tags=WARNINGS,
             summary="核实:待核实 → 已核实(属实)/ 已核实(不属实)")
def verify_warning(request: HttpRequest, id: int, payload: WarningVerifyIn) -> dict[str, Any]:  # noqa: A002
    warning = selectors.get_warning(request.auth, id)
    workflow.verify(actor=request.auth, warning=warning, confirmed=payload.confirmed, note=payload.note)
    return _detail(request, warning)


@router.post("/warnings/{id}/measures", response={200: WarningDetailOut, **ERROR_RESPONSES}, tags=WARNINGS,
             summary="记录帮扶措施(已核实属实或帮扶中);第一项措施使预警进入帮扶中")
def add_measure(request: HttpRequest, id: int, payload: MeasureIn) -> dict[str, Any]:  # noqa: A002
    warning = selectors.get_warning(request.auth, id)
    workflow.add_measure(actor=request.auth, warning=warning, kind=payload.kind, amount=payload.amount,
                         date=payload.date, note=payload.note)
    return _detail(request, warning)


@router.post("/warnings/{id}/clear", response={200: WarningDetailOut, **ERROR_RESPONSES}, tags=WARNINGS,
             summary="风险消除:帮扶中 → 风险消除(须填写理由和日期)")
def clear_warning(request: HttpRequest, id: int, payload: ClearIn) -> dict[str, Any]:  # noqa: A002
    warning = selectors.get_warning(request.auth, id)
    workflow.clear(actor=request.auth, warning=warning, reason=payload.reason, date=payload.date)
    return _detail(request, warning)


@router.post("/warnings/{id}/hand-over", response={200: WarningDetailOut, **ERROR_RESPONSES}, tags=WARNINGS,
             summary="转入识别程序:已核实属实或帮扶中 → 转入识别程序")
def hand_over_warning(request: HttpRequest, id: int, payload: HandOverIn) -> dict[str, Any]:  # noqa: A002
    warning = selectors.get_warning(request.auth, id)
    workflow.hand_over(actor=request.auth, warning=warning, note=payload.note)
    return _detail(request, warning)


@router.get("/monitored", response={200: MonitoredPage, **READ_ERRORS}, tags=MONITORED,
            summary="监测户(档外)列表(您的管辖范围)")
def list_monitored(request: HttpRequest, filters: Query[MonitoredQuery]) -> dict[str, Any]:
    wanted = selectors.MonitoredFilter(year=filters.year, division=filters.division, source=filters.source,
                                       q=filters.q)
    count, rows = paginate(selectors.monitored_households(request.auth, wanted), filters.page, filters.page_size)
    if rows:
        _log_list(request, "monitored_list", filters.page)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [display.monitored_item(request.auth, m) for m in rows]}


@router.get("/monitored/{id}", response={200: MonitoredOut, **READ_ERRORS}, tags=MONITORED,
            summary="监测户(档外)详情")
def get_monitored(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002
    household = selectors.get_monitored(request.auth, id)
    log_full_read(request.auth, "monitored", str(household.pk), request)
    return display.monitored_item(request.auth, household)
