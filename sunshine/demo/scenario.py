"""The demo's day in the office: an official assessment, monitored households, cases at every step, a sample
draw with visits, and warnings of which some are overdue — so that each role's to-do list and every page has
something to show. Everything goes through the services the pages call, signed by the demo users, so the
signatures, histories and guards are the real ones.

Exit cases open only for households that meet the standard in the year's official assessment (run first here).
The demo clerk is bound to the village with the most such households (the township reviewer to its township), so
that the clerk can sign every village step of the demo's cases.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F
from django.utils import timezone

from sunshine.assessment.choices import Kind, Result
from sunshine.assessment.models import HouseholdAssessment
from sunshine.assessment.services import run_assessment
from sunshine.comparison.models import Finding
from sunshine.core.choices import DivisionLevel
from sunshine.core.ids import make_id_number
from sunshine.core.models import Division, User
from sunshine.monitoring.choices import WarningStatus
from sunshine.monitoring.escalation import escalate_overdue
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold
from sunshine.monitoring.monitored.services import create_monitored
from sunshine.monitoring.sampling.draw import draw_sample
from sunshine.monitoring.sampling.services import record_visit, unit_status
from sunshine.registry import choices as rc
from sunshine.registry.models import Household, HouseholdYear, Person
from sunshine.workflow.choices import CaseType, ChangeKind, Decision, Step
from sunshine.workflow.models import Case
from sunshine.workflow.services.cases import advance, open_case
from sunshine.workflow.services.objections import submit_objection

logger = logging.getLogger(__name__)

# Where the demo's exit cases stop, in the order households are given to them (the public notice first, so that
# /public/notices/ shows cases even in a small region): the step awaited, and whether an objection holds it.
EXIT_PLAN: tuple[tuple[str, bool], ...] = (
    (Step.VILLAGE_NOTICE, False), (Step.VILLAGE_NOTICE, False), (Step.VILLAGE_NOTICE, True),
    (Step.TOWNSHIP_REVIEW, False), (Step.COUNTY_APPROVAL, False), (Step.HOUSEHOLD, False),
    (Step.APPRAISAL, False), (Step.TOWNSHIP_REVIEW, False), (Step.CADRE, False),
)
MONITORED = ((Decimal("7200.00"), 3), (Decimal("8400.00"), 2), (Decimal("11500.00"), 4))
VISITS = 6


@dataclass
class ScenarioSummary:
    assessment: dict[str, int] = field(default_factory=dict)
    village: str = ""
    cases: dict[str, int] = field(default_factory=dict)
    visits: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        cases = ", ".join(f"{k} {v}" for k, v in self.cases.items())
        return (f"正式评估 {self.assessment}; 演示村 {self.village}; 案件: {cases}; "
                f"抽样走访 {self.visits} 户; 逾期升级督办 {self.escalated} 条")


def demo_user(username: str) -> User:
    return User.objects.get(username=username)


def assess(year: int, county6: str) -> dict[str, int]:
    """The official household assessment of the demo year over the county, by the county manager."""
    run = run_assessment(actor=demo_user("county"), kind=Kind.HOUSEHOLDS, year=year,
                         division_code=f"{county6}000000")
    rows = HouseholdAssessment.objects.filter(run=run).values("result").annotate(n=Count("pk"))
    return {r["result"]: r["n"] for r in rows}


def _eligible(year: int, county6: str) -> list[Household]:
    """Households in poverty (or returned) in ``year`` that meet the standard in the latest official run."""
    rows = (HouseholdAssessment.objects
            .filter(run__year=year, run__official=True, run__kind=Kind.HOUSEHOLDS, result=Result.MEETS,
                    household__village__code__startswith=county6)
            .filter(household__years__year=year,
                    household__years__status__in=(rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.RETURNED))
            .order_by("-run__created_at", "household__household_no").select_related("household"))
    seen: dict[int, Household] = {}
    for row in rows:
        seen.setdefault(row.household_id, row.household)
    return list(seen.values())


def bind_clerk(year: int, county6: str) -> tuple[Division, list[Household]]:
    """Bind the demo clerk to the village with the most households due to exit (the township reviewer to its
    township); returns the village and those households."""
    by_village: dict[str, list[Household]] = {}
    for household in _eligible(year, county6):
        by_village.setdefault(household.village_id, []).append(household)
    clerk, township = demo_user("clerk"), demo_user("township")
    if by_village:
        code = max(sorted(by_village), key=lambda c: len(by_village[c]))
        village = Division.objects.get(code=code)
        clerk.division = village
        clerk.save(update_fields=["division"])
        township.division = village.parent
        township.save(update_fields=["division"])
    else:
        village = clerk.division
    return village, by_village.get(village.code, [])


def add_monitored(year: int, village: Division) -> list[MonitoredHousehold]:
    """A few households outside the registry that the clerk watches (边缘户), two of them below the line."""
    clerk = demo_user("clerk")
    out = []
    for i, (income, size) in enumerate(MONITORED, start=1):
        number = f"JC{village.code}{i:03d}"
        birth = dt.date(1968 + 3 * i, 1 + i, 10 + i)
        id_number = next(n for seq in range(900, 999, 2)
                         if not Person.objects.filter(id_number=(n := make_id_number(village.code[:6], birth, seq)))
                         .exists())
        out.append(create_monitored(actor=clerk, number=number, year=year, division_code=village.code,
                                    head_name=f"演示监测户{i}", head_id_number=id_number, members=size,
                                    per_capita_income=income, note="合成演示数据"))
    return out


def _walk(case: Case, to: str, on: dt.date) -> Case:
    """Sign each step of ``case`` as its role's demo user until ``to`` is awaited."""
    signer = {Step.HOUSEHOLD: "clerk", Step.CADRE: "clerk", Step.APPRAISAL: "clerk", Step.VILLAGE_COMMITTEE: "clerk",
              Step.VILLAGE_NOTICE: "clerk", Step.TOWNSHIP_REVIEW: "township", Step.COUNTY_APPROVAL: "county",
              Step.ANNOUNCEMENT: "county"}
    while case.awaiting_step and case.awaiting_step != to:
        step = case.awaiting_step
        # A notice that has run its course: signed the day after it ended, as the village would.
        day = case.notice_end + dt.timedelta(days=1) if step == Step.VILLAGE_NOTICE and case.notice_end else on
        case = advance(actor=demo_user(signer[step]), case=case, step=step, decision=Decision.APPROVE,
                       note="经核实,同意。", today=day)
    return case


