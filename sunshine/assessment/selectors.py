"""Reading assessment runs and results, filtered by the reader's division scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from sunshine.assessment.models import AssessmentRun, CountyAssessment, HouseholdAssessment, VillageAssessment
from sunshine.core.models import User
from sunshine.core.scope import in_scope


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
    return in_scope(qs, reader, "household__village__code")


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
