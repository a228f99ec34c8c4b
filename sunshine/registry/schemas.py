"""In/Out schemas of the registry API, and the functions that fill the Out schemas for one reader.

Enumerated fields carry the English slugs of sunshine.registry.choices (OpenAPI lists the allowed values;
the description gives each slug's Chinese label). Unknown values are ``null`` in output; in input,
``null`` clears a field that may be empty. ID numbers and phones are shown as the reader may see them
(sunshine.core.scope); for readers who see masked ID numbers the birth date is withheld too (it is the
part of the ID number that the mask hides) and only the age is given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import ConfigDict

from sunshine.core.api import PageQuery
from sunshine.core.scope import show_id_number, show_phone
from sunshine.registry import choices as c
from sunshine.registry.models import per_capita_income

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.registry.models import HouseholdYear, MemberYear


def _slug(choices: type[TextChoices]) -> Any:
    return Literal[tuple(choices.values)]


def _labels(title: str, choices: type[TextChoices]) -> str:
    return f"{title}:" + " · ".join(f"{value}={label}" for value, label in choices.choices)


HouseholdTypeSlug = _slug(c.HouseholdType)
SupportCategorySlug = _slug(c.SupportCategory)
MainCauseSlug = _slug(c.MainCause)
StatusSlug = _slug(c.HouseholdStatus)
HousingGradeSlug = _slug(c.HousingGrade)
RenovationSlug = _slug(c.RenovationStatus)
GenderSlug = _slug(c.Gender)
RelationSlug = _slug(c.Relation)
EducationSlug = _slug(c.EducationLevel)
SchoolSlug = _slug(c.SchoolStatus)
HealthSlug = _slug(c.Health)
DisabilityLevelSlug = _slug(c.DisabilityLevel)
DisabilityTypeSlug = _slug(c.DisabilityType)
LabourSlug = _slug(c.LabourAbility)
EmploymentSlug = _slug(c.Employment)
MemberStatusSlug = _slug(c.MemberStatus)

Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]

D_TYPE = _labels("户类型", c.HouseholdType)
D_SUPPORT = _labels("帮扶类别", c.SupportCategory)
D_CAUSE = _labels("主要致贫原因", c.MainCause)
D_STATUS = _labels("状态", c.HouseholdStatus)
D_HOUSING = "住房安全等级 A · B · C · D(C、D 为危房)"
D_RENOVATION = _labels("危房改造状态", c.RenovationStatus)
D_GENDER = _labels("性别", c.Gender) + "(不填则按身份证号)"
D_RELATION = _labels("与户主关系", c.Relation)
D_EDUCATION = _labels("文化程度", c.EducationLevel)
D_SCHOOL = _labels("在校生状况", c.SchoolStatus)
D_HEALTH = _labels("健康状况", c.Health)
D_DIS_LEVEL = _labels("残疾等级(仅健康状况为残疾时)", c.DisabilityLevel)
D_DIS_TYPE = _labels("残疾类别(仅健康状况为残疾时)", c.DisabilityType)
D_LABOUR = _labels("劳动能力", c.LabourAbility)
D_EMPLOYMENT = _labels("务工状况", c.Employment)
D_MEMBER_STATUS = _labels("成员状态", c.MemberStatus)
D_ID_IN = "身份证号:18位(末位可为 x/X)或15位旧号,按 GB 11643 校验"
D_ID_OUT = "身份证号;您的角色无权查看完整号码时显示为 320321********123X"
D_PHONE_OUT = "联系电话;无权查看完整号码时部分隐藏"


class InSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- input: members ---------------------------------------------------------------------------------


class MemberFieldsIn(InSchema):
    """Fields of a member that may be left empty."""

    gender: GenderSlug | None = Field(None, description=D_GENDER)
    birth_date: dt.date | None = Field(None, description="出生日期 YYYY-MM-DD(不填则按身份证号;填了须与之相符)")
    education_level: EducationSlug | None = Field(None, description=D_EDUCATION)
    school_status: SchoolSlug | None = Field(None, description=D_SCHOOL)
    health: HealthSlug | None = Field(None, description=D_HEALTH)
    disability_level: DisabilityLevelSlug | None = Field(None, description=D_DIS_LEVEL)
    disability_type: DisabilityTypeSlug | None = Field(None, description=D_DIS_TYPE)
    labour_ability: LabourSlug | None = Field(None, description=D_LABOUR)
    employment: EmploymentSlug | None = Field(None, description=D_EMPLOYMENT)
    medical_insured: bool | None = Field(None, description="基本医疗保险")
    critical_illness_insured: bool | None = Field(None, description="大病保险")
    pension_insured: bool | None = Field(None, description="基本养老保险")
    receives_dibao: bool | None = Field(None, description="享受低保")
    change_date: dt.date | None = Field(None, description="变动日期(死亡、迁出)")


class HeadIn(MemberFieldsIn):
    """The head of a new household (relation is 户主 by definition)."""

    name: str = Field(..., min_length=1, max_length=40, description="姓名")
    id_number: str = Field(..., min_length=1, max_length=32, description=D_ID_IN)
    member_status: MemberStatusSlug | None = Field(None, description=D_MEMBER_STATUS + "(默认 active)")


class MemberIn(HeadIn):
    relation: RelationSlug = Field(..., description=D_RELATION + "(每户只能有一名户主)")


class MemberPatch(MemberFieldsIn):
    """Only the fields sent are changed; send null to empty a field that may be empty."""

    name: str | None = Field(None, min_length=1, max_length=40, description="姓名")
    id_number: str | None = Field(None, min_length=1, max_length=32, description=D_ID_IN)
    relation: RelationSlug | None = Field(
        None, description=D_RELATION + "(不能直接取消户主;户主由另一名成员接替)"
    )
    member_status: MemberStatusSlug | None = Field(
        None, description=D_MEMBER_STATUS + "(只能通过“自然变更”案件变更:与现值不同时返回 422)")


# --- input: households ------------------------------------------------------------------------------


class HouseholdFieldsIn(InSchema):
    phone: str | None = Field(None, max_length=20, description="联系电话:11位手机号或带区号的固定电话")
    household_type: HouseholdTypeSlug | None = Field(None, description=D_TYPE)
    support_category: SupportCategorySlug | None = Field(None, description=D_SUPPORT)
    main_cause: MainCauseSlug | None = Field(None, description=D_CAUSE)
    identified_year: int | None = Field(None, description="识别年度")
    exit_year: int | None = Field(None, description="脱贫年度(状态为 exited 时必填)")
    wage_income: Money | None = Field(None, description="工资性收入(元/年,全户)")
    business_income: Money | None = Field(None, description="生产经营性收入")
    business_expense: Money | None = Field(None, description="生产经营性支出")
    property_income: Money | None = Field(None, description="财产性收入(含资产收益分红)")
    transfer_income: Money | None = Field(None, description="转移性收入")
    transfer_expense: Money | None = Field(None, description="转移性支出")
    food_clothing_secure: bool | None = Field(None, description="吃穿不愁")
    housing_grade: HousingGradeSlug | None = Field(None, description=D_HOUSING)
    renovation_status: RenovationSlug | None = Field(None, description=D_RENOVATION)
    water_safe: bool | None = Field(None, description="饮水安全")
    has_electricity: bool | None = Field(None, description="通生活用电")


class HouseholdCreateIn(HouseholdFieldsIn):
    """A new household, or a new year of a known household of the same village, with its head."""

    household_no: str = Field(..., min_length=1, max_length=30, description="户编号(跨年度不变)")
    village_code: str = Field(..., min_length=1, max_length=12, description="所在村的12位区划代码")
    year: int = Field(..., description="年度")
    status: StatusSlug = Field(..., description=D_STATUS)
    head: HeadIn


class HouseholdPatch(HouseholdFieldsIn):
    """Only the fields sent are changed. The head's name and ID number follow the head member."""

    status: StatusSlug | None = Field(
        None, description=D_STATUS + "(状态、识别年度、脱贫年度只能通过已批准的案件变更:与现值不同时返回 422,"
                                     "说明应发起的案件类型)")


