"""Objections to a case during its village public notice (公示异议).

Anyone may object, without logging in, while the notice runs (notice_start ≤ today ≤ notice_end); the objection
holds the case (status on_hold) until it is handled. A village clerk, township reviewer or county manager of
the case's area (or an administrator) handles it: dismissed or upheld, with a resolution. When no open
objection remains, the case goes on: if every objection of this notice was dismissed, the case is in progress
again at the notice step (it can be approved once the notice has ended); if one was upheld, the case returns to
the democratic appraisal step (民主评议) for re-appraisal, the notice dates are cleared (the notice runs again
in full after the village committee re-approves), and the return is recorded as a rejection of the notice
step signed by the handler."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sunshine.core.ratelimit import RateLimited  # noqa: F401 - the public views catch it from here
from sunshine.workflow import steps
from sunshine.workflow.choices import CaseStatus, Decision, ObjectionStatus, Step
from sunshine.workflow.models import Case, CaseStep, Objection
from sunshine.workflow.services.common import (
    ROLES_THAT_HANDLE_OBJECTIONS,
    clean_text,
    require_active,
    require_scope,
)
from sunshine.workflow.services.common import today as local_today

if TYPE_CHECKING:
    from sunshine.core.models import User


def in_notice(case: Case, on: dt.date | None = None) -> bool:
    on = on or local_today()
    return bool(case.status in (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD) and case.step == Step.VILLAGE_NOTICE
                and case.notice_start and case.notice_end and case.notice_start <= on <= case.notice_end)


# An objection with fewer meaningful characters (letters of any script) than this, or made of one or two
# characters repeated, is obviously empty: recorded, but it does not hold the case.
MIN_MEANINGFUL = 4


def client_hash(address: str) -> str:
    """A salted hash of the sender's address: counts for the rate limit, tells nobody the address."""
    return salted_hmac("sunshine.workflow.objection.client", address, algorithm="sha256").hexdigest() if address else ""


def normalized(text: str) -> str:
    """The letters and digits of a text, case-folded: what two objections that say the same thing share."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").casefold()
                   if unicodedata.category(ch)[0] in "LN")


def is_obviously_empty(text: str) -> bool:
    letters = [ch for ch in normalized(text) if unicodedata.category(ch)[0] == "L"]
    return len(letters) < MIN_MEANINGFUL or len(set(letters)) <= 2


def check_rate(case: Case, hashed: str, now: dt.datetime) -> None:
    """Counted in the database, so that every server process sees the same numbers."""
    per_address = settings.SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR
    per_case = settings.SUNSHINE_OBJECTIONS_PER_CASE_DAY
    if hashed and Objection.objects.filter(client_hash=hashed,
                                           submitted_at__gte=now - dt.timedelta(hours=1)).count() >= per_address:
        raise RateLimited(f"同一来源一小时内最多提出{per_address}条异议,请稍后再试")
    if Objection.objects.filter(case=case, submitted_at__gte=now - dt.timedelta(days=1)).count() >= per_case:
        raise RateLimited(f"该案件今日收到的异议已达{per_case}条,请明天再提出,或直接联系公示单位")


def submit_objection(*, case: Case, name: str, contact: str, content: str,
                     today: dt.date | None = None, address: str = "") -> Objection:
    """A public objection (no login); only while the case is in its notice period, within the rate limits.
    It holds the case unless it is obviously empty or repeats one already on the case."""
    on = today or local_today()
    text = clean_text(content, "content", "异议内容", required=True)
    hashed = client_hash(address)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not in_notice(case, on):
            raise ValidationError({"content": ["该案件不在公示期内,不能提出异议"]})
        check_rate(case, hashed, timezone.now())
        key = normalized(text)
        repeated = any(normalized(old) == key for old in case.objections.values_list("content", flat=True))
        holds = not (is_obviously_empty(text) or repeated)
        objection = Objection.objects.create(case=case, name=(name or "").strip()[:50],
                                             contact=(contact or "").strip()[:50], content=text,
                                             client_hash=hashed, holds_case=holds)
        if holds and case.status != CaseStatus.ON_HOLD:
            case.status = CaseStatus.ON_HOLD
            case.save(update_fields=["status"])
    return objection


def handle_objection(*, actor: User, objection: Objection, upheld: bool, resolution: str) -> Objection:
    require_active(actor)
    text = clean_text(resolution, "resolution", "处理意见", required=True)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=objection.case_id)
        require_scope(actor, case.division_id)
        if not actor.role_set & ROLES_THAT_HANDLE_OBJECTIONS:
            raise PermissionDenied("异议由村、乡镇或县级经办人员处理,您的角色不能处理")
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != ObjectionStatus.OPEN:
            raise ValidationError({"objection": ["该异议已处理"]})
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        objection.handled_by = actor
        objection.handled_at = timezone.now()
        objection.resolution = text
        objection.save()
        # A case withdrawn meanwhile stays closed; only a held case goes on.
        if case.status == CaseStatus.ON_HOLD and not case.objections.filter(
                status=ObjectionStatus.OPEN, holds_case=True).exists():
            _resume(actor, case, text)
    return objection


def _resume(actor: User, case: Case, resolution: str) -> None:
    """No objection is open any more: go on, or back to the appraisal when one of this notice was upheld."""
    this_notice = case.objections.all()
    if case.notice_start is not None:
        this_notice = this_notice.filter(submitted_at__date__gte=case.notice_start)
    case.status = CaseStatus.IN_PROGRESS
    if this_notice.filter(status=ObjectionStatus.UPHELD).exists() and case.step == Step.VILLAGE_NOTICE:
        back = case.steps.index(steps.REAPPRAISAL_STEP) if steps.REAPPRAISAL_STEP in case.steps else 0
        CaseStep.objects.create(case=case, step=case.step, index=case.current_step, decision=Decision.REJECT,
                                actor=actor, note=f"公示异议成立,退回{steps.step_label(case.steps[back])}:{resolution}")
        case.current_step = back
        case.awaiting_step = case.steps[back]
        case.notice_start = case.notice_end = None
    case.save()
