"""Applying an approved case to the registry, in the transaction of its last approval.

Every write goes through sunshine.registry.services (the acting user checked and recorded by simple-history);
each history row written for the case carries the change reason ``案件#<pk>``, so that a household's history
links every change back to its case. ``case.registry_changes`` lists what changed as
``{"model", "pk", "field", "old", "new"}`` dictionaries (values as JSON text)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Model
from django.utils import timezone

from sunshine.registry import choices as rc
from sunshine.registry import services as registry
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person
from sunshine.workflow.choices import CaseType, ChangeKind

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.workflow.models import Case

LEAVING_KINDS = {ChangeKind.DEATH: rc.MemberStatus.DECEASED, ChangeKind.MOVE_OUT: rc.MemberStatus.MOVED_OUT,
                 ChangeKind.MARRIAGE_OUT: rc.MemberStatus.MOVED_OUT}
JOINING_KINDS = (ChangeKind.BIRTH, ChangeKind.MARRIAGE_IN)
HISTORY_MODELS = (Household, HouseholdYear, MemberYear, Person)
NEW_NUMBER_DIGITS = 4  # household numbers of new entries: the village code and a 4-digit sequence


def reason_of(case: Case) -> str:
    return f"案件#{case.pk}"


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


class _Recorder:
    def __init__(self, case: Case) -> None:
        self.reason = reason_of(case)
        self.changes: list[dict[str, Any]] = []
        self.started = timezone.now()
        self.touched: set[tuple[type[Model], int]] = set()

    def tag(self, *instances: Model) -> None:
        """Have the next save of these instances carry the case as simple-history's change reason."""
        for instance in instances:
            instance._change_reason = self.reason  # type: ignore[attr-defined]
            self.touch(instance)

    def touch(self, *instances: Model) -> None:
        for instance in instances:
            if type(instance) in HISTORY_MODELS and instance.pk is not None:
                self.touched.add((type(instance), instance.pk))

    def diff(self, instance: Model, old: dict[str, Any]) -> None:
        for name, before in old.items():
            after = getattr(instance, name)
            if before != after:
                self.changes.append({"model": type(instance).__name__, "pk": instance.pk, "field": name,
                                     "old": _json(before), "new": _json(after)})

    def created(self, instance: Model, fields: tuple[str, ...]) -> None:
        for name in fields:
            self.changes.append({"model": type(instance).__name__, "pk": instance.pk, "field": name,
                                 "old": None, "new": _json(getattr(instance, name))})

    def stamp_history(self) -> None:
        """Rows saved inside the registry services (a new household, its head, a person, a household year
        whose head was synced) are not the instances tagged here: give the history rows of every touched
        object written since the case began applying, and still without a reason, the case's reason."""
        for model in HISTORY_MODELS:
            pks = [pk for m, pk in self.touched if m is model]
            if pks:
                model.history.filter(id__in=pks, history_date__gte=self.started,
                                     history_change_reason__isnull=True).update(history_change_reason=self.reason)


def apply_case(case: Case, actor: User) -> list[dict[str, Any]]:
    """Change the registry as the approved case says; returns (and stores on the case) the list of changes."""
    rec = _Recorder(case)
    kind = CaseType(case.case_type)
    if kind == CaseType.EXIT:
        _set_status(rec, actor, case, status=rc.HouseholdStatus.EXITED, exit_year=case.year)
    elif kind == CaseType.RETURN:
        _set_status(rec, actor, case, status=rc.HouseholdStatus.RETURNED)
    elif kind == CaseType.CLOSURE:
        _set_status(rec, actor, case, status=rc.HouseholdStatus.CLOSED)
    elif kind == CaseType.ENTRY:
        if case.household_id is not None:
            _set_status(rec, actor, case, status=rc.HouseholdStatus.IN_POVERTY, identified_year=case.year,
                        exit_year=None)
        else:
            _new_household(rec, actor, case)
    elif kind == CaseType.CHANGE:
        _change_member(rec, actor, case)
    rec.stamp_history()
    case.registry_changes = rec.changes
    return rec.changes


def _household_year(case: Case) -> HouseholdYear:
    row = HouseholdYear.objects.select_related("household").filter(household_id=case.household_id,
                                                                   year=case.year).first()
    if row is None:
        raise ValidationError({"year": [f"该户没有{case.year}年度的记录,无法变更"]})
    return row


def _set_status(rec: _Recorder, actor: User, case: Case, **fields: Any) -> None:
    row = _household_year(case)
    old = {name: getattr(row, name) for name in fields}
    rec.tag(row)
    registry.update_household_year(actor=actor, household_year=row, procedure=registry.Procedure.of_case(case),
                                   **fields)
    rec.diff(row, old)


