"""A village with everything the public site could leak (tests of the portal, the public crawl and the browser
test): households whose members have ID numbers, phones, birth dates, chronic illness and disability; a registry
case in its notice period; a village project with a running approval announcement, a county project for the
village's households with an ended result announcement; asset dividends of two years; a loan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from sunshine.funds.choices import ProjectStatus
from sunshine.funds.models import ProjectBeneficiary
from sunshine.funds.tests import credit_factories as cf
from sunshine.funds.tests import project_factories as pf
from sunshine.registry import choices as c
from sunshine.registry import services as registry
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf

HEADS = ("王小明", "李秀英", "张建国")


@dataclass
class PublicVillage:
    households: list[HouseholdYear]
    case: Any
    current: Any          # the running approval announcement (village project)
    past: Any             # the ended result announcement (county project benefiting the village)
    years: tuple[int, int]
    names: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    birth_dates: list[dt.date] = field(default_factory=list)
    incomes: list[Decimal] = field(default_factory=list)


def build(users: dict[str, Any]) -> PublicVillage:
    county = users["county"]
    on = timezone.localdate()
    households = []
    for i, head in enumerate(HEADS):
        hy = f.make_household(county, village=f.VILLAGE_A, head_name=head, members=2, year=2020,
                              phone=f"1380013{i:04d}", wage_income=Decimal(f"{15321 + i}.00"))
        registry.add_member(actor=county, household_year=hy, procedure=registry.Procedure.seed(), name=f"{head[0]}德福",
                            id_number=f.new_id(dt.date(1955, 7, 9 + i)), relation=c.Relation.PARENT,
                            health=c.Health.DISABLED, disability_level=c.DisabilityLevel.LEVEL2,
                            disability_type=c.DisabilityType.PHYSICAL, medical_insured=True)
        MemberYear.objects.filter(household_year=hy, relation=c.Relation.HEAD).update(health=c.Health.CHRONIC)
        households.append(hy)
    case = wf.to_notice(users["clerk"], wf.open_exit(users["clerk"], households[0],
                                                     reason=f"人均收入稳定超过标准,户主电话{households[0].phone}"))
    village_project = pf.make_project(actor=county, division=f.VILLAGE_A, status=ProjectStatus.APPROVED,
                                      name="甲一村道路硬化工程")
    current = pf.announce(village_project, kind="approval", start=on - dt.timedelta(days=2), days=10, actor=county)
    county_project = pf.make_project(actor=county, division=f.COUNTY, status=ProjectStatus.ACCEPTED,
                                     name="全县光伏扶贫工程", accepted_date=on - dt.timedelta(days=60))
    for hy in households:
        ProjectBeneficiary.objects.create(project=county_project, household=hy.household)
    past = pf.announce(county_project, kind="result", start=on - dt.timedelta(days=40), days=10, actor=county)
    cf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A,), ratio="0.6", income={2019: "800.00", 2020: "1000.00"},
                  asset_no="ZC-PORTAL-1", project=county_project)
    cf.make_loan(household_year=households[1], amount="30000.00", loan_no="DK-PORTAL-1")
    built = PublicVillage(households=households, case=case, current=current, past=past, years=(2020, 2019))
    for hy in households:
        hy.refresh_from_db()
        built.names.append(hy.head_name)
        built.phones.append(hy.phone)
        built.incomes += [hy.wage_income, hy.business_income, hy.transfer_income]
        for m in hy.members.select_related("person"):
            built.names.append(m.person.name)
            built.id_numbers.append(m.person.id_number)
            if m.person.birth_date:
                built.birth_dates.append(m.person.birth_date)
    return built
