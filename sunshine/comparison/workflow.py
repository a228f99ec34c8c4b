"""Verification of findings: 待核实 → 核实属实 / 核实不属实 → (属实) 已整改.

Each step is one transaction: the finding row is locked and its status checked again inside it (two clerks
pressing the button at once must not both pass), the status changes, and a FindingEvent records the acting
user, the from/to status, the note and the attachment. The event is the audit record of the step.

Who may act: village clerks, township reviewers, county managers and administrators whose division contains
the finding's division. Supervisors and provincial analysts read only."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.core.attachments import (  # noqa: F401 - re-exported for the comparison pages
    ATTACHMENT_CONTENT_TYPES,
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    check_attachment,
    mask_attachment_name,
)
from sunshine.core.choices import Role
from sunshine.core.scope import division_visible
from sunshine.core.signals import announce_change
from sunshine.policy.parameters import StandardParameters

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from sunshine.core.models import User

ROLES_THAT_VERIFY = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER, Role.ADMIN})
DEFAULT_DEADLINE_DAYS = StandardParameters().verification_days  # the policy standard's default
MAX_NOTE_LENGTH = 2000

# FindingEvent.action values written here; the run service writes its own (raised, recurred, …).
VERIFY, RECTIFY = "verify", "rectify"


def today() -> dt.date:
    """The date deadlines are compared with (local time); selectors take ``today`` to let tests fix it."""
    return timezone.localdate()


def is_overdue(finding: Finding, on: dt.date | None = None) -> bool:
    return finding.status == FindingStatus.PENDING and finding.deadline < (on or today())


def may_act(actor: User | None, finding: Finding) -> bool:
    """Whether ``actor`` may verify or rectify this finding (status aside)."""
    return bool(
        actor is not None and actor.is_authenticated and actor.is_active
        and actor.role_set & ROLES_THAT_VERIFY and division_visible(actor, finding.division_id)
    )


def next_step(actor: User | None, finding: Finding) -> str | None:
    """The step this actor may take on the finding now: VERIFY, RECTIFY or None."""
    if not may_act(actor, finding):
        return None
    return {FindingStatus.PENDING: VERIFY, FindingStatus.CONFIRMED: RECTIFY}.get(FindingStatus(finding.status))


def _check_actor(actor: User | None, finding: Finding) -> None:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not division_visible(actor, finding.division_id):
        raise PermissionDenied("该比对发现不在您的管辖范围内")
    if not actor.role_set & ROLES_THAT_VERIFY:
        raise PermissionDenied("您的角色只能查看比对发现,核实和整改由村、乡镇、县级人员办理")


def _clean_note(note: str | None, what: str) -> str:
    text = (note or "").strip()
    if not text:
        raise ValidationError({"note": [f"请填写{what}"]})
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [f"说明最多 {MAX_NOTE_LENGTH} 个字"]})
    return text


def _step(*, actor: User, finding: Finding, expected: FindingStatus, to: FindingStatus, action: str, note: str,
          attachment: UploadedFile | None, wrong_status: str) -> Finding:
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status != expected:
            raise ValidationError({"status": [wrong_status.format(status=locked.get_status_display())]})
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        event = FindingEvent(finding=locked, user=actor, action=action, from_status=expected, to_status=to,
                             note=note)
        if attachment is not None:
            mask_attachment_name(attachment)
            event.attachment = attachment
        event.save()
        announce_change(sender=Finding, year=locked.year, source="comparison")
    finding.status, finding.updated_at = locked.status, locked.updated_at
    return finding


def verify(*, actor: User, finding: Finding, confirmed: bool, note: str,
           attachment: UploadedFile | None = None) -> Finding:
    """Record the verification on the ground: 核实属实 (confirmed) or 核实不属实 (rejected)."""
    _check_actor(actor, finding)
    text = _clean_note(note, "核实情况说明")
    check_attachment(attachment)
    to = FindingStatus.CONFIRMED if confirmed else FindingStatus.REJECTED
    return _step(actor=actor, finding=finding, expected=FindingStatus.PENDING, to=to, action=VERIFY, note=text,
                 attachment=attachment, wrong_status="只有待核实的发现可以核实,该发现当前为“{status}”")


def rectify(*, actor: User, finding: Finding, note: str, attachment: UploadedFile | None = None) -> Finding:
    """Record the rectification of a finding verified as 属实."""
    _check_actor(actor, finding)
    text = _clean_note(note, "整改情况说明")
    check_attachment(attachment)
    return _step(actor=actor, finding=finding, expected=FindingStatus.CONFIRMED, to=FindingStatus.RECTIFIED,
                 action=RECTIFY, note=text, attachment=attachment,
                 wrong_status="只有核实属实的发现可以整改,该发现当前为“{status}”")
