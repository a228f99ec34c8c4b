"""Cases as the API and the CLI show them, personal data masked by the reader's role."""

from __future__ import annotations

from typing import Any

from sunshine.core.models import User
from sunshine.core.scope import show_id_number, show_phone, show_text
from sunshine.workflow import selectors, services, steps
from sunshine.workflow.models import Case, CaseStep, Objection


def _text(reader: User, text: str | None) -> str:
    return show_text(reader, text or "")


def subject(case: Case) -> tuple[str, str]:
    """(name, full ID number) of the household head, monitored head or applicant."""
    if case.household_id is not None:
        # All years (prefetched by lists): the case's year, else the nearest earlier one, else the first.
        years = sorted(case.household.years.all(), key=lambda r: r.year)
        earlier = [r for r in years if r.year <= case.year]
        row = earlier[-1] if earlier else (years[0] if years else None)
        return (row.head_name, row.head_id_number) if row else ("", "")
    if case.monitored_id is not None:
        return case.monitored.head_name, case.monitored.head_id_number
    a = case.applicant or {}
    return str(a.get("name") or ""), str(a.get("id_number") or "")


def case_item(reader: User, case: Case) -> dict[str, Any]:
    name, number = subject(case)
    role = services.next_role(case)
    return {
        "id": case.pk, "case_type": case.case_type, "case_type_label": case.get_case_type_display(),
        "year": case.year, "status": case.status, "status_label": str(case.get_status_display()),
        "step": case.step if role else None, "step_label": steps.step_label(case.step) if role else "",
        "awaiting_role": str(role.label) if role else None,
        "household_no": case.household.household_no if case.household_id else None,
        "monitored_id": case.monitored_id, "name": name, "id_number": show_id_number(reader, number),
        "division_code": case.division_id, "division_name": case.division.name,
        "change_kind": case.change_kind or None, "source": case.source, "source_ref": case.source_ref,
        "adjustment_id": case.adjustment_id, "notice_start": case.notice_start, "notice_end": case.notice_end,
        "opened_at": case.opened_at, "closed_at": case.closed_at,
    }


def _user(u: User | None) -> str | None:
    return (u.full_name or u.username) if u is not None else None


def action_item(reader: User, a: CaseStep) -> dict[str, Any]:
    return {"id": a.pk, "step": a.step, "step_label": a.get_step_display(), "index": a.index,
            "decision": a.decision, "decision_label": str(a.get_decision_display()), "note": _text(reader, a.note),
            "attachment": bool(a.attachment), "actor": _user(a.actor), "at": a.at,
            "assessment_run_id": a.assessment.run_id if a.assessment_id else None}


def objection_item(reader: User, o: Objection) -> dict[str, Any]:
    return {"id": o.pk, "submitted_at": o.submitted_at, "name": _text(reader, o.name),
            "contact": show_phone(reader, o.contact),
            "content": _text(reader, o.content), "status": o.status, "status_label": str(o.get_status_display()),
            "handled_by": _user(o.handled_by), "handled_at": o.handled_at, "resolution": _text(reader, o.resolution)}


def _mask_payload(reader: User, value: Any) -> Any:
    # One masking for pages and API: sunshine.workflow.payload_display.
    from sunshine.workflow.payload_display import mask_payload

    return mask_payload(reader, value)


def step_items(case: Case) -> list[dict[str, Any]]:
    closed = services.next_role(case) is None
    out = []
    for i, code in enumerate(case.steps):
        state = "done" if i < case.current_step or (closed and case.status == "approved") else (
            "current" if i == case.current_step and not closed else "pending")
        out.append({"index": i, "step": code, "label": steps.step_label(code),
                    "role": str(steps.role_for(code).label), "state": state})
    return out


def case_detail(reader: User, case: Case) -> dict[str, Any]:
    found = services.eligibility(case)
    findings = services.findings_for(case)[:50] if case.case_type == "entry" else []
    return {
        **case_item(reader, case), "reason": _text(reader, case.reason), "steps": step_items(case),
        "actions": [action_item(reader, a) for a in selectors.actions_of(case)],
        "objections": [objection_item(reader, o) for o in selectors.objections_of(case)],
        "eligibility": {"ok": found.ok, "result": found.result, "run_id": found.run_id,
                        "standard_version": found.standard_version, "criteria": found.criteria,
                        "explanation": _text(reader, found.explanation), "message": _text(reader, found.message)},
        "findings": [{"id": x.pk, "rule": x.rule, "year": x.year, "status": x.status,
                      "explanation": _text(reader, x.explanation)} for x in findings],
        "payload": _mask_payload(reader, case.payload or {}),
        "registry_changes": _mask_payload(reader, case.registry_changes or []),
        "may_act": services.may_act(reader, case),
    }
