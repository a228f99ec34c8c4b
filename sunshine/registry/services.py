"""Every write to the registry: one transaction, the acting user checked and recorded in history.

Status, identification year, exit year, member status and the membership itself (adding a member, making
a household) change only through a procedure (`Procedure`): an approved case applied by
sunshine.workflow.apply, or an administrator's correction with its reason (`correct_household_year`,
`correct_member`). Pages, the API, the CLI and imports pass none, so there they are refused with a message
naming the case type to open — the check that stops an exit "on paper" (虚假脱贫) lives here, in the one
write path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.registry import choices as c
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person
from sunshine.registry.validation import check_household_fields, check_identity, check_member_fields

HOUSEHOLD_YEAR_FIELDS = (
    "phone", "household_type", "support_category", "main_cause", "status", "identified_year", "exit_year",
    "wage_income", "business_income", "business_expense", "property_income", "transfer_income",
    "transfer_expense", "food_clothing_secure", "housing_grade", "renovation_status", "water_safe",
    "has_electricity",
)
MEMBER_YEAR_FIELDS = (
    "relation", "education_level", "school_status", "health", "disability_level", "disability_type",
    "labour_ability", "employment", "medical_insured", "critical_illness_insured", "pension_insured",
    "receives_dibao", "member_status", "change_date",
)
PERSON_FIELDS = ("name", "id_number", "gender", "birth_date")
# Changed only through a procedure (an approved case, or an administrator's correction).
PROCEDURE_HOUSEHOLD_FIELDS = ("status", "identified_year", "exit_year")
PROCEDURE_MEMBER_FIELDS = ("member_status",)

# The case type that changes a household to each status (workflow CaseType labels: the registry does not
# import the workflow app, which builds on it).
CASE_FOR_STATUS = {c.HouseholdStatus.EXITED: "标注脱贫", c.HouseholdStatus.RETURNED: "返贫",
                   c.HouseholdStatus.CLOSED: "销户", c.HouseholdStatus.IN_POVERTY: "纳入"}
CASE_FOR_FIELD = {"identified_year": "纳入", "exit_year": "标注脱贫", "member_status": "自然变更"}


@dataclass(frozen=True)
class Procedure:
    """What authorises a change of status, years or membership.

    kind: ``case`` — an approved case being applied (sunshine.workflow.apply); ``correction`` — an
    administrator correcting the registry, with a reason written into the history; ``seed`` — the builders
    of synthetic registries (test factories), which no page, API route, command or import can reach."""

    kind: str
    reason: str
    case: Any = None

    @classmethod
    def of_case(cls, case: Any) -> Procedure:
        return cls("case", f"案件#{case.pk}", case)

    @classmethod
    def correction(cls, reason: str) -> Procedure:
        return cls("correction", reason.strip())

    @classmethod
    def seed(cls, reason: str = "测试数据") -> Procedure:
        return cls("seed", reason)


class ProcedureRequired(ValidationError):
    """A change that only an approved case (or an administrator's correction) may make."""


def case_type_for(field_name: str, value: Any = None) -> str:
    """The case type (Chinese label) to open for a change of this field to this value."""
    if field_name == "status":
        return CASE_FOR_STATUS.get(value, "纳入")
    return CASE_FOR_FIELD.get(field_name, "自然变更")


def procedure_message(field_name: str, value: Any = None, action: str = "不能直接修改,") -> str:
    """E.g. 不能直接修改,须发起“标注脱贫”案件,经审核、审定批准后由系统变更."""
    return f"{action}须发起“{case_type_for(field_name, value)}”案件,经审核、审定批准后由系统变更"


def _check_procedure(actor: User, procedure: Procedure | None, errors: dict[str, str]) -> None:
    """Refuse changes that need a procedure when none is given; check the correction's role and reason."""
    if not errors:
        return
    if procedure is None:
        raise ProcedureRequired({k: [v] for k, v in errors.items()})
    if procedure.kind == "correction":
        if not actor.has_role(Role.ADMIN):
            raise PermissionDenied("只有系统管理员可以更正建档立卡的状态与成员")
        if not procedure.reason:
            raise ValidationError({"reason": ["更正须写明理由"]})
    elif procedure.kind == "case" and procedure.case is None:
        raise ProcedureRequired({k: [v] for k, v in errors.items()})


def _tag(instance: Any, procedure: Procedure | None) -> None:
    """A correction's reason goes into simple-history's change reason (cases are tagged by workflow.apply)."""
    if procedure is not None and procedure.kind == "correction":
        instance._change_reason = f"更正:{procedure.reason}"[:100]


def _require_editor(actor: User, village_code: str) -> None:
    if not actor.can_edit_registry:
        raise PermissionDenied("您的角色不能修改建档立卡数据")
    if not division_visible(actor, village_code):
        raise PermissionDenied("该户不在您的管辖范围内")


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


def _save(instance: Any, actor: User, procedure: Procedure | None = None) -> None:
    # simple-history reads the acting user from this attribute when no request is at hand (CLI, API).
    instance._history_user = actor
    _tag(instance, procedure)
    instance.save()


def _resolve_person(*, actor: User, year: int, fields: dict[str, Any], exclude_member: MemberYear | None = None,
                    procedure: Procedure | None = None) -> Person:
    """Find or create the person of an ID number, refusing one already in another household this year."""
    number, gender, birth, errors = check_identity(
        fields.get("id_number") or "", fields.get("gender"), fields.get("birth_date")
    )
    _raise_if(errors)
    clash = MemberYear.objects.filter(person__id_number=number, year=year).select_related("household_year__household")
    if exclude_member is not None:
        clash = clash.exclude(pk=exclude_member.pk)
    other = clash.first()
    if other is not None:
        # Name the other household only to someone who may see it.
        where = other.household_year.household
        label = f"户 {where.household_no}" if division_visible(actor, where.village_id) else "其他村的农户"
        raise ValidationError({"id_number": [f"此人{year}年度已是{label}的成员,同一人一年只能在一户中"]})
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        person = Person(id_number=number)
    person.name = fields["name"].strip()
    person.gender = gender or ""
    person.birth_date = birth
    _save(person, actor, procedure)
    return person


def _sync_head(household_year: HouseholdYear, actor: User, procedure: Procedure | None = None) -> None:
    head = household_year.members.select_related("person").filter(relation=c.Relation.HEAD).first()
    if head is None:
        raise ValidationError({"relation": ["每户必须有且只有一名户主"]})
    if (household_year.head_name, household_year.head_id_number) != (head.person.name, head.person.id_number):
        household_year.head_name = head.person.name
        household_year.head_id_number = head.person.id_number
        _save(household_year, actor, procedure)


@transaction.atomic
def create_household(
    *, actor: User, household_no: str, village_code: str, year: int, head: dict[str, Any],
    procedure: Procedure | None = None, **fields: Any
) -> HouseholdYear:
    """A new household (or a new year of a known one) with its head as the first member. Outside the
    yearly import this is an entry into the registry: only through an entry case (纳入) or a correction."""
    _require_editor(actor, village_code)
    village = Division.objects.filter(code=village_code, level=DivisionLevel.VILLAGE).first()
    if village is None:
        raise ValidationError({"village_code": ["区划代码不是已知的村"]})
    household_no = household_no.strip()
    if not household_no:
        raise ValidationError({"household_no": ["户编号不能为空"]})
    unknown = set(fields) - set(HOUSEHOLD_YEAR_FIELDS)
    if unknown:
        raise ValidationError({k: ["不是户信息字段"] for k in sorted(unknown)})
    _raise_if(check_household_fields({**fields, "year": year}))
    household = Household.objects.filter(household_no=household_no).first()
    if household is None:
        household = Household(household_no=household_no, village=village)
        _save(household, actor, procedure)
    elif household.village_id != village_code:
        raise ValidationError({"household_no": ["户编号已被其他村的农户使用"]})
    elif household.years.filter(year=year).exists():
        raise ValidationError({"year": [f"户 {household_no} 已有{year}年度的记录"]})
    household_year = HouseholdYear(household=household, year=year, head_name="", head_id_number="", **fields)
    head = {**head, "relation": c.Relation.HEAD}
    _raise_if(check_member_fields(head))
    person = _resolve_person(actor=actor, year=year, fields=head, procedure=procedure)
    # Checked after the input (every error at once); the transaction drops what was written above.
    _check_procedure(actor, procedure, {
        "household_no": procedure_message("identified_year", action="新建农户即纳入建档立卡,")})
    household_year.head_name, household_year.head_id_number = person.name, person.id_number
    _save(household_year, actor, procedure)
    member = MemberYear(
        household_year=household_year, person=person, year=year,
        **{k: v for k, v in head.items() if k in MEMBER_YEAR_FIELDS},
    )
    _save(member, actor, procedure)
    return household_year


@transaction.atomic
def update_household_year(*, actor: User, household_year: HouseholdYear, procedure: Procedure | None = None,
                          **fields: Any) -> HouseholdYear:
    _require_editor(actor, household_year.household.village_id)
    unknown = set(fields) - set(HOUSEHOLD_YEAR_FIELDS)
    if unknown:
        raise ValidationError({k: ["不是可修改的户信息字段"] for k in sorted(unknown)})
    target = fields.get("status", household_year.status)
    _check_procedure(actor, procedure, {
        name: procedure_message(name, target if name == "status" else None)
        for name in PROCEDURE_HOUSEHOLD_FIELDS if name in fields and fields[name] != getattr(household_year, name)
    })
    merged = {f: getattr(household_year, f) for f in HOUSEHOLD_YEAR_FIELDS} | fields
    _raise_if(check_household_fields({**merged, "year": household_year.year}))
    changed = False
    for name, value in fields.items():
        if getattr(household_year, name) != value:
            setattr(household_year, name, value)
            changed = True
    if changed:
        _save(household_year, actor, procedure)
    return household_year


@transaction.atomic
def add_member(*, actor: User, household_year: HouseholdYear, procedure: Procedure | None = None,
               **fields: Any) -> MemberYear:
    """A new member (birth, marriage in): through a change case (自然变更) or a correction."""
    _require_editor(actor, household_year.household.village_id)
    if fields.get("relation") == c.Relation.HEAD and household_year.members.filter(relation=c.Relation.HEAD).exists():
        raise ValidationError({"relation": ["该户已有户主,每户只能有一名户主"]})
    _raise_if(check_member_fields(fields))
    person = _resolve_person(actor=actor, year=household_year.year, fields=fields, procedure=procedure)
    _check_procedure(actor, procedure, {"relation": procedure_message("member_status", action="增加成员")})
    member = MemberYear(
        household_year=household_year, person=person, year=household_year.year,
        **{k: v for k, v in fields.items() if k in MEMBER_YEAR_FIELDS},
    )
    try:
        with transaction.atomic():
            _save(member, actor, procedure)
    except IntegrityError as exc:  # a concurrent write got there first
        raise ValidationError({"relation": ["该户已有户主,或此人本年度已在其他户中"]}) from exc
    _sync_head(household_year, actor, procedure)
    return member


@transaction.atomic
def update_member(*, actor: User, member: MemberYear, procedure: Procedure | None = None,
                  **fields: Any) -> MemberYear:
    household_year = member.household_year
    _require_editor(actor, household_year.household.village_id)
    _check_procedure(actor, procedure, {
        name: procedure_message(name)
        for name in PROCEDURE_MEMBER_FIELDS if name in fields and fields[name] != getattr(member, name)
    })
    current = {f: getattr(member, f) for f in MEMBER_YEAR_FIELDS} | {
        f: getattr(member.person, f) for f in PERSON_FIELDS
    }
    merged = current | fields
    if (
        merged["relation"] == c.Relation.HEAD
        and member.relation != c.Relation.HEAD
        and household_year.members.filter(relation=c.Relation.HEAD).exclude(pk=member.pk).exists()
    ):
        raise ValidationError({"relation": ["该户已有户主,每户只能有一名户主"]})
    if member.relation == c.Relation.HEAD and merged["relation"] != c.Relation.HEAD:
        raise ValidationError({"relation": ["不能直接取消户主;请使用“更换户主”指定新户主"]})
    _raise_if(check_member_fields(merged))
    if any(fields.get(f, current[f]) != current[f] for f in PERSON_FIELDS):
        member.person = _resolve_person(
            actor=actor, year=household_year.year, fields=merged, exclude_member=member, procedure=procedure
        )
    for name in MEMBER_YEAR_FIELDS:
        setattr(member, name, merged[name])
    _save(member, actor, procedure)
    _sync_head(household_year, actor, procedure)
    return member


@transaction.atomic
def change_head(*, actor: User, household_year: HouseholdYear, new_head: MemberYear,
                old_head_relation: str = c.Relation.OTHER) -> HouseholdYear:
    """Make another member the head; the old head takes the given relation."""
    _require_editor(actor, household_year.household.village_id)
    if new_head.household_year_id != household_year.pk:
        raise ValidationError({"new_head": ["新户主必须是本户成员"]})
    if new_head.member_status != c.MemberStatus.ACTIVE:
        raise ValidationError({"new_head": ["新户主必须是在册成员"]})
    old = household_year.members.filter(relation=c.Relation.HEAD).first()
    if old is not None and old.pk != new_head.pk:
        old.relation = old_head_relation
        _save(old, actor)
    new_head.relation = c.Relation.HEAD
    _save(new_head, actor)
    _sync_head(household_year, actor)
    return household_year


def _correction(actor: User, reason: str) -> Procedure:
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied("只有系统管理员可以更正建档立卡的状态与成员")
    if not reason.strip():
        raise ValidationError({"reason": ["更正须写明理由"]})
    return Procedure.correction(reason)


def correct_household_year(*, actor: User, household_year: HouseholdYear, reason: str,
                           **fields: Any) -> HouseholdYear:
    """The administrator's correction path (更正路径): a wrong status or year fixed outside any case, for
    a data-entry mistake, never for a decision a case should take. The reason and the administrator are
    written into the history of every row it changes (docs/operations.md, 更正路径)."""
    procedure = _correction(actor, reason)
    return update_household_year(actor=actor, household_year=household_year, procedure=procedure, **fields)


def correct_member(*, actor: User, member: MemberYear, reason: str, **fields: Any) -> MemberYear:
    """The correction path for a member's status (and any other member field), with its reason."""
    procedure = _correction(actor, reason)
    return update_member(actor=actor, member=member, procedure=procedure, **fields)


def correct_create_household(*, actor: User, reason: str, **kwargs: Any) -> HouseholdYear:
    """An administrator registering a household outside an entry case (a record the import missed)."""
    procedure = _correction(actor, reason)
    return create_household(actor=actor, procedure=procedure, **kwargs)
