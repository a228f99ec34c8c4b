"""The comparison API: runs (list, summary) and findings (list, detail, verify, rectify), read through the
selectors (the reader's scope) and changed through sunshine.comparison.workflow. ID numbers are masked by
role (sunshine.comparison.display); full reads go to the access log. Attachments are uploaded from the
finding page; the API links to them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router

from sunshine.comparison import display, selectors, workflow
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.schemas import (
    ComparisonRunPage,
    ComparisonRunQuery,
    FindingDetailOut,
    FindingPage,
    FindingQuery,
    FindingVerifyIn,
    RectifyIn,
    RunDetailOut,
)
from sunshine.core.api import ERROR_RESPONSES, READ_ERRORS, paginate
from sunshine.core.audit import log_access, log_full_read
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text

router = Router()
RUNS = ["comparison 数据比对"]
FINDINGS = ["findings 比对发现"]


def run_out(run: ComparisonRun) -> dict[str, Any]:
    return {
        "id": run.pk, "year": run.year, "division_code": run.division_id, "division_name": run.division.name,
        "rules": list(run.rules or []), "engine": run.engine, "status": run.status, "progress": run.progress,
        "stage": run.stage, "message": mask_text(run.message), "rerun_of": run.rerun_of_id,
        "created_by": run.created_by.username if run.created_by_id else None, "created_at": run.created_at,
        "finished_at": run.finished_at, "seconds": run.seconds,
    }


@router.get("/runs", response={200: ComparisonRunPage, **READ_ERRORS}, tags=RUNS, summary="比对批次列表(您的管辖范围)")
def list_runs(request: HttpRequest, filters: Query[ComparisonRunQuery]) -> dict[str, Any]:
    qs = selectors.visible_runs(request.auth)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    count, rows = paginate(qs, filters.page, filters.page_size)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [run_out(r) for r in rows]}


@router.get("/runs/{run_id}", response={200: RunDetailOut, **READ_ERRORS}, tags=RUNS,
            summary="比对批次概要:所用部门数据,按规则、按县(区)的发现数(您管辖范围内)")
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    run = selectors.get_run(request.auth, run_id)
    summary = selectors.run_summary(request.auth, run)
    return {
        **run_out(run),
        "loads": [{"dataset": load.dataset, "dataset_label": load.get_dataset_display(), "version": load.version,
                   "as_of": load.as_of, "rows": load.rows, "hashed": load.hashed}
                  for load in run.loads.order_by("dataset", "-version")],
        "whole": selectors.run_covers_reader(request.auth, run),
        "total": summary.total, "new": summary.new, "recurring": summary.recurring, "by_status": summary.by_status,
        "by_rule": [{"code": r["code"], "title": r["title"], "severity": r["severity"], "count": r["n"],
                     "seconds": r["seconds"]} for r in summary.by_rule],
        "by_county": [{"code": c["code"], "name": c["name"], "count": c["n"]} for c in summary.by_county],
    }


@router.get("/findings", response={200: FindingPage, **READ_ERRORS}, tags=FINDINGS,
            summary="比对发现列表(您的管辖范围;可筛选、分页)")
def list_findings(request: HttpRequest, filters: Query[FindingQuery]) -> dict[str, Any]:
    on = workflow.today()
    wanted = selectors.FindingFilter(
        rule=filters.rule, status=filters.status, severity=filters.severity, year=filters.year,
        division=filters.division, overdue=filters.overdue, run=filters.run, match=filters.match,
        dataset=filters.dataset, household_no=filters.household_no, kind=filters.kind,
    )
    count, rows = paginate(selectors.findings(request.auth, wanted, today=on), filters.page, filters.page_size)
    if rows and request.auth.can_see_full_personal_data:
        log_access(user=request.auth, action=AccessAction.API_READ, object_type="finding_list",
                   object_ref=str(filters.page), detail=mask_text(request.META.get("QUERY_STRING", "")),
                   request=request)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "items": [display.finding_item(request.auth, f, on) for f in rows]}


def _detail(request: HttpRequest, finding: Finding) -> dict[str, Any]:
    reader = request.auth
    log_full_read(reader, "finding", str(finding.pk), request)
    events = []
    for e in selectors.events_of(finding):
        item = display.event_item(reader, e)
        item["attachment_url"] = reverse("comparison_attachment", args=[e.pk]) if e.attachment else None
        events.append(item)
    return {
        **display.finding_item(reader, finding, workflow.today()),
        "evidence": display.evidence_for(reader, finding.evidence),
        "occurrences": [{"run_id": o.run_id, "recurring": o.recurring, "created_at": o.run.created_at}
                        for o in selectors.occurrences_of(reader, finding)],
        "later_ids": [f.pk for f in selectors.linked_findings(reader, finding)[1]],
        "events": events,
        "can_act": workflow.may_act(reader, finding),
    }


@router.get("/findings/{id}", response={200: FindingDetailOut, **READ_ERRORS}, tags=FINDINGS,
            summary="比对发现详情:部门数据、匹配方式、批次与处理记录")
def get_finding(request: HttpRequest, id: int) -> dict[str, Any]:  # noqa: A002 — the route's parameter name
    return _detail(request, selectors.get_finding(request.auth, id))


@router.post("/findings/{id}/verify", response={200: FindingDetailOut, **ERROR_RESPONSES}, tags=FINDINGS,
             summary="核实:待核实 → 核实属实 / 核实不属实(须填写说明)")
def verify_finding(request: HttpRequest, id: int, payload: FindingVerifyIn) -> dict[str, Any]:  # noqa: A002
    finding = selectors.get_finding(request.auth, id)
    workflow.verify(actor=request.auth, finding=finding, confirmed=payload.confirmed, note=payload.note)
    return _detail(request, finding)


@router.post("/findings/{id}/rectify", response={200: FindingDetailOut, **ERROR_RESPONSES}, tags=FINDINGS,
             summary="整改:核实属实 → 已整改(须填写说明)")
def rectify_finding(request: HttpRequest, id: int, payload: RectifyIn) -> dict[str, Any]:  # noqa: A002
    finding = selectors.get_finding(request.auth, id)
    workflow.rectify(actor=request.auth, finding=finding, note=payload.note)
    return _detail(request, finding)
