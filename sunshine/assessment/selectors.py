"""Reading assessment runs and results, filtered by the reader's division scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from sunshine.assessment.choices import Kind, Result
from sunshine.assessment.models import (
    RESULT_RANK,
    AssessmentRun,
    CountyAssessment,
    HouseholdAssessment,
    VillageAssessment,
)
from sunshine.core.models import User
from sunshine.core.scope import in_scope
from sunshine.registry.models import Household, HouseholdYear


def visible_runs(reader: User) -> QuerySet[AssessmentRun]:
    """Runs over the reader's division, a division inside it, or a division containing it (whose results
    the reader then sees only in part)."""
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is None:
        return AssessmentRun.objects.none()
    containing = [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]
    return (AssessmentRun.objects.filter(Q(division__code__startswith=prefix) | Q(division_id__in=containing))
            .select_related("division", "standard", "created_by"))


def latest_run(reader: User, *, kind: str, year: int, division_code: str, official: bool = True
               ) -> AssessmentRun | None:
    return (visible_runs(reader).filter(kind=kind, year=year, division_id=division_code, official=official)
            .order_by("-created_at", "-id").first())


def household_results(reader: User, run: AssessmentRun) -> QuerySet[HouseholdAssessment]:
    qs = run.household_results.select_related("household")
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is not None and run.division.code.startswith(prefix):
        # The whole run lies in the reader's area (as result_counts has it): filtering every row by its
        # household's village would join and sort all of a province's results on each page.
        return qs
    # The reader's households first (the village index), then their results by (run, household): as a join on
    # the run's rows, SQLite (which keeps no statistics) walked every result of a province's run to test each
    # household's village.
    return qs.filter(household__in=in_scope(Household.objects.all(), reader, "village__code").values("pk"))


def village_results(reader: User, run: AssessmentRun) -> QuerySet[VillageAssessment]:
    return in_scope(run.village_results.select_related("village"), reader, "village__code")


def county_results(reader: User, run: AssessmentRun) -> QuerySet[CountyAssessment]:
    return in_scope(run.county_results.select_related("county"), reader, "county__code")


@dataclass(frozen=True)
class Change:
    household_no: str
    village_code: str
    before: str
    after: str
    explanation: str  # the explanation under the second run


def household_changes(reader: User, before: AssessmentRun, after: AssessmentRun) -> list[Change]:
    """Households whose result differs between two household runs (e.g. official vs what-if), in scope."""
    old = dict(household_results(reader, before).values_list("household_id", "result"))
    changes = []
    rows = household_results(reader, after).order_by("household__household_no").values_list(
        "household_id", "household__household_no", "household__village_id", "result", "explanation")
    for household_id, no, village, result, explanation in rows.iterator(chunk_size=5000):
        if household_id in old and old[household_id] != result:
            changes.append(Change(no, village, old[household_id], result, explanation))
    return changes


def get_run(reader: User, run_id: int) -> AssessmentRun:
    """A run the reader may see (its scope inside his division or containing it); 404 otherwise."""
    run = visible_runs(reader).filter(pk=run_id).first()
    if run is None:
        raise Http404("评估批次不存在或不在您的管辖范围内")
    return run


def scoped_results(reader: User, run: AssessmentRun, *, result: str | None = None, criterion: str | None = None,
                   state: str | None = None) -> QuerySet[Any]:
    """The run's results of its kind (households, villages or counties) inside the reader's scope, filtered
    by overall result and/or one criterion's state; household rows carry the head name of the run's year."""
    if run.kind == Kind.HOUSEHOLDS:
        head = HouseholdYear.objects.filter(household=OuterRef("household_id"), year=run.year).values("head_name")
        qs: QuerySet[Any] = household_results(reader, run).annotate(head_name=Subquery(head[:1])).order_by(
            RESULT_RANK, "household_no")
    elif run.kind == Kind.VILLAGES:
        qs = village_results(reader, run).order_by(RESULT_RANK, "village_id")
    else:
        qs = county_results(reader, run).order_by(RESULT_RANK, "county_id")
    if result:
        qs = qs.filter(result=result)
    if criterion:
        qs = qs.filter(**{f"criteria__{criterion}": state}) if state else qs.filter(criteria__has_key=criterion)
    return qs


def result_counts(reader: User, run: AssessmentRun) -> dict[str, int]:
    """Counts by result of the rows the reader sees (the whole run's ``counts`` when it is all in scope)."""
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is not None and run.division.code.startswith(prefix):
        return {"total": 0, **dict.fromkeys(Result.values, 0), **run.counts}
    tally = dict(scoped_results(reader, run).values_list("result").annotate(n=Count("id")).order_by())
    return {"total": sum(tally.values()), **{r: tally.get(r, 0) for r in Result.values}}


def latest_official_household_result(reader: User, household: Household, year: int) -> HouseholdAssessment | None:
    """The household's result in the newest official household run of ``year`` that the reader can see."""
    qs = HouseholdAssessment.objects.filter(
        household=household, run__year=year, run__official=True, run__kind=Kind.HOUSEHOLDS,
    ).select_related("run")
    return in_scope(qs, reader, "household__village__code").order_by("-run__created_at", "-run_id").first()


def latest_official_division_result(
    reader: User, division_code: str, level: str, year: int
) -> VillageAssessment | CountyAssessment | None:
    """A village's or county's result in the newest official run of ``year`` that the reader can see."""
    if level == "village":
        qs = in_scope(VillageAssessment.objects.filter(village_id=division_code), reader, "village__code")
    elif level == "county":
        qs = in_scope(CountyAssessment.objects.filter(county_id=division_code), reader, "county__code")
    else:
        return None
    return (qs.filter(run__year=year, run__official=True).select_related("run")
            .order_by("-run__created_at", "-run_id").first())
