"""The demo county's money: funds issued to it, projects of the county library in every state (with their signed
transitions, announcements and beneficiaries), allocations, project spending, 一卡通 payments to registry
households, and village cadres — with a few planted anomalies of every F-/P- rule (funds.md §3–4), so that the
fund list, the trail, the payment search, the household page's 资金到户 and the funds findings all show something;
and the county's loans and assets (sunshine.demo.credit, with one anomaly of every L- rule).

Deterministic by seed: the registry rows are read in 户编号 order and every choice comes from one seeded
generator. Set-based: each table is written with one bulk_create (payments are a few thousand rows at the
default size, a small part of the demo's time). ``clear_demo_funds`` removes what an earlier demo wrote in the
county (payments and beneficiaries hold registry households, which the generator replaces)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from sunshine.core.choices import DivisionLevel
from sunshine.core.ids import make_id_number
from sunshine.core.models import Division, User
from sunshine.demo.credit import CreditSummary, clear_demo_credit, load_demo_credit
from sunshine.funds.choices import PerformanceResult, ProjectStatus
from sunshine.funds.models import (
    Allocation,
    Announcement,
    Expenditure,
    Fund,
    Payment,
    Project,
    ProjectBeneficiary,
    ProjectTransition,
    VillageCadre,
)
from sunshine.registry import choices as rc
from sunshine.registry.models import MemberYear, Person

S = ProjectStatus
REGISTERED = (rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.EXITED, rc.HouseholdStatus.RETURNED)
IN_SCHOOL = (rc.SchoolStatus.JUNIOR, rc.SchoolStatus.SENIOR, rc.SchoolStatus.SECONDARY_VOCATIONAL,
             rc.SchoolStatus.HIGHER_VOCATIONAL, rc.SchoolStatus.COLLEGE)
ORDER = (S.PROPOSED, S.VETTED, S.IN_LIBRARY, S.APPROVED, S.IMPLEMENTING, S.COMPLETED, S.ACCEPTED)
# Who signs each step in the demo (sunshine.funds.lifecycle.STEP_ROLES).
SIGNERS = {S.PROPOSED: "clerk", S.VETTED: "township", S.IN_LIBRARY: "county", S.APPROVED: "county",
           S.IMPLEMENTING: "township", S.COMPLETED: "township", S.ACCEPTED: "county", S.REMOVED: "county"}
NOTES = {S.PROPOSED: "村民代表会议讨论通过,申报入库。", S.VETTED: "经乡镇审核,项目必要、可行。",
         S.IN_LIBRARY: "经县级论证,纳入项目库。", S.APPROVED: "同意实施,资金按计划拨付。",
         S.IMPLEMENTING: "立项公告期满无异议,开工建设。", S.COMPLETED: "工程已完工,申请验收。",
         S.ACCEPTED: "验收合格,绩效目标达成。", S.REMOVED: "选址与规划冲突,项目出库。"}
STANDARD = {"education_aid": Decimal("2000.00"), "medical_premium": Decimal("280.00"),
            "industry_award": Decimal("5000.00"), "public_job": Decimal("800.00"),
            "housing_renovation": Decimal("30000.00"), "temporary_relief": Decimal("3000.00")}


@dataclass
class FundsSummary:
    funds: int = 0
    projects: int = 0
    payments: int = 0
    cadres: int = 0
    planted: list[str] = field(default_factory=list)
    credit: CreditSummary | None = None

    def __str__(self) -> str:
        credit = f", {self.credit}" if self.credit else ""
        return (f"资金 {self.funds} 笔, 项目 {self.projects} 个, 到户发放 {self.payments} 笔, 村干部 {self.cadres} 人"
                f"{credit}; 预置问题 {len(self.planted)} 个")


def clear_demo_funds(county6: str) -> int:
    """Delete the county's funds trail and library (in the order their PROTECT links need); returns the number
    of payments deleted."""
    clear_demo_credit(county6)  # assets hold projects, loans households (PROTECT)
    with transaction.atomic():
        payments = Payment.objects.filter(county__code__startswith=county6).delete()[0]
        Allocation.objects.filter(fund__county__code__startswith=county6).delete()
        Allocation.objects.filter(project__county__code__startswith=county6).delete()
        Expenditure.objects.filter(project__county__code__startswith=county6).delete()
        Project.objects.filter(county__code__startswith=county6).delete()  # transitions, announcements cascade
        Fund.objects.filter(county__code__startswith=county6).delete()
        VillageCadre.objects.filter(village__code__startswith=county6).delete()
    return payments


@dataclass
class Member:
    person_id: int
    name: str
    household_id: int
    household_no: str
    village: str
    school: str
    relation: str


def _members(year: int, county6: str) -> list[Member]:
    rows = (MemberYear.objects
            .filter(year=year, member_status=rc.MemberStatus.ACTIVE, household_year__status__in=REGISTERED,
                    household_year__household__village__code__startswith=county6)
            .order_by("household_year__household__household_no", "person_id")
            .values_list("person_id", "person__name", "household_year__household_id",
                         "household_year__household__household_no", "household_year__household__village_id",
                         "school_status", "relation"))
    return [Member(*row) for row in rows]


class _Builder:
    """Collects the rows, then writes each table at once."""

    def __init__(self, *, year: int, county: Division, rng: random.Random, users: dict[str, User | None]) -> None:
        self.year, self.county, self.rng, self.users = year, county, rng, users
        self.projects: list[Project] = []
        self.paths: dict[str, list[str]] = {}  # project_no → statuses it went through
        self.announcements: list[tuple[str, str, dt.date]] = []  # project_no, kind, start
        self.funds: list[Fund] = []
        self.allocations: list[tuple[str, str, dt.date, Decimal]] = []  # fund_no, project_no
        self.expenditures: list[tuple[str, dt.date, Decimal, str, str]] = []
        self.payments: list[dict[str, Any]] = []
        self.beneficiaries: list[tuple[str, int]] = []
        self.cadres: list[VillageCadre] = []
        self.paid: dict[str, Decimal] = {}  # project_no → paid to people

    def d(self, month: int, day: int) -> dt.date:
        return dt.date(self.year, month, day)

    def project(self, no: str, name: str, *, division: str, category: str, status: str, budget: str,
                planned_end: dt.date | None = None, announce: bool = True, **extra: Any) -> str:
        project_no = f"XM{self.year}{no}"
        path = [S.PROPOSED, S.REMOVED] if status == S.REMOVED else list(ORDER[:ORDER.index(status) + 1])
        accepted = self.d(12, 10) if status == S.ACCEPTED else None
        self.projects.append(Project(
            county=self.county, project_no=project_no, name=name, division_id=division, category=category,
            year=self.year, budget=Decimal(budget), status=status, content=f"{name}:{extra.pop('content', '')}",
            performance_target=extra.pop("target", "带动建档立卡户增收,群众满意度90%以上"),
            planned_households=extra.pop("households", 60), planned_registered_households=extra.pop("registered", 20),
            planned_start=self.d(3, 1), planned_end=planned_end or dt.date(self.year + 1, 6, 30),
            actual_end=self.d(11, 30) if status in (S.COMPLETED, S.ACCEPTED) else None,
            implementer=extra.pop("implementer", "县扶贫开发领导小组办公室"), accepted_date=accepted,
            performance_result=PerformanceResult.MET if status == S.ACCEPTED else "",
            performance_note="各项绩效指标均已完成" if status == S.ACCEPTED else "",
            removal_reason=NOTES[S.REMOVED] if status == S.REMOVED else ""))
        self.paths[project_no] = path
        if announce and S.IMPLEMENTING in path:
            self.announcements.append((project_no, "approval", self.d(1, 2)))
        if status == S.ACCEPTED:
            self.announcements.append((project_no, "result", self.d(12, 12)))
        return project_no

    def fund(self, no: str, source: str, document: str, issued: dt.date) -> str:
        fund_no = f"ZJ{self.year}{no}"
        self.funds.append(Fund(county=self.county, fund_no=fund_no, document_no=document, source=source,
                               year=self.year, issued_date=issued, amount=Decimal("0.00")))
        return fund_no

    def allocate(self, fund_no: str, project_no: str, amount: Decimal, on: dt.date | None = None) -> None:
        self.allocations.append((fund_no, project_no, on or self.d(3, 15), amount))

    def spend(self, project_no: str, amount: str | Decimal, on: dt.date, payee: str, purpose: str) -> None:
        self.expenditures.append((project_no, on, Decimal(amount), payee, purpose))

    def pay(self, m: Member | None, *, item: str, period: str, paid: dt.date, fund_no: str, project_no: str,
            amount: Decimal | None = None, id_number: str = "", name: str = "") -> None:
        value = amount if amount is not None else STANDARD[item]
        self.payments.append({"member": m, "item": item, "period": period, "paid": paid, "fund_no": fund_no,
                              "project_no": project_no, "amount": value, "id_number": id_number, "name": name})
        self.paid[project_no] = self.paid.get(project_no, Decimal("0.00")) + value


def _villages(county6: str) -> list[Division]:
    return list(Division.objects.filter(code__startswith=county6, level=DivisionLevel.VILLAGE).order_by("code"))


def _library(b: _Builder, villages: list[Division]) -> dict[str, str]:
    """The county library: the projects that pay people, works in villages in every state, and the planted
    project anomalies. Returns the role of each project by a short name."""
    pick = b.rng.sample(villages, k=min(len(villages), 12)) if villages else []
    v = [x.code for x in pick] or [b.county.code]
    township = v[0][:9] + "000"
    county = b.county.code

    def at(i: int) -> str:
        return v[i % len(v)]

    p = {
        "education": b.project("001", "建档立卡学生教育资助", division=county, category="education",
                               status=S.COMPLETED, budget="2000000", implementer="县教育局", households=800),
        "medical": b.project("002", "建档立卡人口医保个人缴费补贴", division=county, category="health",
                             status=S.COMPLETED, budget="1200000", implementer="县医保局", households=3000),
        "industry": b.project("003", "到户产业奖补", division=county, category="industry", status=S.ACCEPTED,
                              budget="1500000", implementer="县农业农村局", households=300),
        "jobs": b.project("004", "公益性岗位开发", division=county, category="employment", status=S.COMPLETED,
                          budget="600000", implementer="县人社局", households=60),
        "housing": b.project("005", "农村危房改造", division=county, category="housing", status=S.COMPLETED,
                             budget="1000000", implementer="县住建局", households=30),
        "relief": b.project("006", "困难群众临时救助", division=county, category="other", status=S.COMPLETED,
                            budget="200000", implementer="县民政局", households=40),
        "road": b.project("011", f"{pick[0].name if pick else ''}村道硬化", division=at(0),
                          category="infrastructure", status=S.ACCEPTED, budget="800000", content="硬化村道3.2公里",
                          implementer="县交通运输局"),
        "water": b.project("012", "安全饮水巩固提升", division=at(1), category="infrastructure",
                           status=S.IMPLEMENTING, budget="450000", content="新建供水管网5公里"),
        "greenhouse": b.project("013", "设施蔬菜大棚", division=at(2), category="industry", status=S.ACCEPTED,
                                budget="600000", content="新建蔬菜大棚20座", implementer="村股份经济合作社"),
        "solar": b.project("014", "村级光伏电站", division=at(3), category="asset_income", status=S.APPROVED,
                           budget="900000", content="建设村级光伏电站300千瓦"),
        "bridge": b.project("015", "生产桥改造", division=at(4), category="infrastructure", status=S.IN_LIBRARY,
                            budget="350000"),
        "training": b.project("016", "就业技能培训", division=township, category="employment", status=S.VETTED,
                              budget="120000", content="电商、家政培训6期"),
        "cattle": b.project("017", "肉牛养殖合作社", division=at(5), category="industry", status=S.PROPOSED,
                            budget="500000"),
        "market": b.project("018", "农贸市场改造", division=at(6), category="other", status=S.REMOVED,
                            budget="700000"),
        # Planted anomalies of the project rules.
        "overdue": b.project("021", "灌溉泵站改造", division=at(7), category="infrastructure",
                             status=S.IMPLEMENTING, budget="500000", planned_end=b.d(9, 30),
                             content="泵站机组更新"),  # P-OVERDUE
        "unannounced": b.project("022", "村卫生室标准化建设", division=at(8), category="health",
                                 status=S.IMPLEMENTING, budget="300000", announce=False),  # P-NOANNOUNCE
        "nobenefit": b.project("023", "特色林果基地", division=at(9), category="industry", status=S.ACCEPTED,
                               budget="400000", implementer="某农业公司"),  # P-NOBENEFIT
        "overspend": b.project("024", "村级文化广场", division=at(10), category="infrastructure",
                               status=S.COMPLETED, budget="300000"),  # F-OVERSPEND
        "idle": b.project("025", "小型农田水利", division=at(11), category="infrastructure",
                          status=S.IMPLEMENTING, budget="900000"),  # F-IDLE
    }
    return p


def _payments(b: _Builder, p: dict[str, str], f: dict[str, str], members: list[Member], households: int) -> None:
    """Payments to registered people, about one per eight households (the demo stays quick), and the planted
    payment anomalies."""
    rng, y = b.rng, b.year
    heads = [m for m in members if m.relation == rc.Relation.HEAD]
    students = [m for m in members if m.school in IN_SCHOOL]
    budget = max(40, households // 8)
    for m in sorted(rng.sample(students, k=min(len(students), budget // 4)), key=lambda m: m.person_id):
        b.pay(m, item="education_aid", period=str(y), paid=b.d(rng.choice((3, 9)), 20),
              fund_no=f["central"], project_no=p["education"])
    for m in sorted(rng.sample(members, k=min(len(members), budget // 3)), key=lambda m: m.person_id):
        b.pay(m, item="medical_premium", period=str(y), paid=b.d(1, 15), fund_no=f["provincial"],
              project_no=p["medical"])
    awarded = sorted(rng.sample(heads, k=min(len(heads), budget // 6)), key=lambda m: m.household_no)
    for m in awarded:
        b.pay(m, item="industry_award", period=str(y), paid=b.d(rng.randint(5, 11), 10),
              fund_no=f["integrated"], project_no=p["industry"])
        b.beneficiaries.append((p["industry"], m.household_id))
    taken = {m.household_id for m in awarded}
    rest = [m for m in heads if m.household_id not in taken]
    planted_heads, rest = rest[-2:], rest[:-2]  # kept apart for the planted F-OVER and F-CADRE
    for m in sorted(rng.sample(rest, k=min(len(rest), budget // 20)), key=lambda m: m.person_id):
        for month in range(3, 13):  # monthly: one payment per month is no F-DUP
            b.pay(m, item="public_job", period=f"{y}-{month:02d}", paid=b.d(month, 25), fund_no=f["county"],
                  project_no=p["jobs"])
    for m in sorted(rng.sample(heads, k=min(len(heads), max(3, budget // 60))), key=lambda m: m.person_id):
        b.pay(m, item="housing_renovation", period=str(y), paid=b.d(8, 18), fund_no=f["central"],
              project_no=p["housing"])
    for m in sorted(rng.sample(heads, k=min(len(heads), max(3, budget // 60))), key=lambda m: m.person_id):
        b.pay(m, item="temporary_relief", period=str(y), paid=b.d(rng.randint(2, 11), 5), fund_no=f["county"],
              project_no=p["relief"])
    for m in heads[:8]:
        b.beneficiaries.append((p["greenhouse"], m.household_id))
    _planted_payments(b, p, f, members, planted_heads, students)
    _cadres(b, rng)


def _cadres(b: _Builder, rng: random.Random) -> None:
    """Village cadres (secretary and accountant) of the villages with projects, none of them in the registry."""
    villages = sorted({x.division_id for x in b.projects if len(x.division_id) == 12 and x.division_id[-3:] != "000"})
    for i, code in enumerate(villages):
        for j, position in enumerate(("secretary", "accountant")):
            birth = dt.date(1965 + rng.randint(0, 20), rng.randint(1, 12), rng.randint(1, 28))
            b.cadres.append(VillageCadre(id_number=make_id_number(code[:6], birth, 901 + 2 * (i * 2 + j) % 90),
                                         name=f"{'王李张刘陈杨'[i % 6]}{'建国志强秀英'[j * 2:j * 2 + 2]}",
                                         village_id=code, position=position, start_date=dt.date(b.year - 2, 1, 1),
                                         end_date=None))


def _planted_payments(b: _Builder, p: dict[str, str], f: dict[str, str], members: list[Member],
                      heads: list[Member], students: list[Member]) -> None:
    y = b.year
    # F-DUP and F-OVER: the same student paid the year's education aid twice.
    twice = students[-1] if students else members[-1]
    for month in (3, 9):
        b.pay(twice, item="education_aid", period=str(y), paid=b.d(month, 21), fund_no=f["central"],
              project_no=p["education"])
    # F-OVER alone: one industry award above the standard.
    over = heads[0]
    b.pay(over, item="industry_award", period=str(y), paid=b.d(7, 8), fund_no=f["integrated"],
          project_no=p["industry"], amount=Decimal("6500.00"))
    # F-INELIGIBLE: education aid to someone outside the registry.
    outsider = make_id_number(b.county.code[:6], dt.date(2004, 6, 12), 977)
    b.pay(None, item="education_aid", period=str(y), paid=b.d(9, 22), fund_no=f["central"],
          project_no=p["education"], id_number=outsider, name="赵明轩")
    # F-CADRE: a village cadre's own household receives an industry award.
    cadre = heads[-1]
    b.cadres.append(VillageCadre(id_number="", name=cadre.name, village_id=cadre.village, position="director",
                                 start_date=dt.date(y - 3, 1, 1), end_date=None))
    b.cadres[-1]._demo_person = cadre.person_id  # type: ignore[attr-defined] - its ID is read below
    b.pay(cadre, item="industry_award", period=str(y), paid=b.d(6, 6), fund_no=f["integrated"],
          project_no=p["industry"])


def _deceased_payment(b: _Builder, p: dict[str, str], f: dict[str, str], county6: str) -> bool:
    """F-INELIGIBLE after death: the premium subsidy paid to a member recorded dead earlier in the year."""
    row = (MemberYear.objects.filter(year=b.year, member_status=rc.MemberStatus.DECEASED,
                                     change_date__lt=b.d(12, 1), change_date__gte=b.d(1, 1),
                                     household_year__household__village__code__startswith=county6)
           .order_by("household_year__household__household_no", "person_id")
           .values_list("person_id", "person__name", "household_year__household_id",
                        "household_year__household__household_no", "household_year__household__village_id",
                        "school_status", "relation", "change_date").first())
    if row is None:
        return False
    member, died = Member(*row[:7]), row[7]
    b.pay(member, item="medical_premium", period=str(b.year), paid=died + dt.timedelta(days=20),
          fund_no=f["provincial"], project_no=p["medical"])
    return True


def _works(b: _Builder, p: dict[str, str], f: dict[str, str]) -> None:
    """Allocations and spending of the works projects (the payment projects are allocated what they paid)."""
    d = b.d
    b.allocate(f["integrated"], p["road"], Decimal("780000.00"), d(3, 20))
    b.spend(p["road"], "500000.00", d(6, 30), "县路桥工程公司", "工程进度款")
    b.spend(p["road"], "280000.00", d(11, 20), "县路桥工程公司", "工程结算款")
    b.allocate(f["city"], p["water"], Decimal("200000.00"), d(11, 1))
    b.spend(p["water"], "150000.00", d(12, 5), "县水务公司", "管材采购")
    b.allocate(f["integrated"], p["greenhouse"], Decimal("560000.00"), d(3, 20))
    b.spend(p["greenhouse"], "560000.00", d(8, 15), "某温室工程公司", "大棚建设")
    b.allocate(f["city"], p["overdue"], Decimal("300000.00"), d(4, 10))
    b.spend(p["overdue"], "300000.00", d(7, 1), "县水利工程处", "机组采购安装")
    b.allocate(f["provincial"], p["unannounced"], Decimal("250000.00"), d(4, 10))
    b.spend(p["unannounced"], "250000.00", d(1, 10), "县建筑公司", "主体工程")  # spent before any notice
    b.allocate(f["integrated"], p["nobenefit"], Decimal("400000.00"), d(3, 20))
    b.spend(p["nobenefit"], "400000.00", d(9, 1), "某农业公司", "苗木采购与种植")
    b.allocate(f["city"], p["overspend"], Decimal("345000.00"), d(4, 10))  # F-OVERSPEND: over the 300,000 budget
    b.spend(p["overspend"], "345000.00", d(9, 20), "县建筑公司", "广场建设")
    b.allocate(f["county"], p["idle"], Decimal("900000.00"), d(4, 10))  # F-IDLE: 620,000 lies unspent
    b.spend(p["idle"], "280000.00", d(8, 1), "县水利工程处", "渠道清淤")
    b.allocate(f["social"], p["solar"], Decimal("200000.00"), d(11, 25))  # F-DELAY: the rest of the fund lies idle


def load_demo_funds(*, year: int, county6: str, seed: int = 1) -> FundsSummary:
    """Write the demo county's funds trail and project library for ``year`` (replacing an earlier demo's)."""
    clear_demo_funds(county6)
    county = Division.objects.get(code=f"{county6}000000")
    rng = random.Random(seed * 7919 + year)  # noqa: S311 - synthetic data, not security
    users = {u.username: u for u in User.objects.filter(username__in=set(SIGNERS.values()))}
    b = _Builder(year=year, county=county, rng=rng, users=users)
    summary = FundsSummary()
    members = _members(year, county6)
    if not members:
        return summary
    villages = _villages(county6)
    p = _library(b, villages)
    f = {"central": b.fund("01", "central", f"财农〔{year}〕12号", b.d(1, 20)),
         "provincial": b.fund("02", "provincial", f"苏财农〔{year}〕8号", b.d(2, 10)),
         "city": b.fund("03", "city", f"徐财农〔{year}〕5号", b.d(3, 2)),
         "county": b.fund("04", "county", f"丰财农〔{year}〕3号", b.d(3, 5)),
         "integrated": b.fund("05", "integrated", f"丰政发〔{year}〕21号", b.d(2, 28)),
         "social": b.fund("06", "social", f"东西部协作〔{year}〕2号", b.d(4, 1))}
    households = len({m.household_id for m in members})
    _payments(b, p, f, members, households)
    deceased = _deceased_payment(b, p, f, county6)
    _works(b, p, f)
    # The payment projects are allocated what they paid, in one allocation before the first payment.
    funding = {p["education"]: "central", p["medical"]: "provincial", p["industry"]: "integrated",
               p["jobs"]: "county", p["housing"]: "central", p["relief"]: "county"}
    for project_no, source in funding.items():
        b.allocate(f[source], project_no, b.paid.get(project_no, Decimal("0.00")), b.d(1, 16))
    _write(b, county6, members)
    # Loans and assets (issue 14) draw from their own generator: the trail above stays as it was.
    summary.credit = load_demo_credit(year=year, county6=county6, seed=seed, households=households, users=users)
    summary.funds, summary.projects = len(b.funds), len(b.projects)
    summary.payments, summary.cadres = len(b.payments), len(b.cadres)
    summary.planted = ["F-DELAY", "F-IDLE", "F-OVERSPEND", "F-DUP", "F-OVER", "F-INELIGIBLE", "F-CADRE",
                       "P-OVERDUE", "P-NOANNOUNCE", "P-NOBENEFIT"] + (["F-INELIGIBLE(死亡)"] if deceased else [])
    if summary.credit.loans:
        summary.planted += ["L-LIMIT", "L-INELIGIBLE", "L-OVERDUE"]
    return summary


def _write(b: _Builder, county6: str, members: list[Member]) -> None:
    numbers = dict(Person.objects.filter(pk__in={pay["member"].person_id for pay in b.payments if pay["member"]}
                                         | {getattr(c, "_demo_person", 0) for c in b.cadres})
                   .values_list("pk", "id_number"))
    allocated: dict[str, Decimal] = {}
    for fund_no, _project, _on, amount in b.allocations:
        allocated[fund_no] = allocated.get(fund_no, Decimal("0.00")) + amount
    for project in b.projects:
        # The payment projects' budgets follow what the region's size made them pay (no false F-OVERSPEND).
        paid = b.paid.get(project.project_no, Decimal("0.00"))
        if paid * Decimal("1.1") > project.budget:
            project.budget = (paid * Decimal("1.2") / 10000).quantize(Decimal("1")) * 10000
    for fund in b.funds:
        # Every fund is issued what it allocates, except the social fund: 300,000 of it lies idle (F-DELAY).
        fund.amount = allocated.get(fund.fund_no, Decimal("0.00")) + (
            Decimal("300000.00") if fund.source == "social" else Decimal("0.00"))
    with transaction.atomic():
        projects = {p.project_no: p for p in Project.objects.bulk_create(b.projects)}
        funds = {x.fund_no: x for x in Fund.objects.bulk_create(b.funds)}
        transitions = []
        for project_no, path in b.paths.items():
            previous = ""
            for step in path:
                transitions.append(ProjectTransition(project=projects[project_no], from_status=previous,
                                                     to_status=step, user=b.users.get(SIGNERS[step]),
                                                     note=NOTES[step]))
                previous = step
        ProjectTransition.objects.bulk_create(transitions)
        titles = {"approval": "立项公告", "result": "结果公告"}
        Announcement.objects.bulk_create([
            Announcement(project=projects[no], kind=kind, title=f"{projects[no].name}{titles[kind]}",
                         body=f"{projects[no].content}。预算{projects[no].budget}元,实施单位{projects[no].implementer}。",
                         start_date=start, end_date=start + dt.timedelta(days=9), created_by=b.users.get("county"))
            for no, kind, start in b.announcements])
        Allocation.objects.bulk_create([Allocation(fund=funds[fn], project=projects[pn], date=on, amount=amount)
                                        for fn, pn, on, amount in b.allocations])
        Expenditure.objects.bulk_create([Expenditure(project=projects[pn], date=on, amount=amount, payee=payee,
                                                     purpose=purpose)
                                         for pn, on, amount, payee, purpose in b.expenditures])
        ProjectBeneficiary.objects.bulk_create(
            [ProjectBeneficiary(project=projects[pn], household_id=h) for pn, h in dict.fromkeys(b.beneficiaries)])
        for cadre in b.cadres:
            if hasattr(cadre, "_demo_person"):
                cadre.id_number = numbers.get(cadre._demo_person, "")
        VillageCadre.objects.bulk_create([c for c in b.cadres if c.id_number])
        rows = []
        for i, pay in enumerate(b.payments, start=1):
            m: Member | None = pay["member"]
            rows.append(Payment(
                county=b.county, payment_no=f"FF{b.year}{i:06d}",
                id_number=numbers.get(m.person_id, "") if m else pay["id_number"], name=m.name if m else pay["name"],
                household_id=m.household_id if m else None, household_no=m.household_no if m else "",
                item=pay["item"], period=pay["period"], amount=pay["amount"], paid_date=pay["paid"],
                fund=funds[pay["fund_no"]], project=projects[pay["project_no"]]))
        Payment.objects.bulk_create(rows, batch_size=2000)
