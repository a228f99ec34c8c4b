"""What the finding pages and the API show of a finding: labels, and the personal data masked by role.

Masked roles (village clerk, township reviewer, provincial analyst) see ID numbers as 320321********123X —
in the finding's own fields and inside the department's evidence rows, where every value that looks like an
18- or 15-character ID is masked (the 身份证号哈希 column is not personal data and is shown). Birth dates in
the evidence are withheld from them as well: they are the masked digits of the ID."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.comparison.workflow import is_overdue
from sunshine.core.ids import mask_id_number, mask_text
from sunshine.core.models import User
from sunshine.core.scope import show_id_number, show_text
from sunshine.engine.comparison.catalogue import MATCH_LABELS, RULES, SEVERITY_LABELS

_ID_LIKE = re.compile(r"\d{17}[\dXx]|\d{15}")
_OLD_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{6}(\d{3})(?![0-9A-Za-z])")  # legacy 15-digit IDs
HASH_LABEL = "身份证号哈希"
BIRTH_LABELS = ("出生日期",)
WITHHELD = "****-**-**"
STATUS_LABELS = dict(FindingStatus.choices)
ACTION_LABELS = {
    "raised": "比对发现", "raise": "比对发现", "created": "比对发现", "found": "比对发现",
    "recurred": "再次发现", "recur": "再次发现", "raised_again": "再次发现", "again": "再次发现",
    "verify": "核实", "verified": "核实", "rectify": "整改", "rectified": "整改",
}


def masked(reader: User) -> bool:
    return not reader.can_see_full_personal_data


def mask_value(key: str, value: Any) -> Any:
    """One evidence value as a masked reader may see it."""
    if key == HASH_LABEL or value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if any(label in key for label in BIRTH_LABELS):
        return WITHHELD if text else text
    stripped = text.strip()
    if _ID_LIKE.fullmatch(stripped):
        return mask_id_number(stripped.upper()) if len(stripped) == 18 else stripped[:6] + "*" * 6 + stripped[12:]
    return _mask_in_text(text)


def _mask_in_text(text: str) -> str:
    return _OLD_ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 6 + m.group(2), mask_text(text))


def evidence_for(reader: User, evidence: Any) -> list[dict[str, Any]]:
    """The department rows, each a {Chinese column label: value} dict, masked for masked readers."""
    rows = [r for r in (evidence or []) if isinstance(r, dict)] if isinstance(evidence, list) else (
        [evidence] if isinstance(evidence, dict) else [])
    if not masked(reader):
        return [dict(r) for r in rows]
    return [{k: mask_value(str(k), v) for k, v in r.items()} for r in rows]


def evidence_table(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Columns (in first-seen order) and the rows' values under them, for a side-by-side table."""
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    return columns, [[r.get(c) for c in columns] for r in rows]


def text_for(reader: User, text: str | None) -> str:
    """Free text (explanations, verification and rectification notes) as this reader may see it: ID numbers
    (legacy 15-digit ones too) and phone numbers masked for masked roles."""
    return _mask_in_text(show_text(reader, text)) if masked(reader) else (text or "")


def rule_title(code: str) -> str:
    from sunshine.engine.funds.catalogue import RULES as FUNDS_RULES

    rule = RULES.get(code) or FUNDS_RULES.get(code)
    return rule.title if rule else code


def finding_item(reader: User, f: Finding, on: dt.date | None = None) -> dict[str, Any]:
    """The fields of a finding that lists (pages and API) show."""
    return {
        "id": f.pk,
        "rule": f.rule,
        "rule_title": rule_title(f.rule),
        "severity": f.severity,
        "severity_label": SEVERITY_LABELS.get(f.severity, f.severity),
        "year": f.year,
        "status": f.status,
        "status_label": str(STATUS_LABELS.get(f.status, f.status)),
        "household_no": f.household.household_no if f.household_id else None,
        "name": f.name,
        "id_number": show_id_number(reader, f.id_number) if f.id_number else "",
        "division_code": f.division_id,
        "division_name": f.division.name,
        "dataset": f.dataset or None,
        "dataset_label": f.get_dataset_display() if f.dataset else "",
        "match": f.match or None,
        "match_label": MATCH_LABELS.get(f.match, "") if f.match else "",
        "probability": f.probability,
        "explanation": text_for(reader, f.explanation),
        "deadline": f.deadline,
        "overdue": is_overdue(f, on),
        "first_run_id": f.first_run_id,
        "last_run_id": f.last_run_id,
        "previous_id": f.previous_id,
        # Funds findings (empty for comparison ones): what it is about, its key and amount (funds.md §7).
        "subject": f.subject or None,
        "subject_label": f.get_subject_display() if f.subject else "",
        "key": f.key,
        "amount": f.amount,
    }


def event_item(reader: User, e: FindingEvent) -> dict[str, Any]:
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
        "attachment_name": e.attachment.name.rsplit("/", 1)[-1] if e.attachment else None,
    }
