"""What must hold before a case opens or a step is approved.

- Opening: one open case per household (or monitored household) and type, checked here with a clear message
  before the database constraint would refuse it; an exit case only for a household not already exited; a
  return case only for an exited household; an entry case for a monitored household, an applicant's facts, or
  a closed household.
- Exit approval at county_approval: the household's latest official assessment of the case's year under the
  standard in force must be 达标 (``eligibility``); the approving action records that result row.
- Entry cases show the household's (or the head's) comparison findings (``findings_for``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from sunshine.assessment.choices import Kind, Result
from sunshine.assessment.models import HouseholdAssessment
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear
from sunshine.workflow.choices import OPEN_CASE_STATUSES, CaseType

if TYPE_CHECKING:
    from sunshine.comparison.models import Finding
    from sunshine.monitoring.models import MonitoredHousehold
    from sunshine.registry.models import Household
    from sunshine.workflow.models import Case

CRITERION_STATES = {"pass": "通过", "fail": "未通过", "missing": "缺数据"}


@dataclass
class Eligibility:
    """Whether an exit case may be approved, and on which assessment result."""

    ok: bool
    result: str | None = None                       # meets · fails · incomplete · None (no assessment)
    run_id: int | None = None
    standard_version: str = ""
    criteria: dict[str, str] = field(default_factory=dict)
    explanation: str = ""
    assessment: HouseholdAssessment | None = None
    message: str = ""                               # why not, in Chinese (empty when ok)

    def failing(self) -> list[str]:
        """The criteria that did not pass, by their Chinese names (收入 未通过), never by code."""
        from sunshine.assessment.choices import HOUSEHOLD_CRITERIA

        return [f"{HOUSEHOLD_CRITERIA.get(code, code)} {CRITERION_STATES.get(state, state)}"
                for code, state in self.criteria.items() if state != "pass"]


def latest_assessment(household: Household, year: int) -> tuple[HouseholdAssessment | None, str, str]:
    """(the latest official household result of ``year`` under the standard in force, the standard's version,
    an error message when no standard applies)."""
    try:
        standard = standard_for(year, household.village_id)
    except StandardNotFound as exc:
        return None, "", str(exc)
    row = (HouseholdAssessment.objects.select_related("run")
           .filter(household=household, run__year=year, run__official=True, run__kind=Kind.HOUSEHOLDS,
                   run__standard=standard)
           .order_by("-run__created_at", "-run_id").first())
    return row, standard.version, ""


def eligibility(case: Case) -> Eligibility:
    """For an exit case: ok when the latest official assessment of (household, year) under the current standard
    is 达标. Other case types have no assessment guard (ok, no result)."""
    if case.case_type != CaseType.EXIT or case.household_id is None:
        return Eligibility(ok=True)
    row, version, problem = latest_assessment(case.household, case.year)
    if problem:
        return Eligibility(ok=False, message=f"无法核对评估结果:{problem}")
    if row is None:
        return Eligibility(ok=False, standard_version=version,
                           message=f"该户没有{case.year}年度在现行政策标准({version})下的正式评估结果,请先进行正式评估")
    ok = row.result == Result.MEETS
    out = Eligibility(ok=ok, result=row.result, run_id=row.run_id, standard_version=version,
                      criteria=dict(row.criteria), explanation=row.explanation, assessment=row)
    if not ok:
        failing = "、".join(out.failing()) or str(Result(row.result).label)
        out.message = f"最新评估(批次#{row.run_id})未达标:{failing}。{row.explanation}"
    return out


def failed_assessment(household: Household, year: int) -> Eligibility | None:
    """The latest official assessment of (household, year) when it exists and is not 达标; else None. An exit
    case for such a household is refused at opening and before its public notice (no household goes on notice
    as 标注脱贫 against the official result)."""
    row, version, problem = latest_assessment(household, year)
    if problem or row is None or row.result == Result.MEETS:
        return None
    out = Eligibility(ok=False, result=row.result, run_id=row.run_id, standard_version=version,
                      criteria=dict(row.criteria), explanation=row.explanation, assessment=row)
    failing = "、".join(out.failing()) or str(Result(row.result).label)
    out.message = f"该户{year}年度最新正式评估(批次#{row.run_id})未达标:{failing},不能标注脱贫"
    return out


def approval_refusal(case: Case) -> str:
    """Why approving the case's current step would be refused by the exit guard ("" when it would not), so
    that pages offer no approval on such a step and say why instead."""
    from sunshine.workflow.choices import Step

    if case.case_type != CaseType.EXIT or case.household_id is None or case.step is None:
        return ""
    if case.step == Step.COUNTY_APPROVAL:
        found = eligibility(case)
        return "" if found.ok else found.message
    following = case.current_step + 1
    if following < len(case.steps) and case.steps[following] == Step.VILLAGE_NOTICE:
        failed = failed_assessment(case.household, case.year)
        return failed.message if failed is not None else ""
    return ""


def check_before_notice(case: Case) -> None:
    message = approval_refusal(case)
    if message:
        raise ValidationError({"step": [message]})


def check_exit_approval(case: Case) -> Eligibility:
    found = eligibility(case)
    if not found.ok:
        raise ValidationError({"step": [found.message]})
    return found


def findings_for(case: Case) -> QuerySet[Finding]:
    """Comparison findings about the case's household or its head (by ID number), newest year first."""
    from sunshine.comparison.models import Finding

    numbers = [n for n in (_head_id_number(case),) if n]
    q = Q(pk__in=[])
    if case.household_id is not None:
        q |= Q(household_id=case.household_id)
    if numbers:
        q |= Q(id_number__in=numbers) | Q(person__id_number__in=numbers)
    return Finding.objects.filter(q).select_related("division").order_by("-year", "rule", "id")


