"""Opening cases and signing their steps: the state machine of the identification procedure.

A case walks its frozen list of steps one at a time. ``advance`` names the step it signs, which must be the
current one, so that a stale form or an attempt to skip a step is refused (StepConflict). Decisions:
approve → the next step (after the last: approved, and the registry changed in the same transaction);
reject → back to the previous step, with the reason (at the first step the case stays where it is);
refuse → only at county approval, final. Each action is a CaseStep row: who, when, decision, note, attachment.

Public notice: approving the step before ``village_notice`` opens the notice (notice_start = today,
notice_end = today + notice_days − 1); ``village_notice`` can be approved only once the notice has ended
(today > notice_end) and no objection is open. A rejection that sends the case back before the notice clears
the notice dates: the notice runs again in full."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sunshine.core.attachments import check_attachment, mask_attachment_name
from sunshine.core.choices import Role
from sunshine.core.models import Division
from sunshine.core.scope import division_visible, in_scope
from sunshine.core.signals import announce_change
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.workflow import guards, steps
from sunshine.workflow.apply import apply_case
from sunshine.workflow.choices import (
    OPEN_CASE_STATUSES,
    CaseStatus,
    CaseType,
    ChangeKind,
    Decision,
    ObjectionStatus,
    Step,
)
from sunshine.workflow.models import Case, CaseStep
from sunshine.workflow.services.common import (
    ROLES_THAT_HANDLE_OBJECTIONS,
    ROLES_THAT_OPEN,
    StepConflict,
    active,
    clean_text,
    notice_days,
    require_active,
    require_scope,
)
from sunshine.workflow.services.common import today as local_today

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.monitoring.models import MonitoredHousehold
    from sunshine.registry.models import Household


def _division_of(household: Household | None, monitored: MonitoredHousehold | None,
                 applicant: dict[str, Any] | None) -> str:
    if household is not None:
        return household.village_id
    if monitored is not None:
        return monitored.division_id
    code = str((applicant or {}).get("village_code") or "")
    if not Division.objects.filter(code=code, level="village").exists():
        raise ValidationError({"applicant.village_code": ["申请人所在村的区划代码不是已知的村"]})
    return code


def _check_payload(case_type: str, change_kind: str, payload: dict[str, Any]) -> None:
    if case_type != CaseType.CHANGE:
        return
    try:
        kind = ChangeKind(change_kind)
    except ValueError as exc:
        raise ValidationError({"change_kind": ["变更事项不在允许范围内"]}) from exc
    if kind in (ChangeKind.BIRTH, ChangeKind.MARRIAGE_IN):
        member = payload.get("member") or {}
        if not str(member.get("name") or "").strip() or not str(member.get("id_number") or "").strip():
            raise ValidationError({"payload.member": ["请填写新成员的姓名和身份证号"]})
    elif not payload.get("member_id"):
        raise ValidationError({"payload.member_id": ["请指定变更的成员"]})


def open_case(*, actor: User, case_type: str, year: int, household: Household | None = None,
              monitored: MonitoredHousehold | None = None, applicant: dict[str, Any] | None = None,
              change_kind: str = "", payload: dict[str, Any] | None = None, reason: str = "",
              source: str = "manual", source_ref: str = "", adjustment: Any = None) -> Case:
    """Open a case at its first step; its steps are frozen from the standard in force for (year, village)."""
    require_active(actor)
    try:
        case_type = CaseType(case_type).value
    except ValueError as exc:
        raise ValidationError({"case_type": ["案件类型不在允许范围内"]}) from exc
    if not actor.role_set & ROLES_THAT_OPEN:
        raise PermissionDenied("您的角色不能发起识别退出案件")
    applicant = dict(applicant or {})
    payload = dict(payload or {})
    if household is not None or monitored is not None or applicant:
        # Scope first, so that nothing is said about a household outside it.
        division = _division_of(household, monitored, applicant)
        if not division_visible(actor, division):
            raise PermissionDenied("该户不在您的管辖范围内")
    guards.check_open(case_type=case_type, year=year, household=household, monitored=monitored,
                      applicant=applicant or None, change_kind=change_kind)
    _check_payload(case_type, change_kind, payload)
    try:
        standard = standard_for(year, division)
    except StandardNotFound:
        standard = None
    case_steps = steps.steps_for(case_type, standard)
    case = Case(case_type=case_type, year=year, household=household, monitored=monitored, applicant=applicant,
                division_id=division, steps=case_steps, current_step=0, awaiting_step=case_steps[0],
                standard_version=standard.version if standard else "", change_kind=change_kind or "",
                payload=payload, reason=reason.strip(), source=source, source_ref=source_ref,
                adjustment=adjustment, opened_by=actor)
    try:
        with transaction.atomic():
            case.save()
            announce_change(sender=Case, year=case.year, source="workflow")
    except IntegrityError as exc:  # a concurrent opening got there first
        raise ValidationError({"household": ["该户已有办理中的同类案件"]}) from exc
    return case


# --- who acts -------------------------------------------------------------------------------------------


def next_role(case: Case) -> Role | None:
    """The role that signs the case's current step (None once the case is closed)."""
    if case.status not in OPEN_CASE_STATUSES or case.step is None:
        return None
    return steps.role_for(case.step)


