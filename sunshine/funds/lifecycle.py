"""The project lifecycle (funds.md §4): 申报 → 论证 → 入库 → 批复 → 实施 → 完工 → 验收, and 出库 with a reason.

Every step is one transaction: the project row is locked, its state checked again (a stale form or a double
click finds it moved on and is refused), and a signed ProjectTransition is written (user, note, optional scanned
page checked by sunshine.core.attachments). Who signs what is one table, ``STEP_ROLES``:

- a village clerk proposes (creates, 申报) projects of their village and edits them while 申报;
- the township reviewer reviews (申报 → 论证) projects built in the township (a county-level project, built in no
  township, is reviewed by the county manager: nobody else could);
- the county manager vets (论证 → 入库), approves (入库 → 批复), accepts (完工 → 验收) and removes (出库);
- 实施 and 完工 are reported by the county manager, or by the township reviewer for projects built in the township
  (the township supervises the works on the ground; a county-level project is then the county's alone);
- the administrator may do all.

A project may enter 实施 only after its approval announcement (立项公告) has run its full period: the day the
period ends is still within it, the day after the project may start. 出库 is possible from any state before
实施 (funds.md §4: once money is being spent the project is no longer merely in the library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from sunshine.core.attachments import check_attachment, mask_attachment_name
from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.scope import division_visible
from sunshine.funds.choices import PerformanceResult, ProjectStatus
from sunshine.funds.models import Announcement, Project, ProjectTransition

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from sunshine.core.models import User

S = ProjectStatus
NOT_FOUND = "项目不存在或不在您的管辖范围内"
APPROVAL, RESULT = "approval", "result"

# The forward path; 出库 is outside it.
ORDER = (S.PROPOSED, S.VETTED, S.IN_LIBRARY, S.APPROVED, S.IMPLEMENTING, S.COMPLETED, S.ACCEPTED)
NEXT = dict(zip(ORDER, ORDER[1:], strict=False))
# States a project may be removed (出库) from.
REMOVABLE = frozenset({S.PROPOSED, S.VETTED, S.IN_LIBRARY, S.APPROVED})

# Target state → roles that may sign it (besides the administrator). Township roles act only on projects
# built inside a township (see township_may_act).
STEP_ROLES: dict[str, frozenset[Role]] = {
    S.VETTED: frozenset({Role.TOWNSHIP_REVIEWER}),
    S.IN_LIBRARY: frozenset({Role.COUNTY_MANAGER}),
    S.APPROVED: frozenset({Role.COUNTY_MANAGER}),
    S.IMPLEMENTING: frozenset({Role.COUNTY_MANAGER, Role.TOWNSHIP_REVIEWER}),
    S.COMPLETED: frozenset({Role.COUNTY_MANAGER, Role.TOWNSHIP_REVIEWER}),
    S.ACCEPTED: frozenset({Role.COUNTY_MANAGER}),
    S.REMOVED: frozenset({Role.COUNTY_MANAGER}),
}
ROLES_THAT_PROPOSE = frozenset({Role.VILLAGE_CLERK, Role.COUNTY_MANAGER, Role.ADMIN})
ROLES_THAT_ANNOUNCE = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})
ROLES_THAT_HANDLE_COMMENTS = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})

# What the button of each step says.
STEP_LABELS = {
    S.VETTED: "论证通过", S.IN_LIBRARY: "审核入库", S.APPROVED: "批复立项", S.IMPLEMENTING: "开始实施",
    S.COMPLETED: "完工", S.ACCEPTED: "验收", S.REMOVED: "出库",
}


def today() -> dt.date:
    """The local date; every service takes ``on`` so that tests can fix the clock."""
    return timezone.localdate()


def _active(actor: User | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def require_scope(actor: User | None, project: Project) -> None:
    """A project outside the actor's division does not exist for them (404, no hint)."""
    if not _active(actor):
        raise PermissionDenied("请先登录")
    assert actor is not None  # noqa: S101 — for the type checker; _active said so
    if not division_visible(actor, project.division_id):
        raise Http404(NOT_FOUND)


