"""建档立卡: households and people by status, per village (the registry's own tables)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Indicator, Query, labels, statement
from sunshine.registry import choices as rc
from sunshine.registry.models import Household, HouseholdYear, MemberYear

SOURCES = frozenset({"registry"})


def households_by_status(year: int) -> Query:
    return (
        statement(
            "SELECT h.village_id, hy.status, COUNT(*), NULL"
            " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
            " WHERE hy.year = %s GROUP BY h.village_id, hy.status",
            household_year=HouseholdYear, household=Household,
        ),
        [year],
    )


def people_by_status(year: int) -> Query:
    """Members on the register (在册) of the year, by their household's status."""
    return (
        statement(
            "SELECT h.village_id, hy.status, COUNT(*), NULL"
            " FROM {member_year} m JOIN {household_year} hy ON hy.id = m.household_year_id"
            " JOIN {household} h ON h.id = hy.household_id"
            " WHERE m.year = %s AND m.member_status = %s GROUP BY h.village_id, hy.status",
            member_year=MemberYear, household_year=HouseholdYear, household=Household,
        ),
        [year, rc.MemberStatus.ACTIVE],
    )


register(Indicator(
    code="households", name=_("建档立卡户数"), unit=_("户"), section=Section.REGISTRY,
    query=households_by_status, keys=labels(rc.HouseholdStatus), sources=SOURCES, headline=True,
    description=_("当年登记的户数,按户状态分列"),
))
register(Indicator(
    code="people", name=_("建档立卡人数"), unit=_("人"), section=Section.REGISTRY,
    query=people_by_status, keys=labels(rc.HouseholdStatus), sources=SOURCES, headline=True,
    description=_("当年在册成员人数,按所在户状态分列"),
))
