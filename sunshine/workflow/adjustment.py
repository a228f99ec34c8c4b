"""The county's annual dynamic adjustment (年度动态调整): open the year's cases in bulk, follow them by
township, close the year.

Candidates (``open_adjustment``):
- exit: registered households (in poverty or returned) whose latest official household assessment of the year,
  under the standard in force for the county, is 达标 (source "assessment", source_ref "assessment:<run>");
- return: exited households with a confirmed, assisting or handed-over M-UNSTABLE or M-SUDDEN warning of the
  year (source "warning", source_ref "warning:<id>");
- entry: monitored households (placed in a village) with such an M-EDGE warning.
A household (or monitored household) that already has an open case of that type is skipped. Only the county
manager (or an administrator) of the county opens and closes the adjustment."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from sunshine.assessment.choices import Kind, Result
from sunshine.assessment.models import HouseholdAssessment
from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division
from sunshine.core.scope import division_visible
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear
from sunshine.workflow import steps
from sunshine.workflow.choices import OPEN_CASE_STATUSES, CaseStatus, CaseType, ObjectionStatus
from sunshine.workflow.models import AnnualAdjustment, Case, Objection

if TYPE_CHECKING:
    from sunshine.core.models import User

ROLES_THAT_ADJUST = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})
RETURN_CODES = frozenset({"M-UNSTABLE", "M-SUDDEN"})
ENTRY_CODES = frozenset({"M-EDGE"})
ACTIVE_WARNING_STATUSES = ("confirmed", "assisting", "handed_over")
BATCH = 1000


def _check_actor(actor: User, county_code: str) -> None:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_ADJUST:
        raise PermissionDenied("年度动态调整由县级管理人员发起和结束")
    if not division_visible(actor, county_code):
        raise PermissionDenied("该县(区)不在您的管辖范围内")


def exit_candidates(county: Division, year: int) -> list[tuple[int, str, int]]:
    """(household id, village code, run id) of households whose latest official result of the year is 达标."""
    try:
        standard = standard_for(year, county.code)
    except StandardNotFound as exc:
        raise ValidationError({"year": [str(exc)]}) from exc
    registered = set(HouseholdYear.objects.filter(
        year=year, household__village__code__startswith=county.prefix,
        status__in=(rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.RETURNED)).values_list("household_id", flat=True))
    rows = (HouseholdAssessment.objects
            .filter(run__year=year, run__official=True, run__kind=Kind.HOUSEHOLDS, run__standard=standard,
                    household__village__code__startswith=county.prefix)
            .order_by("household_id", "-run__created_at", "-run_id")
            .values_list("household_id", "household__village_id", "run_id", "result"))
    latest: dict[int, tuple[str, int, str]] = {}
    for household_id, village, run_id, result in rows.iterator(chunk_size=5000):
        latest.setdefault(household_id, (village, run_id, result))
    return [(h, v, r) for h, (v, r, result) in latest.items() if result == Result.MEETS and h in registered]


def warning_candidates(county: Division, year: int) -> tuple[list[tuple[int, str, int]], list[tuple[int, str, int]]]:
    """(return candidates: household id, village, warning id), (entry candidates: monitored id, village, warning
    id). Codes are a JSON list, filtered here in Python (JSON containment differs between databases)."""
    from sunshine.monitoring.models import EarlyWarning

    exited = set(HouseholdYear.objects.filter(year=year, household__village__code__startswith=county.prefix,
                                              status=rc.HouseholdStatus.EXITED).values_list("household_id", flat=True))
    returns: dict[int, tuple[str, int]] = {}
    entries: dict[int, tuple[str, int]] = {}
    warnings = (EarlyWarning.objects.filter(year=year, status__in=ACTIVE_WARNING_STATUSES)
                .filter(division__code__startswith=county.prefix).order_by("id")
                .values_list("id", "codes", "household_id", "household__village_id", "monitored_id",
                             "monitored__division_id", "monitored__division__level"))
    for wid, codes, household_id, village, monitored_id, m_division, m_level in warnings:
        codes = set(codes or ())
        if household_id is not None and codes & RETURN_CODES and household_id in exited:
            returns.setdefault(household_id, (village, wid))
        if monitored_id is not None and codes & ENTRY_CODES and m_level == DivisionLevel.VILLAGE:
            entries.setdefault(monitored_id, (m_division, wid))
    return ([(h, v, w) for h, (v, w) in returns.items()], [(m, v, w) for m, (v, w) in entries.items()])


def open_adjustment(*, actor: User, county_code: str, year: int) -> AnnualAdjustment:
    _check_actor(actor, county_code)
    county = Division.objects.filter(code=county_code, level=DivisionLevel.COUNTY).first()
    if county is None:
        raise ValidationError({"county_code": ["区划代码不是县(区)"]})
    if AnnualAdjustment.objects.filter(county=county, year=year).exists():
        raise ValidationError({"year": [f"{county.name}{year}年度的动态调整已发起"]})
    exits = exit_candidates(county, year)
    returns, entries = warning_candidates(county, year)
    try:
        standard = standard_for(year, county.code)
    except StandardNotFound:
        standard = None
    version = standard.version if standard else ""
    busy: dict[str, set[int]] = defaultdict(set)
    for case_type, household_id, monitored_id in Case.objects.filter(
            status__in=OPEN_CASE_STATUSES, division__code__startswith=county.prefix,
            case_type__in=(CaseType.EXIT, CaseType.RETURN, CaseType.ENTRY)).values_list(
            "case_type", "household_id", "monitored_id"):
        busy[case_type].add(household_id if household_id is not None else -(monitored_id or 0))
    counts: dict[str, Any] = {"opened": {}, "skipped": {}}
    with transaction.atomic():
        adjustment = AnnualAdjustment.objects.create(county=county, year=year, opened_by=actor)
        new: list[Case] = []

        def add(case_type: CaseType, rows: list[tuple[int, str, int]], source: str, ref: str, monitored: bool) -> None:
            case_steps = steps.steps_for(case_type, standard)
            opened = skipped = 0
            for subject, village, ref_id in rows:
                key = -subject if monitored else subject
                if key in busy[case_type]:
                    skipped += 1
                    continue
                new.append(Case(
                    case_type=case_type, year=year, division_id=village, steps=list(case_steps), current_step=0,
                    awaiting_step=case_steps[0], standard_version=version, source=source,
                    source_ref=f"{ref}:{ref_id}", adjustment=adjustment, opened_by=actor,
                    reason=f"{year}年度动态调整", **({"monitored_id": subject} if monitored else
                                                   {"household_id": subject})))
                opened += 1
            counts["opened"][case_type.value] = opened
            counts["skipped"][case_type.value] = skipped

        add(CaseType.EXIT, exits, "assessment", "assessment", monitored=False)
        add(CaseType.RETURN, returns, "warning", "warning", monitored=False)
        add(CaseType.ENTRY, entries, "warning", "warning", monitored=True)
        try:
            with transaction.atomic():
                Case.objects.bulk_create(new, batch_size=BATCH)
        except IntegrityError as exc:  # a case opened meanwhile by hand
            raise ValidationError({"year": ["发起期间有案件被同时创建,请重试"]}) from exc
        adjustment.counts = counts
        adjustment.save(update_fields=["counts"])
    return adjustment


def adjustment_progress(adjustment: AnnualAdjustment) -> list[dict[str, Any]]:
    """Counts of the adjustment's cases by township × status × type (one grouped query), rows
    ``{"township": code, "township_name", "case_type", "status", "count"}`` ordered by township."""
    rows = (Case.objects.filter(adjustment=adjustment)
            .values("division__parent_id", "division__parent__name", "case_type", "status")
            .annotate(n=Count("id")).order_by("division__parent_id", "case_type", "status"))
    return [{"township": r["division__parent_id"], "township_name": r["division__parent__name"],
             "case_type": r["case_type"], "status": r["status"], "count": r["n"]} for r in rows]


def close_adjustment(*, actor: User, adjustment: AnnualAdjustment, withdraw_open: bool = False) -> AnnualAdjustment:
    """Close the year. Refused while cases are open, unless ``withdraw_open`` (then they are withdrawn)."""
    _check_actor(actor, adjustment.county_id)
    if adjustment.closed_at is not None:
        raise ValidationError({"adjustment": ["该年度动态调整已结束"]})
    with transaction.atomic():
        open_cases = Case.objects.select_for_update().filter(adjustment=adjustment, status__in=OPEN_CASE_STATUSES)
        n_open = open_cases.count()
        if n_open and not withdraw_open:
            raise ValidationError({"adjustment": [f"还有{n_open}件案件在办理中,办结或撤回后才能结束年度动态调整"]})
        if n_open:
            now = timezone.now()
            Objection.objects.filter(case__in=open_cases, status=ObjectionStatus.OPEN).update(
                status=ObjectionStatus.DISMISSED, handled_by=actor, handled_at=now,
                resolution="年度动态调整结束,案件撤回")
            open_cases.update(status=CaseStatus.WITHDRAWN, awaiting_step="", closed_at=now)
        adjustment.closed_by = actor
        adjustment.closed_at = timezone.now()
        adjustment.counts = {**adjustment.counts, "withdrawn_at_close": n_open,
                             "final": adjustment_progress(adjustment)}
        adjustment.save(update_fields=["closed_by", "closed_at", "counts"])
    return adjustment
