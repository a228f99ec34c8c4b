"""Every read of cases, their actions and objections, and annual adjustments, filtered by the reader's
division scope (a case belongs to its village; an adjustment to its county)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from sunshine.core.models import Division, User
from sunshine.core.scope import in_scope, scope_q
from sunshine.workflow.models import AnnualAdjustment, Case, CaseStep, Objection

NOT_FOUND = "案件不存在或不在您的管辖范围内"
SCOPE = "division__code"


def head_names() -> Prefetch:
    """The households' yearly records a list needs for the subject's name (views_common.subject_name): one
    query for the whole page, only the columns the name needs (no encrypted columns to decrypt)."""
    from sunshine.registry.models import HouseholdYear

    return Prefetch("household__years", queryset=HouseholdYear.objects.only("id", "household_id", "year", "head_name"))


def visible_cases(reader: User) -> QuerySet[Case]:
    return in_scope(Case.objects.all(), reader, SCOPE).select_related("division", "household", "monitored")


def get_case(reader: User, case_id: int) -> Case:
    case = visible_cases(reader).select_related("division__parent", "opened_by", "adjustment").filter(
        pk=case_id).first()
    if case is None:
        raise Http404(NOT_FOUND)
    return case


@dataclass
class CaseFilter:
    status: str | None = None
    case_type: str | None = None
    division: str | None = None     # a division code: cases inside it
    year: int | None = None
    step: str | None = None          # the current step's code
    q: str | None = None             # a household number (or its start), or a monitored household's number
    adjustment: int | None = None


def cases(reader: User, wanted: CaseFilter | None = None) -> QuerySet[Case]:
    qs = visible_cases(reader)
    w = wanted or CaseFilter()
    if w.status:
        qs = qs.filter(status=w.status)
    if w.case_type:
        qs = qs.filter(case_type=w.case_type)
    if w.division:
        division = Division.objects.filter(code=w.division).first()
        qs = qs.filter(division__code__startswith=division.prefix) if division else qs.none()
    if w.year:
        qs = qs.filter(year=w.year)
    if w.step:
        qs = qs.filter(awaiting_step=w.step)
    if w.q:
        text = w.q.strip()
        qs = qs.filter(Q(household__household_no__startswith=text) | Q(monitored__number__startswith=text))
    if w.adjustment:
        qs = qs.filter(adjustment_id=w.adjustment)
    return qs.prefetch_related(head_names())


def cases_awaiting(reader: User) -> QuerySet[Case]:
    """The cases awaiting this reader's role at their current step, in scope (held cases for the roles that
    handle objections), leaving out those still in their notice period: nothing can be signed there before
    the period ends. Oldest first: the longest waiting is done first."""
    from sunshine.workflow.choices import CaseStatus, Step
    from sunshine.workflow.services import awaiting, today

    running = Q(status=CaseStatus.IN_PROGRESS, awaiting_step=Step.VILLAGE_NOTICE, notice_end__gte=today())
    return (awaiting(reader).exclude(running).select_related("division", "household", "monitored")
            .prefetch_related(head_names()).order_by("opened_at", "pk"))


def actions_of(case: Case) -> QuerySet[CaseStep]:
    return case.actions.select_related("actor", "assessment__run").order_by("at", "id")


def objections_of(case: Case) -> QuerySet[Objection]:
    return case.objections.select_related("handled_by").order_by("submitted_at", "id")


def get_objection(reader: User, objection_id: int) -> Objection:
    objection = (Objection.objects.select_related("case").filter(scope_q(reader, f"case__{SCOPE}"))
                 .filter(pk=objection_id).first())
    if objection is None:
        raise Http404("异议不存在或不在您的管辖范围内")
    return objection


def get_action(reader: User, action_id: int) -> CaseStep:
    action = CaseStep.objects.select_related("case").filter(pk=action_id).first()
    if action is None or not visible_cases(reader).filter(pk=action.case_id).exists():
        raise Http404("记录不存在或不在您的管辖范围内")
    return action


def visible_adjustments(reader: User) -> QuerySet[AnnualAdjustment]:
    """Readers whose division contains the county: the progress table counts every case of the county, which a
    township or village may not see (they follow their own cases in the inbox)."""
    return in_scope(AnnualAdjustment.objects.all(), reader, "county__code").select_related("county", "opened_by")


def get_adjustment(reader: User, adjustment_id: int) -> AnnualAdjustment:
    adjustment = visible_adjustments(reader).filter(pk=adjustment_id).first()
    if adjustment is None:
        raise Http404("年度动态调整不存在或不在您的管辖范围内")
    return adjustment
