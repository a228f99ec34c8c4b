"""Cases for the page, public-site and scope tests, driven through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sunshine.core.models import User
from sunshine.registry.models import HouseholdYear
from sunshine.workflow import services
from sunshine.workflow.choices import CaseType, Decision, Step
from sunshine.workflow.models import Case, CaseStep, Objection

VILLAGE_STEPS = (Step.HOUSEHOLD, Step.CADRE, Step.APPRAISAL, Step.VILLAGE_COMMITTEE)


def open_exit(actor: User, household_year: HouseholdYear, *, reason: str = "人均收入稳定超过标准,申请脱贫",
              **extra: Any) -> Case:
    return services.open_case(actor=actor, case_type=CaseType.EXIT, year=household_year.year,
                              household=household_year.household, reason=reason, **extra)


def sign(actor: User, case: Case, decision: str = Decision.APPROVE, note: str = "",
         today: dt.date | None = None) -> Case:
    """Sign the case's current step."""
    case.refresh_from_db()
    return services.advance(actor=actor, case=case, step=case.step, decision=decision, note=note, today=today)


def to_notice(clerk: User, case: Case) -> Case:
    """The village steps signed: the case is at village_notice, its notice open from today."""
    for step in VILLAGE_STEPS:
        case.refresh_from_db()
        assert case.step == step, (case.step, step)
        sign(clerk, case, note=f"{step}确认")
    case.refresh_from_db()
    return case


def end_notice(case: Case) -> Case:
    """Move the notice period into the past (as if its days had gone by)."""
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(notice_start=today - dt.timedelta(days=8),
                                           notice_end=today - dt.timedelta(days=1))
    case.refresh_from_db()
    return case


def at_ids(*, actor: User, household_year: HouseholdYear, id: int) -> Case:  # noqa: A002 — the URL parameter's name
    """A case, a signed action with an attachment and an objection in ``household_year``'s village, whose
    primary keys are the value tests/test_scope.py puts into every ``id`` URL parameter."""
    case = Case.objects.create(
        pk=id, case_type=CaseType.EXIT, year=household_year.year, household=household_year.household,
        division_id=household_year.household.village_id, steps=[s.value for s in Step], current_step=4,
        awaiting_step=Step.VILLAGE_NOTICE, status="on_hold", reason="测试", opened_by=actor,
        notice_start=timezone.localdate(), notice_end=timezone.localdate() + dt.timedelta(days=6))
    CaseStep.objects.create(pk=id, case=case, step=Step.HOUSEHOLD, index=0, decision=Decision.APPROVE,
                            actor=actor, attachment="cases/scope-test.png")
    Objection.objects.create(pk=id, case=case, contact="13900001111", content="测试异议")
    return case