def open_cases(year: int, village: Division, eligible: list[Household],
               monitored: list[MonitoredHousehold]) -> dict[str, int]:
    clerk = demo_user("clerk")
    today = timezone.localdate()
    for household, (stop, objection) in zip(eligible, EXIT_PLAN, strict=False):
        case = open_case(actor=clerk, case_type=CaseType.EXIT, year=year, household=household,
                         reason="人均可支配收入稳定超过收入标准,“两不愁三保障”均已实现")
        if case.steps.index(stop) > case.steps.index(Step.VILLAGE_NOTICE):
            # Past the notice: the case began a month ago, so its notice has run its course.
            case = _walk(case, Step.VILLAGE_NOTICE, today - dt.timedelta(days=30))
        case = _walk(case, stop, today)
        if objection:
            submit_objection(case=case, name="", contact="", content="该户家中有人常年在外打工,但去年因病花销很大,"
                             "收入是否稳定请再核实。", today=today)
    others = (HouseholdYear.objects.filter(year=year, household__village=village)
              .exclude(status=rc.HouseholdStatus.CLOSED)
              .exclude(household__in=[h.pk for h in eligible]).order_by("household__household_no"))
    row = others.first()
    if row is not None:
        birth = timezone.localdate() - dt.timedelta(days=40)
        baby = make_id_number(village.code[:6], birth, 998)
        case = open_case(actor=clerk, case_type=CaseType.CHANGE, year=year, household=row.household,
                         change_kind=ChangeKind.BIRTH, reason="新生儿落户",
                         payload={"member": {"name": f"{row.head_name[0]}小宝", "id_number": baby, "gender": "male",
                                             "birth_date": birth.isoformat(), "relation": rc.Relation.CHILD},
                                  "change_date": birth.isoformat()})
        _walk(case, Step.TOWNSHIP_REVIEW, today)
    poorest = [m for m in monitored if m.per_capita_income is not None and m.per_capita_income < 9000]
    if poorest:
        case = open_case(actor=clerk, case_type=CaseType.ENTRY, year=year, monitored=poorest[0],
                         reason="家庭成员患大病,人均可支配收入低于监测线,申请纳入")
        _walk(case, Step.APPRAISAL, today)
    counts = Case.objects.filter(division=village).values("case_type", "status").annotate(n=Count("pk"))
    return {f"{r['case_type']}:{r['status']}": r["n"] for r in counts}


