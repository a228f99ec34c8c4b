"""Registering and handling 12317 grievances: the state machine of services.md §4.

    登记 registered ──accept──▶ 受理 accepted ──assign(division)──▶ 转办 assigned ──investigate──▶ 调查 investigating
          └──reject(reason)──▶ 不予受理 rejected ──archive──▶ 归档          (assign again while assigned: 再转办)
    调查 ──conclude(outcome, findings, measures)──▶ 办结 concluded ──follow_up(satisfaction)──▶ 回访 followed_up
    回访 ──archive──▶ 归档 archived      (an anonymous grievance has nobody to call back: 办结 ──archive──▶ 归档)

Each action is one GrievanceEvent row (who, when, action, from → to, note). An action from a state it does not
start from raises GrievanceConflict (a stale form, or an attempt to skip a step; the API answers 409); an
action by a role that may not take it raises PermissionDenied; a grievance outside the actor's scope is 404.

Who: the county office takes calls and decides (登记/受理/不予受理/转办/回访/归档: county managers, supervisors
and administrators whose division is the grievance's county or above); the division it was assigned to
investigates and concludes (its clerks, reviewers and managers; supervisors and administrators too).

Deadlines (policy standard in force for the year and place; defaults 3 and 30 days): accept within
``grievance_accept_days`` of registration, conclude within ``grievance_conclude_days`` of acceptance. A grievance
about a cadre is never assigned to that cadre's own village (``cadre_villages``). No message, note or log line
written here contains the reporter's name or phone."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from sunshine.core import crypto
from sunshine.core.choices import LEVEL_PREFIX_LENGTH, DivisionLevel, Role
from sunshine.core.models import Division
from sunshine.core.scope import division_visible
from sunshine.core.signals import announce_change
from sunshine.grievance.choices import Category, Channel, Outcome, Satisfaction, State
from sunshine.grievance.models import Grievance, GrievanceEvent
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

if TYPE_CHECKING:
    from sunshine.core.models import User

# The county office that takes 12317 calls and decides on them.
OPERATOR_ROLES = frozenset({Role.COUNTY_MANAGER, Role.SUPERVISOR, Role.ADMIN})
# The assigned division's offices, who investigate and conclude.
HANDLER_ROLES = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER, Role.SUPERVISOR,
                           Role.ADMIN})
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O/1/I
CODE_LENGTH = 8
NOT_FOUND = "举报不存在或不在您的管辖范围内"


class GrievanceConflict(ValidationError):
    """The action does not start from the grievance's state (stale form, skipped step): 409 in the API."""


def today() -> dt.date:
    return timezone.localdate()


# --- query codes ------------------------------------------------------------------------------------------


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    return "".join((code or "").split()).upper()


def code_hash(code: str) -> str:
    """Only this keyed hash is stored: the code itself is shown to the reporter once."""
    return crypto.keyed_hash("12317:" + normalize_code(code))


# --- who may act ------------------------------------------------------------------------------------------


