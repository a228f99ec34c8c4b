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
from sunshine.dashboard.indicators.prepared import prepare
from sunshine.registry import choices as rc
from sunshine.registry.models import Household, HouseholdYear, MemberYear

SOURCES = frozenset({"registry"})


INCOME = ("(hy.wage_income + hy.business_income - hy.business_expense + hy.property_income"
          " + hy.transfer_income - hy.transfer_expense)")
# Per household record of the year: its active members and those of them insured, from one grouped pass over
# the year's members (an index-only scan of memberyear_year_status_hy, already in household_year order).
ACTIVE_MEMBERS = ("(SELECT household_year_id, COUNT(*) AS n,"
                  " SUM(CASE WHEN medical_insured = %s THEN 1 ELSE 0 END) AS insured"
                  " FROM {member_year} WHERE year = %s AND member_status = %s GROUP BY household_year_id)")

BELOW_LINE, BELOW_MONITORING, ABOVE_MONITORING, UNKNOWN = (
    "below_line", "below_monitoring", "above_monitoring", "unknown")
INCOME_BANDS = {
    BELOW_LINE: _("低于收入标准"),
    BELOW_MONITORING: _("收入标准至监测线之间"),
    ABOVE_MONITORING: _("高于监测线"),
    UNKNOWN: _("收入不详"),
}


def household_facts(year: int) -> Query:
    """The year's households counted per village and per combination of what the registry indicators break
    them down by: status, type, exited this year or not, income band (by the standard of the village), with
    their active and insured members. Every registry indicator below sums this small table instead of reading
    the members (2.5M rows a year in a province) and the households again: they are read once, by this."""
    line, line_params = parameter(year, "income_line", "h.village_id")
    monitoring, monitoring_params = parameter(year, "monitoring_line", "h.village_id")
    sql = statement(
        "SELECT q.village, q.status, q.household_type, q.exited, q.band, COUNT(*) AS households,"
        " SUM(q.active_members) AS active_members, SUM(q.insured_members) AS insured_members FROM ("
        " SELECT h.village_id AS village, hy.status AS status, hy.household_type AS household_type,"
        " CASE WHEN hy.exit_year = %s THEN 1 ELSE 0 END AS exited,"
        " COALESCE(m.n, 0) AS active_members, COALESCE(m.insured, 0) AS insured_members,"
        f" CASE WHEN {INCOME} IS NULL OR m.n IS NULL THEN '{UNKNOWN}'"
        f" WHEN {INCOME} < ({line}) * m.n THEN '{BELOW_LINE}'"
        f" WHEN {INCOME} < ({monitoring}) * m.n THEN '{BELOW_MONITORING}'"
        f" ELSE '{ABOVE_MONITORING}' END AS band"
        " FROM {household_year} hy JOIN {household} h ON h.id = hy.household_id"
        f" LEFT JOIN {ACTIVE_MEMBERS} m ON m.household_year_id = hy.id"
        " WHERE hy.year = %s) q GROUP BY q.village, q.status, q.household_type, q.exited, q.band",
        household_year=HouseholdYear, household=Household, member_year=MemberYear,
    )
    # Parameters in the order of their placeholders: exit year, the CASE, the members' subquery, the WHERE.
    return sql, [year, *line_params, *monitoring_params, True, year, rc.MemberStatus.ACTIVE, year]


FACTS = prepare("household_facts", household_facts)
USES = (FACTS.name,)


def _facts(select: str, where: str = "") -> str:
    """``SELECT <select> FROM <the year's household facts> f [WHERE <where>]``: the caller adds its GROUP BY."""
    return f"SELECT {select} FROM {FACTS.table} f{' WHERE ' + where if where else ''}"


def households_by_status(year: int) -> Query:
    return _facts("f.village, f.status, SUM(f.households), NULL") + " GROUP BY f.village, f.status", []


def people_by_status(year: int) -> Query:
    """Members on the register (在册) of the year, by their household's status."""
    return _facts("f.village, f.status, SUM(f.active_members), NULL") + " GROUP BY f.village, f.status", []


register(Indicator(
    code="households", name=_("建档立卡户数"), unit=_("户"), section=Section.REGISTRY,
    query=households_by_status, keys=labels(rc.HouseholdStatus), uses=USES, sources=SOURCES, headline=True,
    description=_("当年登记的户数,按户状态分列"),
))
register(Indicator(
    code="people", name=_("建档立卡人数"), unit=_("人"), section=Section.REGISTRY,
    query=people_by_status, keys=labels(rc.HouseholdStatus), uses=USES, sources=SOURCES, headline=True,
    description=_("当年在册成员人数,按所在户状态分列"),
))