def _has_step_role(actor: User, step: str) -> bool:
    return actor.has_role(Role.ADMIN) or actor.has_role(steps.role_for(step))


def may_act(actor: User | None, case: Case) -> bool:
    """Whether ``actor`` may sign the case's current step now."""
    return bool(active(actor) and case.status == CaseStatus.IN_PROGRESS and case.step is not None
                and division_visible(actor, case.division_id) and _has_step_role(actor, case.step))


def may_handle_objections(actor: User | None, case: Case) -> bool:
    return bool(active(actor) and actor.role_set & ROLES_THAT_HANDLE_OBJECTIONS
                and division_visible(actor, case.division_id)
                and case.objections.filter(status=ObjectionStatus.OPEN).exists())


def awaiting(actor: User) -> QuerySet[Case]:
    """The inbox: cases in the actor's division whose current step the actor's role signs, and cases held by an
    objection for the roles that handle objections. An administrator sees every open case in scope."""
    if not active(actor):
        return Case.objects.none()
    qs = in_scope(Case.objects.all(), actor, "division__code")
    if actor.has_role(Role.ADMIN):
        return qs.filter(status__in=OPEN_CASE_STATUSES)
    mine = [code for code, role in steps.STEP_ROLE.items() if actor.has_role(role)]
    q = Q(status=CaseStatus.IN_PROGRESS, awaiting_step__in=mine)
    if actor.role_set & ROLES_THAT_HANDLE_OBJECTIONS:
        q |= Q(status=CaseStatus.ON_HOLD)
    return qs.filter(q)


# --- signing a step -------------------------------------------------------------------------------------


def _move_to(case: Case, index: int) -> None:
    case.current_step = index
    case.awaiting_step = case.steps[index] if index < len(case.steps) else ""


def _label(step: str) -> str:
    return steps.step_label(step)