# Fields stored as text that may be empty: null in the API means "" in the database.
HOUSEHOLD_TEXT_FIELDS = frozenset(
    {"phone", "household_type", "support_category", "main_cause", "housing_grade", "renovation_status"}
)
MEMBER_TEXT_FIELDS = frozenset(
    {"gender", "education_level", "school_status", "health", "disability_level", "disability_type",
     "labour_ability", "employment"}
)
HOUSEHOLD_REQUIRED = frozenset({"status"})
MEMBER_REQUIRED = frozenset({"name", "id_number", "relation", "member_status"})


# --- queries ----------------------------------------------------------------------------------------


class HouseholdQuery(PageQuery):
    year: int | None = Field(None, description="年度;默认为系统设定的当前年度")
    division: str | None = Field(None, description="区划代码:只列该区划内的农户")
    status: StatusSlug | None = Field(None, description=D_STATUS)
    household_type: HouseholdTypeSlug | None = Field(None, description=D_TYPE)
    main_cause: MainCauseSlug | None = Field(None, description=D_CAUSE)
    q: str | None = Field(None, max_length=40, description="户编号、户主或成员姓名、身份证号(完整)")


class MemberQuery(PageQuery):
    year: int | None = Field(None, description="年度;默认为系统设定的当前年度")
    household_no: str | None = Field(None, description="户编号")
    division: str | None = Field(None, description="区划代码")