def sample_and_visit(year: int, county6: str) -> int:
    """A fixed sample of the county's households, and a few visits recorded by the county manager."""
    county = demo_user("county")
    draw = draw_sample(actor=county, year=year, division_code=f"{county6}000000", rate=0.01, seed=20201)
    visited = 0
    for unit in draw.units.select_related("household", "draw").order_by("pk")[:VISITS]:
        exited = unit_status(unit) == rc.HouseholdStatus.EXITED
        record_visit(actor=county, unit=unit, visited_on=timezone.localdate(), data_correct=visited != 2,
                     wrongly_exited=False if exited else None,
                     note="入户核实,信息一致。" if visited != 2 else "家庭人口与登记不符,已告知村里更正。")
        visited += 1
    return visited


def age_warnings(county6: str) -> int:
    """Warnings and findings as if some had been raised a while ago: one in twelve 20 days back (past the deadline:
    the township supervises it), one in forty-eight 45 days back (the county does); then escalate. The clerk's
    own village gets one of each, so that the clerk's to-do shows overdue and escalated items."""
    region = EarlyWarning.objects.filter(division__code__startswith=county6, status=WarningStatus.PENDING)
    warnings = list(region.order_by("pk").values_list("pk", flat=True))
    own = list(region.filter(division=demo_user("clerk").division_id).order_by("pk").values_list("pk", flat=True))
    for days, pks in ((20, warnings[1::12] + own[:1]), (45, warnings[3::48] + own[1:2])):
        back = dt.timedelta(days=days)
        EarlyWarning.objects.filter(pk__in=pks).update(created_at=F("created_at") - back,
                                                       deadline=F("deadline") - back)
    findings = list(Finding.objects.filter(division__code__startswith=county6).order_by("pk")
                    .values_list("pk", flat=True))
    Finding.objects.filter(pk__in=findings[1::12]).update(deadline=F("deadline") - dt.timedelta(days=20))
    return escalate_overdue(division_prefix=county6)


def prepare(*, year: int, county6: str) -> tuple[ScenarioSummary, Division, list[Household],
                                                 list[MonitoredHousehold]]:
    """Before the monitoring run: the official assessment, the clerk's village, monitored households."""
    summary = ScenarioSummary(assessment=assess(year, county6))
    village, eligible = bind_clerk(year, county6)
    summary.village = village.name
    monitored = add_monitored(year, village) if village.level == DivisionLevel.VILLAGE else []
    return summary, village, eligible, monitored


def finish(summary: ScenarioSummary, *, year: int, county6: str, village: Division, eligible: list[Household],
           monitored: list[MonitoredHousehold]) -> ScenarioSummary:
    """After the monitoring run: cases, the sample draw and visits, overdue warnings."""
    summary.cases = open_cases(year, village, eligible, monitored)
    summary.visits = sample_and_visit(year, county6)
    summary.escalated = age_warnings(county6)
    return summary