def _in_township(project: Project) -> bool:
    return project.division.level in (DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE)


def may_sign(actor: User, project: Project, target: str) -> bool:
    """Whether ``actor`` may move ``project`` to ``target`` by role and place (not by its current state)."""
    if not _active(actor) or not division_visible(actor, project.division_id):
        return False
    roles = actor.role_set
    if Role.ADMIN in roles:
        return True
    allowed = roles & STEP_ROLES.get(target, frozenset())
    if not _in_township(project):
        # Built at county level: no township office owns it; the county reviews it too.
        allowed = allowed - {Role.TOWNSHIP_REVIEWER}
        if target == S.VETTED and Role.COUNTY_MANAGER in roles:
            return True
    return bool(allowed)


def targets_from(status: str) -> list[str]:
    """The states a project in ``status`` may move to."""
    out = [NEXT[status]] if status in NEXT else []
    if status in REMOVABLE:
        out.append(S.REMOVED)
    return out


def available(actor: User, project: Project) -> list[str]:
    """The steps the reader may sign now (the buttons of the project page)."""
    return [t for t in targets_from(project.status) if may_sign(actor, project, t)]


def may_edit(actor: User, project: Project) -> bool:
    return (project.status == S.PROPOSED and _active(actor) and division_visible(actor, project.division_id)
            and bool(actor.role_set & ROLES_THAT_PROPOSE))


def may_propose(actor: User, division_code: str) -> bool:
    if not _active(actor) or not division_visible(actor, division_code):
        return False
    return bool(actor.role_set & ROLES_THAT_PROPOSE)


# --- announcements -------------------------------------------------------------------------------------


def announcement_days(project: Project) -> int:
    """The least period of an announcement: the policy standard's announcement_days (default 10), as
    sunshine.funds.check reads the standard for the project's year and place."""
    from sunshine.engine.funds.params import Params
    from sunshine.policy.selectors import StandardNotFound, standard_for

    try:
        standard = standard_for(int(project.year), project.division_id)
    except StandardNotFound:
        return Params().announcement_days
    try:
        return max(1, Params.from_mapping(standard.params.to_dict()).announcement_days)
    except (ValueError, TypeError):
        return Params().announcement_days


def approval_announcement(project: Project) -> Announcement | None:
    """The approval announcement that counts: the latest one published."""
    return (Announcement.objects.filter(project=project, kind=APPROVAL)
            .order_by("-start_date", "-id").first())


def implementation_refusal(project: Project, on: dt.date) -> str | None:
    """Why the project may not enter 实施 on ``on`` (None: it may)."""
    announcement = approval_announcement(project)
    if announcement is None:
        return "尚未发布立项公告:立项公告公示期满后方可开始实施"
    if not announcement.has_run(on):
        end = announcement.end_date
        start = end + dt.timedelta(days=1)
        return (f"立项公告公示期至{end.year}年{end.month}月{end.day}日结束,"
                f"{start.year}年{start.month}月{start.day}日起方可开始实施")
    return None


# --- transitions --------------------------------------------------------------------------------------


@dataclass
class Acceptance:
    """What 验收 records (绩效评价)."""

    accepted_date: dt.date | None
    performance_result: str
    note: str


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_acceptance(acceptance: Acceptance | None, on: dt.date) -> Acceptance:
    errors: dict[str, list[str]] = {}
    if acceptance is None:
        acceptance = Acceptance(None, "", "")
    if acceptance.accepted_date is None:
        errors["accepted_date"] = ["请填写验收日期"]
    elif acceptance.accepted_date > on:
        errors["accepted_date"] = ["验收日期不能晚于今天"]
    if acceptance.performance_result not in PerformanceResult.values:
        errors["performance_result"] = ["请选择绩效评价结果(全部达到、部分达到或未达到)"]
    if not _text(acceptance.note):
        errors["performance_note"] = ["请填写绩效评价说明"]
    if errors:
        raise ValidationError(errors)
    return acceptance