def next_household_no(village_code: str) -> str:
    """The village code followed by the next free 4-digit sequence number of that village."""
    pattern = rf"^{village_code}\d{{{NEW_NUMBER_DIGITS}}}$"
    highest = (Household.objects.filter(household_no__startswith=village_code, household_no__regex=pattern)
               .aggregate(m=Max("household_no"))["m"])
    n = int(highest[len(village_code):]) + 1 if highest else 1
    return f"{village_code}{n:0{NEW_NUMBER_DIGITS}d}"


def _new_household(rec: _Recorder, actor: User, case: Case) -> None:
    """A household entering from outside the registry: a new 户编号, its year in poverty and its head; the
    payload may carry more members (``payload["members"]``: registry member fields with name and id_number)
    and household fields (``payload["household"]``)."""
    payload = case.payload or {}
    if case.monitored_id is not None:
        m = case.monitored
        head = {"name": m.head_name, "id_number": m.head_id_number}
        household_fields = {"phone": m.phone} if m.phone else {}
    else:
        a = case.applicant or {}
        head = {k: a[k] for k in ("name", "id_number", "gender", "birth_date") if a.get(k)}
        household_fields = {"phone": a["phone"]} if a.get("phone") else {}
    head |= dict(payload.get("head") or {})
    household_fields |= {k: v for k, v in dict(payload.get("household") or {}).items()
                         if k in registry.HOUSEHOLD_YEAR_FIELDS}
    household_fields |= {"status": rc.HouseholdStatus.IN_POVERTY, "identified_year": case.year}
    number = next_household_no(case.division_id)
    row = registry.create_household(actor=actor, household_no=number, village_code=case.division_id,
                                    year=case.year, head=head, procedure=registry.Procedure.of_case(case),
                                    **household_fields)
    rec.created(row.household, ("household_no",))
    rec.created(row, ("status", "identified_year", "head_name"))
    for fields in payload.get("members") or []:
        member = registry.add_member(actor=actor, household_year=row, procedure=registry.Procedure.of_case(case),
                                     **_member_fields(fields))
        rec.created(member, ("relation",))
    rec.touch(row.household, row)
    for member in row.members.select_related("person"):
        rec.touch(member, member.person)
    case.household = row.household


def _member_fields(fields: dict[str, Any]) -> dict[str, Any]:
    allowed = set(registry.MEMBER_YEAR_FIELDS) | set(registry.PERSON_FIELDS)
    out = {k: v for k, v in fields.items() if k in allowed}
    if isinstance(out.get("birth_date"), str):
        out["birth_date"] = dt.date.fromisoformat(out["birth_date"])
    out.setdefault("relation", rc.Relation.OTHER)
    return out


def change_date_of(payload: dict[str, Any]) -> dt.date | None:
    raw = payload.get("change_date")
    if not raw:
        return None
    try:
        return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ValidationError({"payload.change_date": ["日期格式应为 YYYY-MM-DD"]}) from exc


def member_of(case: Case, payload: dict[str, Any]) -> MemberYear:
    """The member a death, move or marriage out is about: ``payload["member_id"]`` (a member of the case's
    household in its year)."""
    member = (MemberYear.objects.select_related("person", "household_year__household")
              .filter(pk=payload.get("member_id"), household_year__household_id=case.household_id,
                      year=case.year).first() if payload.get("member_id") else None)
    if member is None:
        raise ValidationError({"payload.member_id": [f"请指定该户{case.year}年度的成员"]})
    return member


def _change_member(rec: _Recorder, actor: User, case: Case) -> None:
    payload = case.payload or {}
    kind = ChangeKind(case.change_kind)
    if kind in LEAVING_KINDS:
        member = member_of(case, payload)
        if member.relation == rc.Relation.HEAD:
            raise ValidationError({"payload.member_id": ["户主的死亡或迁出须先更换户主"]})
        old = {"member_status": member.member_status, "change_date": member.change_date}
        rec.tag(member)
        registry.update_member(actor=actor, member=member, member_status=LEAVING_KINDS[kind],
                               change_date=change_date_of(payload), procedure=registry.Procedure.of_case(case))
        rec.diff(member, old)
        rec.touch(member.household_year)
    else:
        fields = dict(payload.get("member") or {})
        if not fields:
            raise ValidationError({"payload.member": ["请填写新成员的信息"]})
        if kind == ChangeKind.BIRTH:
            fields.setdefault("relation", rc.Relation.CHILD)
        row = _household_year(case)
        member = registry.add_member(actor=actor, household_year=row, procedure=registry.Procedure.of_case(case),
                                     **_member_fields(fields))
        rec.created(member, ("relation", "member_status"))
        rec.touch(member, member.person, row)