def _active(actor: User | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def county_of(code: str) -> str:
    return code[:6] + "000000"


def is_operator(actor: User | None, division_code: str) -> bool:
    """A county manager, supervisor or administrator whose division is the grievance's county or above."""
    if not _active(actor) or not actor.role_set & OPERATOR_ROLES:
        return False
    prefix = actor.scope_prefix
    return prefix is not None and len(prefix) <= 6 and division_code.startswith(prefix)


def may_handle(actor: User | None, grievance: Grievance) -> bool:
    return bool(_active(actor) and actor.role_set & HANDLER_ROLES
                and division_visible(actor, grievance.handling_division_id))


def _require_operator(actor: User | None, grievance: Grievance) -> None:
    if not is_operator(actor, grievance.division_id):
        raise PermissionDenied("此操作由县级12317受理部门(县级管理、监督)办理")


def _require_handler(actor: User | None, grievance: Grievance) -> None:
    if not may_handle(actor, grievance):
        raise PermissionDenied("此操作由承办单位办理")


def params_for(year: int, division_code: str) -> StandardParameters:
    try:
        return standard_for(year, division_code).params
    except StandardNotFound:
        return StandardParameters()


# --- links by number --------------------------------------------------------------------------------------

LINK_FIELDS = ("household_no", "project_no", "payment_no", "loan_no", "case_id", "finding_id", "cadre_no",
               "village_cadre_id")


def resolve_links(county: str, numbers: dict[str, Any]) -> dict[str, Any]:
    """The objects named by number (户编号, 项目编号, …) within the grievance's county; ValidationError naming
    the field when one is not found there."""
    from sunshine.assistance.models import Cadre
    from sunshine.comparison.models import Finding
    from sunshine.funds.models import Loan, Payment, Project, VillageCadre
    from sunshine.registry.models import Household
    from sunshine.workflow.models import Case

    prefix = county[:6]
    lookups: dict[str, tuple[str, Any, str, str]] = {
        "household_no": ("household", Household, "household_no", "village__code"),
        "project_no": ("project", Project, "project_no", "county__code"),
        "payment_no": ("payment", Payment, "payment_no", "county__code"),
        "loan_no": ("loan", Loan, "loan_no", "county__code"),
        "case_id": ("case", Case, "pk", "division__code"),
        "finding_id": ("finding", Finding, "pk", "division__code"),
        "cadre_no": ("cadre", Cadre, "cadre_no", "division__code"),
        "village_cadre_id": ("village_cadre", VillageCadre, "pk", "village__code"),
    }
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field, (name, model, key, place) in lookups.items():
        value = str(numbers.get(field) or "").strip()
        if not value:
            continue
        if key == "pk" and not value.isdigit():
            errors[field] = ["请填写数字编号"]
            continue
        found = model.objects.filter(**{key: value, f"{place}__startswith": prefix}).first()
        if found is None:
            errors[field] = [f"本县没有编号为 {value} 的记录"]
        else:
            out[name] = found
    if errors:
        raise ValidationError(errors)
    return out


# --- registering --------------------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    stem = f"12317-{year}-"
    last = (Grievance.objects.filter(number__startswith=stem).order_by("-number")
            .values_list("number", flat=True).first())
    return f"{stem}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:06d}"


def _event(grievance: Grievance, actor: User | None, action: str, old: str, new: str, note: str = "",
           public: bool = False) -> GrievanceEvent:
    if old != new:  # registered or moved: the counts by state change
        announce_change(sender=Grievance, year=grievance.registered_on.year, source="grievance")
    return GrievanceEvent.objects.create(grievance=grievance, actor=actor if _active(actor) else None,
                                         action=action, from_state=old, to_state=new, note=note, public=public)


def register(*, actor: User | None, channel: str, category: str, division_code: str, subject: str, content: str,
             reporter_name: str = "", reporter_phone: str = "", anonymous: bool = False, confidential: bool = True,
             links: dict[str, Any] | None = None, on: dt.date | None = None) -> tuple[Grievance, str]:
    """登记. ``actor`` None is the public form (channel web). Returns the grievance and its query code, which the
    caller shows once and never stores or sends."""
    on = on or today()
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = ["渠道不在允许范围内"]
    if category not in Category.values:
        errors["category"] = ["类别不在允许范围内"]
    subject, content = (subject or "").strip(), (content or "").strip()
    if not subject:
        errors["subject"] = ["请填写反映事项"]
    if not content:
        errors["content"] = ["请填写反映内容"]
    reporter_name, reporter_phone = (reporter_name or "").strip(), (reporter_phone or "").strip()
    if anonymous:
        reporter_name = reporter_phone = ""
    elif not reporter_name and not reporter_phone:
        errors["reporter_name"] = ["请填写反映人姓名或电话,或选择匿名"]
    if reporter_phone and not reporter_phone.replace("-", "").isdigit():
        errors["reporter_phone"] = ["电话号码只能包含数字"]
    division = Division.objects.filter(code=(division_code or "").strip()).first()
    if division is None or division.level not in (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP,
                                                    DivisionLevel.VILLAGE):
        errors["division"] = ["请选择所涉县、乡镇或村"]
    if errors:
        raise ValidationError(errors)
    assert division is not None
    if actor is not None and not is_operator(actor, division.code):
        raise PermissionDenied("登记12317举报由县级受理部门(县级管理、监督)办理")
    found = resolve_links(division.code, links or {}) if links else {}
    params = params_for(on.year, division.code)
    county = Division.objects.get(code=county_of(division.code))
    for _attempt in range(5):  # a concurrent registration may take the same number or code: try again
        code = new_query_code()
        grievance = Grievance(
            number=_next_number(on.year), channel=channel, category=category, division=division, subject=subject,
            content=content, reporter_name=reporter_name, reporter_phone=reporter_phone, anonymous=anonymous,
            confidential=confidential, query_code_hash=code_hash(code), handling_division=county,
            registered_on=on, accept_days=params.grievance_accept_days,
            conclude_days=params.grievance_conclude_days,
            accept_by=on + dt.timedelta(days=params.grievance_accept_days),
            registered_by=actor if _active(actor) else None, **found)
        try:
            with transaction.atomic():
                grievance.save()
                _event(grievance, actor, "register", "", State.REGISTERED,
                       f"{Channel(channel).label} · {Category(category).label}", public=True)
        except IntegrityError:
            continue
        return grievance, code
    raise ValidationError({"number": ["登记冲突,请重试"]})


# --- the actions ------------------------------------------------------------------------------------------


def _locked(grievance: Grievance, actor: User | None) -> Grievance:
    from sunshine.grievance.selectors import visible_grievances

    if not _active(actor):
        raise PermissionDenied("请先登录")
    locked = visible_grievances(actor).select_for_update(of=("self",)).filter(pk=grievance.pk).first()
    if locked is None:
        raise Http404(NOT_FOUND)
    return locked


def _from(grievance: Grievance, *states: str) -> None:
    if grievance.state not in states:
        raise GrievanceConflict({"state": [f"举报当前状态为“{grievance.get_state_display()}”,不能办理此操作"]})


def _move(grievance: Grievance, actor: User, action: str, new: str, note: str = "", public: bool = True,
          **fields: Any) -> Grievance:
    old = grievance.state
    for name, value in fields.items():
        setattr(grievance, name, value)
    grievance.state = new
    grievance.save()
    _event(grievance, actor, action, old, new, note, public=public)
    return grievance


def accept(*, actor: User, grievance: Grievance, note: str = "", on: dt.date | None = None) -> Grievance:
    on = on or today()
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_operator(actor, g)
        _from(g, State.REGISTERED)
        return _move(g, actor, "accept", State.ACCEPTED, note.strip(), accepted_on=on,
                     conclude_by=on + dt.timedelta(days=g.conclude_days))


def reject(*, actor: User, grievance: Grievance, reason: str) -> Grievance:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写不予受理的理由"]})
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_operator(actor, g)
        _from(g, State.REGISTERED)
        return _move(g, actor, "reject", State.REJECTED, reason, reject_reason=reason)


def cadre_villages(grievance: Grievance, on: dt.date | None = None) -> set[str]:
    """The villages of the cadre the grievance is about: its open pairings' households' villages, its open
    work-team villages, and a village cadre's own village. None of these may take the grievance."""
    on = on or today()
    villages: set[str] = set()
    if grievance.cadre_id:
        cadre = grievance.cadre
        current = Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))
        villages |= set(cadre.pairings.filter(current).values_list("household__village_id", flat=True))
        villages |= set(cadre.teams.filter(current).values_list("village_id", flat=True))  # 驻村工作队
        cadre_division = cadre.division
        if cadre_division.level == DivisionLevel.VILLAGE:
            villages.add(cadre_division.code)
    if grievance.village_cadre_id:
        villages.add(grievance.village_cadre.village_id)
    return villages