# --- output -----------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int = Field(..., description="成员年度记录编号(/api/members/{id})")
    household_no: str
    year: int
    name: str
    id_number: str = Field(..., description=D_ID_OUT)
    gender: GenderSlug | None = Field(None, description=D_GENDER)
    birth_date: dt.date | None = Field(None, description="出生日期;仅对可查看完整身份证号的角色给出")
    age: int | None = Field(None, description="周岁(按今天计算)")
    relation: RelationSlug = Field(..., description=D_RELATION)
    education_level: EducationSlug | None = Field(None, description=D_EDUCATION)
    school_status: SchoolSlug | None = Field(None, description=D_SCHOOL)
    health: HealthSlug | None = Field(None, description=D_HEALTH)
    disability_level: DisabilityLevelSlug | None = Field(None, description=D_DIS_LEVEL)
    disability_type: DisabilityTypeSlug | None = Field(None, description=D_DIS_TYPE)
    labour_ability: LabourSlug | None = Field(None, description=D_LABOUR)
    employment: EmploymentSlug | None = Field(None, description=D_EMPLOYMENT)
    medical_insured: bool | None
    critical_illness_insured: bool | None
    pension_insured: bool | None
    receives_dibao: bool | None
    member_status: MemberStatusSlug = Field(..., description=D_MEMBER_STATUS)
    change_date: dt.date | None


class MemberPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MemberOut]


class HouseholdListItemOut(Schema):
    household_no: str
    year: int
    village_code: str
    village_name: str
    head_name: str
    head_id_number: str = Field(..., description=D_ID_OUT)
    phone: str | None = Field(None, description=D_PHONE_OUT)
    household_type: HouseholdTypeSlug | None = Field(None, description=D_TYPE)
    support_category: SupportCategorySlug | None = Field(None, description=D_SUPPORT)
    main_cause: MainCauseSlug | None = Field(None, description=D_CAUSE)
    status: StatusSlug = Field(..., description=D_STATUS)
    identified_year: int | None
    exit_year: int | None
    active_members: int = Field(..., description="在册成员数")
    disposable_income: Decimal | None = Field(None, description="家庭可支配收入(元);任一收入项未知时为 null")
    per_capita_disposable_income: Decimal | None = Field(
        None, description="人均可支配收入(元)= 可支配收入 ÷ 在册成员数;无法计算时为 null"
    )


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdListItemOut]


class HouseholdDetailOut(HouseholdListItemOut):
    wage_income: Decimal | None
    business_income: Decimal | None
    business_expense: Decimal | None
    property_income: Decimal | None
    transfer_income: Decimal | None
    transfer_expense: Decimal | None
    food_clothing_secure: bool | None
    housing_grade: HousingGradeSlug | None = Field(None, description=D_HOUSING)
    renovation_status: RenovationSlug | None = Field(None, description=D_RENOVATION)
    water_safe: bool | None
    has_electricity: bool | None
    years: list[int] = Field(..., description="该户有记录的全部年度")
    members: list[MemberOut]
    updated_at: dt.datetime


# --- filling the Out schemas for one reader -----------------------------------------------------------



def _or_none(value: str) -> str | None:
    return value or None


def _age(birth: dt.date | None, today: dt.date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or dt.date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def member_out(reader: User, member: MemberYear) -> dict[str, Any]:
    person = member.person
    full = reader.can_see_full_personal_data
    return {
        "id": member.pk,
        "household_no": member.household_year.household.household_no,
        "year": member.year,
        "name": person.name,
        "id_number": show_id_number(reader, person.id_number),
        "gender": _or_none(person.gender),
        "birth_date": person.birth_date if full else None,
        "age": _age(person.birth_date),
        "relation": member.relation,
        **{f: _or_none(getattr(member, f)) for f in (
            "education_level", "school_status", "health", "disability_level", "disability_type",
            "labour_ability", "employment",
        )},
        **{f: getattr(member, f) for f in (
            "medical_insured", "critical_illness_insured", "pension_insured", "receives_dibao",
            "member_status", "change_date",
        )},
    }


def household_item_out(reader: User, record: HouseholdYear, active_members: int) -> dict[str, Any]:
    disposable = record.disposable_income()
    household = record.household
    return {
        "household_no": household.household_no,
        "year": record.year,
        "village_code": household.village_id,
        "village_name": household.village.name,
        "head_name": record.head_name,
        "head_id_number": show_id_number(reader, record.head_id_number),
        "phone": show_phone(reader, record.phone) or None,
        "household_type": _or_none(record.household_type),
        "support_category": _or_none(record.support_category),
        "main_cause": _or_none(record.main_cause),
        "status": record.status,
        "identified_year": record.identified_year,
        "exit_year": record.exit_year,
        "active_members": active_members,
        "disposable_income": disposable,
        "per_capita_disposable_income": per_capita_income(disposable, active_members),
    }


def household_detail_out(
    reader: User, record: HouseholdYear, members: list[MemberYear], years: list[int]
) -> dict[str, Any]:
    active = sum(1 for m in members if m.member_status == c.MemberStatus.ACTIVE)
    return {
        **household_item_out(reader, record, active),
        **{f: getattr(record, f) for f in (
            "wage_income", "business_income", "business_expense", "property_income", "transfer_income",
            "transfer_expense", "food_clothing_secure", "water_safe", "has_electricity", "updated_at",
        )},
        "housing_grade": _or_none(record.housing_grade),
        "renovation_status": _or_none(record.renovation_status),
        "years": years,
        "members": [member_out(reader, m) for m in members],
    }