def exits(year: int) -> Query:
    """Households whose exit year is this year (标注脱贫 in the year)."""
    return _facts("f.village, '', SUM(f.households), NULL", "f.exited = 1") + " GROUP BY f.village", []


def exit_people(year: int) -> Query:
    return _facts("f.village, '', SUM(f.active_members), NULL", "f.exited = 1") + " GROUP BY f.village", []


def income_bands(year: int) -> Query:
    """Households of the year but the closed ones by income band."""
    return (_facts("f.village, f.band, SUM(f.households), NULL", "f.status <> %s") + " GROUP BY f.village, f.band",
            [rc.HouseholdStatus.CLOSED])


def income_below_line(year: int) -> Query:
    return (
        _facts(f"f.village, '', SUM(CASE WHEN f.band = '{BELOW_LINE}' THEN f.households ELSE 0 END),"
               f" SUM(CASE WHEN f.band <> '{UNKNOWN}' THEN f.households ELSE 0 END)", "f.status <> %s")
        + " GROUP BY f.village",
        [rc.HouseholdStatus.CLOSED],
    )


def household_types(year: int) -> Query:
    """低保户 and 特困供养户 among the registered households (兜底保障, seed: 低保 应保尽保); closed ones left out."""
    return (
        _facts("f.village, f.household_type, SUM(f.households), NULL",
               "f.status <> %s AND f.household_type IN (%s, %s)")
        + " GROUP BY f.village, f.household_type",
        [rc.HouseholdStatus.CLOSED, rc.HouseholdType.DIBAO, rc.HouseholdType.TEKUN],
    )


def medical_insurance(year: int) -> Query:
    """Active members of open households with basic medical insurance (基本医疗保险全覆盖) / active members."""
    return (
        _facts("f.village, '', SUM(f.insured_members), SUM(f.active_members)", "f.status <> %s")
        + " GROUP BY f.village",
        [rc.HouseholdStatus.CLOSED],
    )


register(Indicator(
    code="exits", name=_("当年脱贫户数"), unit=_("户"), section=Section.REGISTRY, query=exits,
    direction=Direction.UP, uses=USES, sources=SOURCES, headline=True,
    description=_("当年度记录中脱贫年度为本年的户数"),
))
register(Indicator(
    code="exit_people", name=_("当年脱贫人数"), unit=_("人"), section=Section.REGISTRY, query=exit_people,
    direction=Direction.UP, uses=USES, sources=SOURCES,
    description=_("当年脱贫户的在册成员人数"),
))
register(Indicator(
    code="income_bands", name=_("人均可支配收入分布"), unit=_("户"), section=Section.REGISTRY,
    query=income_bands, keys=INCOME_BANDS, uses=USES, sources=SOURCES | {"policy"},
    description=_("按户人均可支配收入(家庭可支配收入÷在册人数)相对收入标准和监测线分档,不含已销户"),
))
register(Indicator(
    code="income_below_line", name=_("人均收入低于标准的户占比"), unit="%", section=Section.REGISTRY,
    query=income_below_line, kind=Kind.SHARE, direction=Direction.DOWN, target=Target(value=Decimal(0)),
    uses=USES, sources=SOURCES | {"policy"}, headline=True,
    description=_("人均可支配收入低于当年收入标准的户数÷收入已知的户数,不含已销户"),
))
register(Indicator(
    code="household_types", name=_("低保户和特困供养户数"), unit=_("户"), section=Section.REGISTRY,
    query=household_types, keys={rc.HouseholdType.DIBAO.value: rc.HouseholdType.DIBAO.label,
                                 rc.HouseholdType.TEKUN.value: rc.HouseholdType.TEKUN.label},
    uses=USES, sources=SOURCES, description=_("兜底保障:户类型为低保户或特困供养户的户数,不含已销户"),
))
register(Indicator(
    code="medical_insurance", name=_("基本医疗保险参保率"), unit="%", section=Section.REGISTRY,
    query=medical_insurance, kind=Kind.SHARE, direction=Direction.UP, target=Target(value=Decimal(1)),
    uses=USES, sources=SOURCES, description=_("参加基本医疗保险的在册成员÷在册成员,不含已销户"),
))