def assign(*, actor: User, grievance: Grievance, division_code: str, note: str = "",
           on: dt.date | None = None) -> Grievance:
    """转办 to a division inside the grievance's county (the county office itself may keep it)."""
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_operator(actor, g)
        _from(g, State.ACCEPTED, State.ASSIGNED)
        division = Division.objects.filter(code=(division_code or "").strip()).first()
        if division is None or not division.code.startswith(g.division_id[:6]) \
                or not division_visible(actor, division.code):
            raise ValidationError({"division": ["请选择本县的承办单位"]})
        if division.level == DivisionLevel.VILLAGE and division.code in cadre_villages(g, on):
            raise ValidationError({"division": ["反映干部问题的举报不得转办至该干部所在(帮扶)的村,请转办至乡镇或县级"]})
        return _move(g, actor, "assign", State.ASSIGNED, f"转办至{division.name}" + (f":{note.strip()}"
                     if note.strip() else ""), handling_division=division, assigned_division=division)


def investigate(*, actor: User, grievance: Grievance, note: str = "") -> Grievance:
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_handler(actor, g)
        _from(g, State.ASSIGNED)
        return _move(g, actor, "investigate", State.INVESTIGATING, note.strip(), public=False)


def note(*, actor: User, grievance: Grievance, text: str) -> GrievanceEvent:
    """An investigator's internal note (never on the public progress page)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"note": ["请填写说明"]})
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_handler(actor, g)
        _from(g, State.INVESTIGATING)
        return _event(g, actor, "note", g.state, g.state, text)


def conclude(*, actor: User, grievance: Grievance, outcome: str, findings: str, measures: str,
             on: dt.date | None = None) -> Grievance:
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = ["请选择办理结果(属实、部分属实、不属实)"]
    if not (findings or "").strip():
        errors["findings"] = ["请填写调查情况"]
    if outcome in (Outcome.TRUE, Outcome.PARTLY_TRUE) and not (measures or "").strip():
        errors["measures"] = ["属实或部分属实的,请填写处理措施"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_handler(actor, g)
        _from(g, State.INVESTIGATING)
        return _move(g, actor, "conclude", State.CONCLUDED, str(Outcome(outcome).label), outcome=outcome,
                     findings=findings.strip(), measures=(measures or "").strip(), concluded_on=on or today())


def follow_up(*, actor: User, grievance: Grievance, satisfaction: str, note: str = "") -> Grievance:
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": ["请选择满意度"]})
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_operator(actor, g)
        _from(g, State.CONCLUDED)
        if g.anonymous:
            raise GrievanceConflict({"state": ["匿名举报无法回访,请直接归档"]})
        label = str(Satisfaction(satisfaction).label)
        return _move(g, actor, "follow_up", State.FOLLOWED_UP, label + (f":{note.strip()}" if note.strip() else ""),
                     satisfaction=satisfaction)


def archive(*, actor: User, grievance: Grievance, note: str = "") -> Grievance:
    with transaction.atomic():
        g = _locked(grievance, actor)
        _require_operator(actor, g)
        allowed = [State.FOLLOWED_UP, State.REJECTED] + ([State.CONCLUDED] if g.anonymous else [])
        _from(g, *allowed)
        return _move(g, actor, "archive", State.ARCHIVED, note.strip())


ACTIONS = {"accept": accept, "reject": reject, "assign": assign, "investigate": investigate, "note": note,
           "conclude": conclude, "follow_up": follow_up, "archive": archive}


def available_actions(actor: User | None, grievance: Grievance) -> list[str]:
    """The actions this actor may take now (the detail page shows these forms)."""
    operator = is_operator(actor, grievance.division_id)
    handler = may_handle(actor, grievance)
    by_state: dict[str, list[tuple[str, bool]]] = {
        State.REGISTERED: [("accept", operator), ("reject", operator)],
        State.ACCEPTED: [("assign", operator)],
        State.ASSIGNED: [("investigate", handler), ("assign", operator)],
        State.INVESTIGATING: [("note", handler), ("conclude", handler)],
        State.CONCLUDED: [("follow_up", operator and not grievance.anonymous),
                          ("archive", operator and grievance.anonymous)],
        State.FOLLOWED_UP: [("archive", operator)],
        State.REJECTED: [("archive", operator)],
    }
    return [name for name, allowed in by_state.get(grievance.state, []) if allowed]


def supervising_code(handling: Division, steps: int) -> str:
    """The code of the division ``steps`` levels above ``handling`` (at most the province)."""
    from sunshine.core.choices import LEVEL_ORDER

    index = max(0, LEVEL_ORDER.index(DivisionLevel(handling.level)) - steps)
    return handling.code[:LEVEL_PREFIX_LENGTH[LEVEL_ORDER[index]]].ljust(12, "0")