def transition(*, actor: User, project: Project, to_status: str, note: str = "",
               attachment: UploadedFile | None = None, expected_status: str | None = None,
               acceptance: Acceptance | None = None, reason: str = "",
               on: dt.date | None = None) -> ProjectTransition:
    """Move ``project`` to ``to_status``, signed by ``actor``. ``expected_status`` is the state the form was
    shown in: when the project has moved since, the step is refused rather than applied to another state."""
    on = on or today()
    require_scope(actor, project)
    if to_status not in STEP_ROLES:
        raise ValidationError({"to_status": ["未知的项目状态"]})
    note = _text(note)
    check_attachment(attachment)
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("division").get(pk=project.pk)
        if expected_status and project.status != expected_status:
            raise ValidationError({"to_status": [
                f"项目状态已变为“{project.get_status_display()}”,请刷新页面后再办理"]})
        if to_status not in targets_from(project.status):
            raise ValidationError({"to_status": [
                f"项目当前状态为“{project.get_status_display()}”,不能办理“{STEP_LABELS[to_status]}”"]})
        if not may_sign(actor, project, to_status):
            raise PermissionDenied(f"您的角色不能办理“{STEP_LABELS[to_status]}”")
        fields = ["status", "updated_at"]
        if to_status == S.REMOVED:
            reason = _text(reason) or note
            if not reason:
                raise ValidationError({"reason": ["出库须填写原因"]})
            project.removal_reason = reason
            note = note or reason
            fields.append("removal_reason")
        elif to_status == S.IMPLEMENTING:
            refusal = implementation_refusal(project, on)
            if refusal:
                raise ValidationError({"to_status": [refusal]})
        elif to_status == S.COMPLETED:
            if project.actual_end is None:
                project.actual_end = on
                fields.append("actual_end")
        elif to_status == S.ACCEPTED:
            done = _check_acceptance(acceptance, on)
            project.accepted_date = done.accepted_date
            project.performance_result = done.performance_result
            project.performance_note = _text(done.note)
            note = note or project.performance_note
            fields += ["accepted_date", "performance_result", "performance_note"]
        step = ProjectTransition(project=project, from_status=project.status, to_status=to_status, user=actor,
                                 note=note)
        if attachment is not None:
            mask_attachment_name(attachment)
            step.attachment = attachment
        project.status = to_status
        project.save(update_fields=fields)
        step.save()
    return step


def _project_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, label in (("project_no", "项目编号"), ("name", "项目名称"), ("category", "项目类别")):
        if not _text(str(values.get(name) or "")):
            errors[name] = [f"请填写{label}"]
    budget = values.get("budget")
    if budget is None or budget < 0:
        errors["budget"] = ["预算金额应为不小于0的金额"]
    start, end = values.get("planned_start"), values.get("planned_end")
    if start and end and end < start:
        errors["planned_end"] = ["计划完工不能早于计划开工"]
    planned, registered = values.get("planned_households"), values.get("planned_registered_households")
    if planned is not None and registered is not None and registered > planned:
        errors["planned_registered_households"] = ["建档立卡受益户数不能多于计划受益户数"]
    return errors


EDITABLE = ("project_no", "name", "category", "year", "budget", "content", "performance_target",
            "planned_households", "planned_registered_households", "planned_start", "planned_end", "implementer")


def _county_of(division_code: str) -> str:
    return division_code[:6] + "000000"


