"""What the warning pages and the API show of a warning and of a monitored household: Chinese labels for codes,
signals, statuses and levels, and the personal data masked by role.

Masked roles (village clerk, township reviewer, provincial analyst) see ID numbers as 320321********123X and
phones masked; explanations and notes pass through the same masking (they should name no ID, but a note is
typed by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sunshine.core.models import User
from sunshine.core.scope import show_id_number, show_phone, show_text
from sunshine.monitoring.choices import EscalationLevel, MeasureKind, MonitoredSource, WarningCode, WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure, MonitoredHousehold, WarningEvent
from sunshine.monitoring.workflow import is_overdue, today

STATUS_LABELS = dict(WarningStatus.choices)
LEVEL_LABELS = dict(EscalationLevel.choices)
CODE_LABELS = dict(WarningCode.choices)
ACTION_LABELS = {
    "raised": "监测预警", "raise": "监测预警", "created": "监测预警",
    "recurred": "再次预警", "updated": "预警更新", "rescored": "重新评分",
    "escalated": "逾期督办", "escalate": "逾期督办", "assigned": "指定帮扶责任人", "assign": "指定帮扶责任人",
    "verify": "核实", "measure": "帮扶措施", "clear": "风险消除", "hand_over": "转入识别程序",
}


def signal_labels() -> dict[str, str]:
    """Signal code → Chinese, from the engine's vocabulary (an unknown signal is shown by its code)."""
    from sunshine.engine import vocabulary

    return dict(getattr(vocabulary, "SIGNAL_LABELS", {}))


def masked(reader: User) -> bool:
    return not reader.can_see_full_personal_data


def text_for(reader: User, text: str | None) -> str:
    """Free text (explanations, notes, reasons) as this reader may see it: IDs and phones masked."""
    return show_text(reader, text) if masked(reader) else (text or "")


def code_label(code: str) -> str:
    return str(CODE_LABELS.get(code, code))


def contributions(warning: EarlyWarning) -> list[dict[str, Any]]:
    """The score's parts, largest first: signal, its Chinese label (the code until the engine names it), points."""
    labels = signal_labels()
    raw = warning.contributions or {}
    pairs = raw.items() if isinstance(raw, dict) else (
        (c.get("signal"), c.get("points")) for c in raw if isinstance(c, dict))
    parts = [{"signal": str(s), "label": labels.get(str(s), str(s)), "points": int(p or 0)} for s, p in pairs]
    return sorted(parts, key=lambda p: (-p["points"], p["signal"]))


def subject(reader: User, w: EarlyWarning) -> dict[str, Any]:
    """Who the warning is about: a registered household (by number) or a monitored household outside it."""
    if w.household_id:
        return {"kind": "registered", "household_no": w.household.household_no, "monitored_id": None,
                "number": None, "name": getattr(w, "head_name", None) or "", "id_number": ""}
    if w.monitored_id:
        m = w.monitored
        return {"kind": "monitored", "household_no": None, "monitored_id": m.pk, "number": m.number,
                "name": m.head_name, "id_number": show_id_number(reader, m.head_id_number)}
    return {"kind": "unknown", "household_no": None, "monitored_id": None, "number": None, "name": "",
            "id_number": ""}


def warning_item(reader: User, w: EarlyWarning, on: dt.date | None = None) -> dict[str, Any]:
    """The fields of a warning that lists (pages and API) show."""
    on = on or today()
    who = subject(reader, w)
    return {
        "id": w.pk,
        "year": w.year,
        "codes": list(w.codes or []),
        "code_labels": [code_label(c) for c in w.codes or []],
        "score": w.score,
        "status": w.status,
        "status_label": str(STATUS_LABELS.get(w.status, w.status)),
        "subject": who["kind"],
        "household_no": who["household_no"],
        "monitored_id": who["monitored_id"],
        "monitored_number": who["number"],
        "name": who["name"],
        "id_number": who["id_number"],
        "division_code": w.division_id,
        "division_name": w.division.name,
        "explanation": text_for(reader, w.explanation),
        "deadline": w.deadline,
        "overdue": is_overdue(w, on),
        "days_over": max((on - w.deadline).days, 0) if is_overdue(w, on) else 0,
        "escalation": w.escalation,
        "escalation_label": str(LEVEL_LABELS.get(w.escalation, w.escalation)),
        "assigned_to": (w.assigned_to.full_name or w.assigned_to.username) if w.assigned_to_id else None,
        "resolution_note": text_for(reader, w.resolution_note),
        "resolved_on": w.resolved_on,
    }


def with_head_names(items: list[EarlyWarning]) -> list[EarlyWarning]:
    """Set ``head_name`` on warnings about registered households, from their record of the warning's year (or
    the latest one): one query for the whole page."""
    from sunshine.registry.models import HouseholdYear

    ids = {w.household_id for w in items if w.household_id}
    if not ids:
        return items
    names: dict[tuple[int, int], str] = {}
    latest: dict[int, str] = {}
    for hid, year, name in (HouseholdYear.objects.filter(household_id__in=ids)
                            .order_by("household_id", "year").values_list("household_id", "year", "head_name")):
        names[(hid, year)] = name
        latest[hid] = name
    for w in items:
        if w.household_id:
            w.head_name = names.get((w.household_id, w.year)) or latest.get(w.household_id, "")  # type: ignore[attr-defined]
    return items


def measure_item(reader: User, m: Measure) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "kind_label": str(dict(MeasureKind.choices).get(m.kind, m.kind)),
        "amount": m.amount,
        "date": m.date,
        "note": text_for(reader, m.note),
        "created_by": (m.created_by.full_name or m.created_by.username) if m.created_by_id else None,
    }


def event_item(reader: User, e: WarningEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "at": e.at,
        "user": (e.user.full_name or e.user.username) if e.user_id else None,
        "action": e.action,
        "action_label": ACTION_LABELS.get(e.action, e.action),
        "from_status": e.from_status or None,
        "from_label": str(STATUS_LABELS.get(e.from_status, "")) if e.from_status else "",
        "to_status": e.to_status or None,
        "to_label": str(STATUS_LABELS.get(e.to_status, "")) if e.to_status else "",
        "note": text_for(reader, e.note),
        "run_id": e.run_id,
    }


def monitored_item(reader: User, m: MonitoredHousehold) -> dict[str, Any]:
    return {
        "id": m.pk,
        "number": m.number,
        "year": m.year,
        "division_code": m.division_id,
        "division_name": m.division.name,
        "head_name": m.head_name,
        "head_id_number": show_id_number(reader, m.head_id_number),
        "phone": show_phone(reader, m.phone),
        "members": m.members,
        "per_capita_income": m.per_capita_income,
        "source": m.source,
        "source_label": str(dict(MonitoredSource.choices).get(m.source, m.source)),
        "note": text_for(reader, m.note),
        "open_warnings": getattr(m, "open_warnings", None),
        "created_at": m.created_at,
    }