def _head_id_number(case: Case) -> str:
    if case.household_id is not None:
        row = case.household.years.filter(year__lte=case.year).order_by("-year").first()
        return row.head_id_number if row else ""
    if case.monitored_id is not None:
        return case.monitored.head_id_number
    return str((case.applicant or {}).get("id_number") or "")


def household_year_of(household: Household, year: int) -> HouseholdYear | None:
    return household.years.filter(year=year).first()


def check_open(*, case_type: str, year: int, household: Household | None, monitored: MonitoredHousehold | None,
               applicant: dict[str, Any] | None, change_kind: str) -> None:
    """Refuse a case that may not open, with a message naming why."""
    from sunshine.workflow.models import Case

    subjects = sum(x is not None and x != {} for x in (household, monitored, applicant))
    if subjects != 1:
        raise ValidationError({"household": ["请指定且只指定一个对象:建档立卡户、监测户或申请人信息"]})
    if household is not None:
        clash = Case.objects.filter(household=household, case_type=case_type, status__in=OPEN_CASE_STATUSES).first()
        if clash is not None:
            raise ValidationError({"household": [
                f"户 {household.household_no} 已有办理中的{CaseType(case_type).label}案件(#{clash.pk})"]})
    if monitored is not None:
        clash = Case.objects.filter(monitored=monitored, case_type=case_type, status__in=OPEN_CASE_STATUSES).first()
        if clash is not None:
            raise ValidationError({"monitored": [f"该监测户已有办理中的{CaseType(case_type).label}案件(#{clash.pk})"]})
    row = household_year_of(household, year) if household is not None else None
    if household is not None and row is None:
        raise ValidationError({"year": [f"户 {household.household_no} 没有{year}年度的记录"]})
    status = row.status if row is not None else None
    if case_type == CaseType.EXIT:
        if household is None:
            raise ValidationError({"household": ["标注脱贫案件须针对建档立卡户"]})
        if status not in (rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.RETURNED):
            label = rc.HouseholdStatus(status).label
            raise ValidationError({"household": [f"该户{year}年度状态为{label},不能标注脱贫"]})
        failed = failed_assessment(household, year)
        if failed is not None:
            raise ValidationError({"household": [failed.message]})
    elif case_type == CaseType.RETURN:
        if status != rc.HouseholdStatus.EXITED:
            raise ValidationError({"household": ["返贫案件只针对已脱贫户"]})
    elif case_type == CaseType.ENTRY:
        if household is not None and status != rc.HouseholdStatus.CLOSED:
            raise ValidationError({"household": ["该户已在建档立卡中;纳入只针对监测户、新申请户或已销户的农户"]})
        if monitored is not None and monitored.division.level != "village":
            raise ValidationError({"monitored": ["该监测户尚未落实到村,请先确定所在村"]})
        if applicant:
            _check_applicant(applicant)
    elif case_type in (CaseType.CHANGE, CaseType.CLOSURE):
        if household is None:
            raise ValidationError({"household": ["自然变更和销户案件须针对建档立卡户"]})
        if status == rc.HouseholdStatus.CLOSED:
            raise ValidationError({"household": ["该户已销户"]})
    if case_type == CaseType.CHANGE and not change_kind:
        raise ValidationError({"change_kind": ["请选择变更事项"]})


def _check_applicant(applicant: dict[str, Any]) -> None:
    errors = {k: ["必填"] for k in ("name", "id_number", "village_code") if not str(applicant.get(k) or "").strip()}
    if errors:
        raise ValidationError({f"applicant.{k}": v for k, v in errors.items()})