def propose(*, actor: User, division_code: str, values: dict[str, Any], note: str = "") -> Project:
    """申报: a new project at ``division_code`` (the clerk's village, or any place of the county for the county),
    with its first signed transition."""
    from sunshine.core.models import Division

    if not _active(actor):
        raise PermissionDenied("请先登录")
    if not division_visible(actor, division_code):
        raise Http404("区划不存在或不在您的管辖范围内")
    if not actor.role_set & ROLES_THAT_PROPOSE:
        raise PermissionDenied("项目由村级录入人员申报(或县级管理人员录入),您的角色不能申报项目")
    division = Division.objects.filter(code=division_code).first()
    if division is None or division.level not in (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP,
                                                  DivisionLevel.VILLAGE):
        raise ValidationError({"division": ["建设地点应为县、乡镇或村"]})
    errors = _project_errors(values)
    county = _county_of(division.code)
    if not errors and Project.objects.filter(county_id=county, project_no=_text(values["project_no"])).exists():
        errors["project_no"] = ["本县已有该项目编号"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = Project(county_id=county, division=division, status=S.PROPOSED,
                          **{k: (_text(v) if isinstance(v, str) else v) for k, v in values.items() if k in EDITABLE})
        project.save()
        ProjectTransition.objects.create(project=project, from_status="", to_status=S.PROPOSED, user=actor,
                                         note=_text(note))
    return project


def edit(*, actor: User, project: Project, values: dict[str, Any]) -> Project:
    """Change a project's fields: only while 申报, by whoever may propose there."""
    require_scope(actor, project)
    if not actor.role_set & ROLES_THAT_PROPOSE:
        raise PermissionDenied("您的角色不能修改项目")
    errors = _project_errors(values)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status != S.PROPOSED:
            raise ValidationError({"status": ["项目已不在申报状态,不能再修改"]})
        number = _text(values.get("project_no"))
        if not errors and Project.objects.filter(county_id=project.county_id, project_no=number) \
                .exclude(pk=project.pk).exists():
            errors["project_no"] = ["本县已有该项目编号"]
        if errors:
            raise ValidationError(errors)
        for key in EDITABLE:
            if key in values:
                value = values[key]
                setattr(project, key, _text(value) if isinstance(value, str) else value)
        project.save()
    return project


# --- beneficiaries --------------------------------------------------------------------------------------


def may_edit_beneficiaries(actor: User, project: Project) -> bool:
    """The proposing office keeps the list of beneficiary households until the project is accepted."""
    return (project.status not in (S.ACCEPTED, S.REMOVED) and _active(actor)
            and division_visible(actor, project.division_id) and bool(actor.role_set & ROLES_THAT_PROPOSE))


def _beneficiary_household(actor: User, project: Project, household_no: str) -> Any:
    from sunshine.registry.models import Household

    require_scope(actor, project)
    if not may_edit_beneficiaries(actor, project):
        if project.status in (S.ACCEPTED, S.REMOVED):
            raise ValidationError({"household_no": ["项目已验收或出库,不能再修改受益户"]})
        raise PermissionDenied("受益户由项目申报单位(村级录入或县级管理)登记")
    household = Household.objects.filter(household_no=_text(household_no)).first()
    # A household outside the project's place or the reader's scope is "not found" (no hint it exists).
    if household is None or not household.village_id.startswith(project.division.prefix) \
            or not division_visible(actor, household.village_id):
        raise ValidationError({"household_no": ["户编号不存在,或该户不在项目建设地点范围内"]})
    return household


def add_beneficiary(*, actor: User, project: Project, household_no: str) -> Any:
    from sunshine.funds.models import ProjectBeneficiary

    household = _beneficiary_household(actor, project, household_no)
    with transaction.atomic():
        if ProjectBeneficiary.objects.filter(project=project, household=household).exists():
            raise ValidationError({"household_no": ["该户已是本项目受益户"]})
        return ProjectBeneficiary.objects.create(project=project, household=household)


def remove_beneficiary(*, actor: User, project: Project, household_no: str) -> None:
    from sunshine.funds.models import ProjectBeneficiary

    household = _beneficiary_household(actor, project, household_no)
    deleted, _rows = ProjectBeneficiary.objects.filter(project=project, household=household).delete()
    if not deleted:
        raise ValidationError({"household_no": ["该户不是本项目受益户"]})
