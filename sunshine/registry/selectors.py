"""Every read of the registry, filtered by the reader's division scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.http import Http404

from sunshine.core.choices import LEVEL_ORDER, LEVEL_PREFIX_LENGTH, DivisionLevel
from sunshine.core.ids import InvalidIdNumber, normalize_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import in_scope
from sunshine.registry import choices as c
from sunshine.registry.models import Household, HouseholdYear, MemberYear

NOT_FOUND = "农户不存在或不在您的管辖范围内"


@dataclass
class HouseholdFilter:
    year: int
    division: str | None = None
    status: str | None = None
    household_type: str | None = None
    main_cause: str | None = None
    q: str | None = None


def household_years(*, reader: User, filters: HouseholdFilter) -> QuerySet[HouseholdYear]:
    qs = in_scope(HouseholdYear.objects.all(), reader, "household__village__code").filter(year=filters.year)
    if filters.division:
        qs = qs.filter(household__village__code__startswith=_prefix(filters.division))
    for name in ("status", "household_type", "main_cause"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.q:
        qs = qs.filter(_search_q(filters.q.strip(), filters.year))
    return qs.select_related("household", "household__village").order_by("household__household_no")


def _prefix(code: str) -> str:
    from sunshine.core.divisions import code_prefix

    try:
        return code_prefix(code)
    except (ValueError, KeyError):
        return code  # a partial code typed by hand narrows by its digits


def _search_q(text: str, year: int) -> Q:
    """By 户编号, head or member name, or ID number (full, or legacy 15-digit)."""
    q = Q(household__household_no=text) | Q(head_name=text)
    members = MemberYear.objects.filter(household_year=OuterRef("pk"), year=year)
    try:
        number = normalize_id_number(text)
    except InvalidIdNumber:
        number = None
    if number:
        q |= Q(head_id_number=number) | Exists(members.filter(person__id_number=number))
    elif text:
        q |= Q(head_name__startswith=text) | Exists(members.filter(person__name=text))
    return q


def visible_household_numbers(*, reader: User, numbers: set[str]) -> set[str]:
    """Which of these 户编号 name a household the reader may open (to link them, never a dead link)."""
    if not numbers:
        return set()
    return set(in_scope(Household.objects.filter(household_no__in=sorted(numbers)), reader, "village__code")
               .values_list("household_no", flat=True))


def get_household(*, reader: User, household_no: str) -> Household:
    household = (
        in_scope(Household.objects.all(), reader, "village__code")
        .select_related("village__parent__parent__parent__parent")
        .filter(household_no=household_no)
        .first()
    )
    if household is None:
        raise Http404(NOT_FOUND)
    return household


def get_household_year(*, reader: User, household_no: str, year: int | None = None) -> HouseholdYear:
    """The record of that year, or the latest one when no year is given."""
    household = get_household(reader=reader, household_no=household_no)
    years = household.years.order_by("-year")
    record = years.filter(year=year).first() if year else years.first()
    if record is None:
        raise Http404(NOT_FOUND)
    record.household = household
    return record


def household_year_list(*, household: Household) -> list[int]:
    return list(household.years.order_by("year").values_list("year", flat=True))


def members_of(*, household_year: HouseholdYear) -> QuerySet[MemberYear]:
    head_first = Case(When(relation=c.Relation.HEAD, then=Value(0)), default=Value(1))
    return household_year.members.select_related("person").order_by(head_first, "person__birth_date", "pk")


def get_member(*, reader: User, member_id: int) -> MemberYear:
    member = (
        in_scope(MemberYear.objects.all(), reader, "household_year__household__village__code")
        .select_related("person", "household_year__household__village")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404("成员不存在或不在您的管辖范围内")
    return member


def member_years(*, reader: User, year: int, household_no: str | None = None,
                 division: str | None = None) -> QuerySet[MemberYear]:
    qs = in_scope(MemberYear.objects.all(), reader, "household_year__household__village__code").filter(year=year)
    if household_no:
        qs = qs.filter(household_year__household__household_no=household_no)
    if division:
        qs = qs.filter(household_year__household__village__code__startswith=_prefix(division))
    return qs.select_related("person", "household_year__household").order_by(
        "household_year__household__household_no", "pk"
    )


@dataclass
class ChildCount:
    division: Division
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def division_breakdown(*, reader: User, division: Division, year: int) -> tuple[list[ChildCount], dict[str, int]]:
    """Children of a division with household counts by status, in one grouped query."""
    level = DivisionLevel(division.level)
    totals: dict[str, int] = dict.fromkeys(c.HouseholdStatus.values, 0)
    base = in_scope(HouseholdYear.objects.all(), reader, "household__village__code").filter(
        year=year, household__village__code__startswith=division.prefix
    )
    if level == DivisionLevel.VILLAGE:
        for row in base.values("status").annotate(n=Count("id")):
            totals[row["status"]] = row["n"]
        return [], totals
    child_len = LEVEL_PREFIX_LENGTH[LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]]
    children = {d.prefix: ChildCount(d) for d in in_scope(division.children.all(), reader, "code")}
    grouped = (
        base.annotate(child=Substr("household__village__code", 1, child_len))
        .values("child", "status")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        entry = children.get(row["child"])
        if entry is not None:
            entry.counts[row["status"]] = entry.counts.get(row["status"], 0) + row["n"]
        totals[row["status"]] += row["n"]
    return sorted(children.values(), key=lambda e: e.division.code), totals