def advance(*, actor: User, case: Case, step: str, decision: str, note: str = "", attachment: Any = None,
            today: dt.date | None = None) -> Case:
    """Sign the current step of ``case``; returns the case as saved (a fresh instance)."""
    require_active(actor)
    check_attachment(attachment)  # by name, size and content, whether from a page, the API or the CLI
    on = today or local_today()
    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=case.pk).first()
        if locked is None:
            raise ValidationError({"case": ["案件不存在"]})
        case = locked
        require_scope(actor, case.division_id)
        if case.status not in OPEN_CASE_STATUSES:
            raise StepConflict({"step": [f"案件已{case.get_status_display()},不能再办理"]})
        if step not in Step.values:
            raise ValidationError({"step": ["步骤不在允许范围内"]})
        # The role first: a clerk naming a county step is refused as such (403) wherever the case stands.
        if not _has_step_role(actor, step):
            raise PermissionDenied(f"“{_label(step)}”由{steps.role_for(step).label}办理,您的角色不能办理此步骤")
        current = case.step
        if step != current:
            raise StepConflict({"step": [
                f"案件当前步骤是“{_label(current)}”,不能办理“{_label(step)}”;步骤不能跳过,请刷新后重试"]})
        if case.status == CaseStatus.ON_HOLD:
            raise ValidationError({"step": ["公示期间有异议待处理,案件暂停办理"]})
        try:
            decision = Decision(decision)
        except ValueError as exc:
            raise ValidationError({"decision": ["结论应为同意、退回或不予批准"]}) from exc
        action = CaseStep(case=case, step=current, index=case.current_step, decision=decision, actor=actor)
        if decision == Decision.APPROVE:
            action.note = clean_text(note, "note", "意见", required=False)
            _approve(actor, case, action, on)
        elif decision == Decision.REJECT:
            action.note = clean_text(note, "note", "退回理由", required=True)
            _reject(case)
        else:
            if current != steps.REFUSE_STEP:
                raise ValidationError({"decision": [f"只有“{_label(steps.REFUSE_STEP)}”可以不予批准;其他步骤请退回"]})
            action.note = clean_text(note, "note", "不予批准的理由", required=True)
            case.status = CaseStatus.REFUSED
            case.awaiting_step = ""
            case.closed_at = timezone.now()
        if attachment:
            mask_attachment_name(attachment)
            action.attachment = attachment
        action.save()
        case.save()
        announce_change(sender=Case, year=case.year, source="workflow")
    return case


def _approve(actor: User, case: Case, action: CaseStep, on: dt.date) -> None:
    current = case.step
    if current == Step.VILLAGE_NOTICE:
        if case.notice_end is None:
            raise ValidationError({"step": ["公示尚未开始"]})
        if on <= case.notice_end:
            raise ValidationError({"step": [f"公示期至{case.notice_end:%Y-%m-%d}结束,公示期满后才能确认公示结果"]})
        if case.objections.filter(status=ObjectionStatus.OPEN, holds_case=True).exists():
            raise ValidationError({"step": ["公示期间有异议待处理"]})
    if current == Step.COUNTY_APPROVAL and case.case_type == CaseType.EXIT:
        action.assessment = guards.check_exit_approval(case).assessment
    index = case.current_step + 1
    if index < len(case.steps) and case.steps[index] == Step.VILLAGE_NOTICE:
        guards.check_before_notice(case)
        case.notice_start = on
        case.notice_end = on + dt.timedelta(days=notice_days(case) - 1)
    _move_to(case, index)
    if index >= len(case.steps):
        case.status = CaseStatus.APPROVED
        case.closed_at = timezone.now()
        apply_case(case, actor)


def _reject(case: Case) -> None:
    index = max(0, case.current_step - 1)
    _move_to(case, index)
    if Step.VILLAGE_NOTICE in case.steps and index < case.steps.index(Step.VILLAGE_NOTICE):
        case.notice_start = case.notice_end = None


def withdraw(*, actor: User, case: Case, note: str) -> Case:
    """Withdraw an open case (the annual adjustment closes its year this way)."""
    require_active(actor)
    require_scope(actor, case.division_id)
    if not actor.role_set & ROLES_THAT_OPEN:
        raise PermissionDenied("您的角色不能撤回案件")
    if case.status not in OPEN_CASE_STATUSES:
        raise ValidationError({"case": ["案件已办结"]})
    case.status = CaseStatus.WITHDRAWN
    case.awaiting_step = ""
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "awaiting_step", "closed_at"])
    announce_change(sender=Case, year=case.year, source="workflow")
    case.objections.filter(status=ObjectionStatus.OPEN).update(
        status=ObjectionStatus.DISMISSED, handled_by=actor, handled_at=timezone.now(),
        resolution=f"案件已撤回:{note}")
    return case


__all__ = ["advance", "awaiting", "may_act", "may_handle_objections", "next_role", "open_case",
           "withdraw"]
