"""建档立卡: households and people by status, exits, income bands and the safety net, per village (the
registry's own tables).

Per-capita income follows the assessment (policy-rules.md §1, H-INC): the household's disposable income over
its active (在册) members, truncated to the fen. ``income < line × members`` decides the same as comparing the
truncated per-capita figure with a line in whole fen, and needs no division (SQLite divides integers)."""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Direction, Indicator, Kind, Query, Target, labels, statement
from sunshine.dashboard.indicators.params import parameter
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


def exits(year: int) -> Query:
    """Households whose exit year is this year (标注脱贫 in the year)."""
    return (
        statement(
            "SELECT h.village_id, '', COUNT(*), NULL"
            " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
            " WHERE hy.year = %s AND hy.exit_year = %s GROUP BY h.village_id",
            household_year=HouseholdYear, household=Household,
        ),
        [year, year],
    )


def exit_people(year: int) -> Query:
    return (
        statement(
            "SELECT h.village_id, '', COUNT(*), NULL"
            " FROM {member_year} m JOIN {household_year} hy ON hy.id = m.household_year_id"
            " JOIN {household} h ON h.id = hy.household_id"
            " WHERE m.year = %s AND m.member_status = %s AND hy.year = %s AND hy.exit_year = %s"
            " GROUP BY h.village_id",
            member_year=MemberYear, household_year=HouseholdYear, household=Household,
        ),
        [year, rc.MemberStatus.ACTIVE, year, year],
    )


INCOME = ("(hy.wage_income + hy.business_income - hy.business_expense + hy.property_income"
          " + hy.transfer_income - hy.transfer_expense)")
# Active members per household record of the year: one grouped pass over the members, joined once.
ACTIVE_MEMBERS = ("(SELECT household_year_id, COUNT(*) AS n FROM {member_year}"
                  " WHERE year = %s AND member_status = %s GROUP BY household_year_id)")

BELOW_LINE, BELOW_MONITORING, ABOVE_MONITORING, UNKNOWN = (
    "below_line", "below_monitoring", "above_monitoring", "unknown")
INCOME_BANDS = {
    BELOW_LINE: _("低于收入标准"),
    BELOW_MONITORING: _("收入标准至监测线之间"),
    ABOVE_MONITORING: _("高于监测线"),
    UNKNOWN: _("收入不详"),
}


def _banded(year: int) -> Query:
    """(village, band) of every household of the year but the closed ones, as a derived table."""
    line, line_params = parameter(year, "income_line", "h.village_id")
    monitoring, monitoring_params = parameter(year, "monitoring_line", "h.village_id")
    sql = statement(
        "(SELECT h.village_id AS village, CASE"
        f" WHEN {INCOME} IS NULL OR m.n IS NULL THEN '{UNKNOWN}'"
        f" WHEN {INCOME} < ({line}) * m.n THEN '{BELOW_LINE}'"
        f" WHEN {INCOME} < ({monitoring}) * m.n THEN '{BELOW_MONITORING}'"
        f" ELSE '{ABOVE_MONITORING}' END AS band"
        " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
        f" LEFT JOIN {ACTIVE_MEMBERS} m ON m.household_year_id = hy.id"
        " WHERE hy.year = %s AND hy.status <> %s)",
        household_year=HouseholdYear, household=Household, member_year=MemberYear,
    )
    # Parameters in the order of their placeholders: the CASE, then the members' subquery, then the WHERE.
    return sql, [*line_params, *monitoring_params, year, rc.MemberStatus.ACTIVE, year, rc.HouseholdStatus.CLOSED]


def income_bands(year: int) -> Query:
    banded, params = _banded(year)
    return f"SELECT b.village, b.band, COUNT(*), NULL FROM {banded} b GROUP BY b.village, b.band", params


def income_below_line(year: int) -> Query:
    banded, params = _banded(year)
    return (
        f"SELECT b.village, '', SUM(CASE WHEN b.band = '{BELOW_LINE}' THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN b.band <> '{UNKNOWN}' THEN 1 ELSE 0 END) FROM {banded} b GROUP BY b.village",
        params,
    )


def household_types(year: int) -> Query:
    """低保户 and 特困供养户 among the registered households (兜底保障, seed: 低保 应保尽保); closed ones left out."""
    return (
        statement(
            "SELECT h.village_id, hy.household_type, COUNT(*), NULL"
            " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
            " WHERE hy.year = %s AND hy.status <> %s AND hy.household_type IN (%s, %s)"
            " GROUP BY h.village_id, hy.household_type",
            household_year=HouseholdYear, household=Household,
        ),
        [year, rc.HouseholdStatus.CLOSED, rc.HouseholdType.DIBAO, rc.HouseholdType.TEKUN],
    )


def medical_insurance(year: int) -> Query:
    """Active members of open households with basic medical insurance (基本医疗保险全覆盖) / active members."""
    return (
        statement(
            "SELECT h.village_id, '', SUM(CASE WHEN m.medical_insured = %s THEN 1 ELSE 0 END), COUNT(*)"
            " FROM {member_year} m JOIN {household_year} hy ON hy.id = m.household_year_id"
            " JOIN {household} h ON h.id = hy.household_id"
            " WHERE m.year = %s AND m.member_status = %s AND hy.status <> %s GROUP BY h.village_id",
            member_year=MemberYear, household_year=HouseholdYear, household=Household,
        ),
        [True, year, rc.MemberStatus.ACTIVE, rc.HouseholdStatus.CLOSED],
    )


register(Indicator(
    code="exits", name=_("当年脱贫户数"), unit=_("户"), section=Section.REGISTRY, query=exits,
    direction=Direction.UP, sources=SOURCES, headline=True,
    description=_("当年度记录中脱贫年度为本年的户数"),
))
register(Indicator(
    code="exit_people", name=_("当年脱贫人数"), unit=_("人"), section=Section.REGISTRY, query=exit_people,
    direction=Direction.UP, sources=SOURCES,
    description=_("当年脱贫户的在册成员人数"),
))
register(Indicator(
    code="income_bands", name=_("人均可支配收入分布"), unit=_("户"), section=Section.REGISTRY,
    query=income_bands, keys=INCOME_BANDS, sources=SOURCES | {"policy"},
    description=_("按户人均可支配收入(家庭可支配收入÷在册人数)相对收入标准和监测线分档,不含已销户"),
))
register(Indicator(
    code="income_below_line", name=_("人均收入低于标准的户占比"), unit="%", section=Section.REGISTRY,
    query=income_below_line, kind=Kind.SHARE, direction=Direction.DOWN, target=Target(value=Decimal(0)),
    sources=SOURCES | {"policy"}, headline=True,
    description=_("人均可支配收入低于当年收入标准的户数÷收入已知的户数,不含已销户"),
))
register(Indicator(
    code="household_types", name=_("低保户和特困供养户数"), unit=_("户"), section=Section.REGISTRY,
    query=household_types, keys={rc.HouseholdType.DIBAO.value: rc.HouseholdType.DIBAO.label,
                                 rc.HouseholdType.TEKUN.value: rc.HouseholdType.TEKUN.label},
    sources=SOURCES, description=_("兜底保障:户类型为低保户或特困供养户的户数,不含已销户"),
))
register(Indicator(
    code="medical_insurance", name=_("基本医疗保险参保率"), unit="%", section=Section.REGISTRY,
    query=medical_insurance, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    sources=SOURCES, description=_("参加基本医疗保险的在册成员÷在册成员,不含已销户"),
))
