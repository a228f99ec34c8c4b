"""Every read of comparison runs and findings, filtered by the reader's division scope.

A reader sees a finding when the finding's division (the owning village, or the county for people outside
the registry) lies inside the reader's division. A run is visible when its division lies inside the reader's
division or contains it; its counts are then taken over the findings the reader may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404

from sunshine.comparison.choices import FindingStatus, RunKind
from sunshine.comparison.models import SEVERITY_RANK, ComparisonRun, Finding, FindingEvent, FindingOccurrence
from sunshine.comparison.workflow import today as local_today
from sunshine.core.ids import InvalidIdNumber, normalize_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import in_scope, scope_q
from sunshine.engine.comparison.catalogue import RULES, SEVERITY_LABELS

RUN_NOT_FOUND = "比对批次不存在或不在您的管辖范围内"
NOT_FOUND = "比对发现不存在或不在您的管辖范围内"
SCOPE = "division__code"
# SEVERITY_RANK (comparison.models): the most severe findings first, then the nearest verification deadline;
# the same expression as the index that serves the list.


def _prefix(reader: User) -> str | None:
    return reader.scope_prefix if reader.is_authenticated and reader.is_active else None


# --- runs ---------------------------------------------------------------------------------------------


def visible_runs(reader: User, kind: str | None = RunKind.COMPARISON) -> QuerySet[ComparisonRun]:
    """Runs (of ``kind``; None: comparison runs and funds checks) over the reader's division, a division inside
    it, or a division containing it."""
    prefix = _prefix(reader)
    if prefix is None:
        return ComparisonRun.objects.none()
    containing = [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]
    qs = ComparisonRun.objects.filter(Q(division__code__startswith=prefix) | Q(division_id__in=containing))
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.select_related("division", "created_by")


def get_run(reader: User, run_id: int) -> ComparisonRun:
    run = visible_runs(reader).filter(pk=run_id).first()
    if run is None:
        raise Http404(RUN_NOT_FOUND)
    return run


def run_covers_reader(reader: User, run: ComparisonRun) -> bool:
    """True when the reader sees the whole run (its division inside the reader's)."""
    prefix = _prefix(reader)
    return prefix is not None and run.division.prefix.startswith(prefix)


@dataclass
class RunSummary:
    total: int = 0
    new: int = 0
    recurring: int = 0
    by_rule: list[dict[str, Any]] = field(default_factory=list)
    by_county: list[dict[str, Any]] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)


def run_summary(reader: User, run: ComparisonRun) -> RunSummary:
    """Counts of the run's findings that the reader may see: by rule, by county, new vs recurring, by status.

    Counted from the occurrences rather than from ``run.counts``, so that a village clerk looking at a
    province-wide run sees his own village's numbers."""
    occurrences = FindingOccurrence.objects.filter(run=run).filter(scope_q(reader, "finding__division__code"))
    summary = RunSummary()
    for row in occurrences.values("recurring").annotate(n=Count("id")).order_by():
        if row["recurring"]:
            summary.recurring += row["n"]
        else:
            summary.new += row["n"]
    summary.total = summary.new + summary.recurring
    by_rule = dict(occurrences.values_list("finding__rule").annotate(n=Count("id")).order_by())
    seconds = (run.counts or {}).get("seconds_by_rule", {})
    for code, rule in RULES.items():
        if code in by_rule or code in (run.rules or []):
            summary.by_rule.append({"code": code, "title": rule.title, "severity": rule.severity,
                                    "severity_label": SEVERITY_LABELS[rule.severity], "n": by_rule.get(code, 0),
                                    "seconds": seconds.get(code)})
    counties = dict(occurrences.annotate(county=Substr("finding__division_id", 1, 6)).values_list("county")
                    .annotate(n=Count("id")).order_by())
    codes = [c.ljust(12, "0") for c in counties]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    summary.by_county = [{"code": c.ljust(12, "0"), "name": names.get(c.ljust(12, "0"), c), "n": n}
                         for c, n in sorted(counties.items())]
    summary.by_status = dict.fromkeys(FindingStatus.values, 0) | dict(
        occurrences.values_list("finding__status").annotate(n=Count("id")).order_by())
    return summary


# --- findings -----------------------------------------------------------------------------------------


def visible_findings(reader: User) -> QuerySet[Finding]:
    return in_scope(Finding.objects.all(), reader, SCOPE).select_related(
        "division", "household", "person", "last_run")


def get_finding(reader: User, finding_id: int) -> Finding:
    finding = (visible_findings(reader).select_related("first_run", "previous", "division__parent")
               .filter(pk=finding_id).first())
    if finding is None:
        raise Http404(NOT_FOUND)
    return finding


@dataclass
class FindingFilter:
    rule: str | None = None
    status: str | None = None
    severity: str | None = None
    year: int | None = None
    division: str | None = None
    overdue: bool = False
    run: int | None = None
    match: str | None = None
    dataset: str | None = None
    household_no: str | None = None
    q: str | None = None
    kind: str | None = None  # "comparison" or "funds" (funds findings have a subject)


def _division_prefix(code: str) -> str:
    from sunshine.core.divisions import code_prefix

    try:
        return code_prefix(code)
    except (ValueError, KeyError):
        return code  # a partial code typed by hand narrows by its digits


def _search_q(text: str) -> Q:
    q = Q(name=text) | Q(household__household_no=text)
    try:
        number = normalize_id_number(text)
    except InvalidIdNumber:
        return q | Q(name__startswith=text)
    return q | Q(id_number=number)


def findings(reader: User, filters: FindingFilter | None = None, *, today: dt.date | None = None,
             skip_division: bool = False) -> QuerySet[Finding]:
    """The findings the reader may see, filtered; ``skip_division`` leaves the division filter out (for the
    drill-down counts, which group by the next level down)."""
    f = filters or FindingFilter()
    qs = visible_findings(reader)
    for name in ("rule", "status", "severity", "year", "match", "dataset"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.division and not skip_division:
        qs = qs.filter(division__code__startswith=_division_prefix(f.division))
    if f.overdue:
        qs = qs.filter(status=FindingStatus.PENDING, deadline__lt=today or local_today())
    if f.run:
        qs = qs.filter(occurrences__run_id=f.run)
    if f.household_no:
        qs = qs.filter(household__household_no=f.household_no)
    if f.kind == "comparison":
        qs = qs.filter(subject="")
    elif f.kind == "funds":
        qs = qs.exclude(subject="")
    if f.q:
        qs = qs.filter(_search_q(f.q.strip()))
    return qs.order_by(SEVERITY_RANK, "deadline", "id")


def overdue(reader: User, today: dt.date | None = None) -> QuerySet[Finding]:
    """Pending findings whose verification deadline has passed."""
    return findings(reader, FindingFilter(overdue=True), today=today)


def linked_findings(reader: User, finding: Finding) -> tuple[list[Finding], list[Finding]]:
    """The earlier findings this one continues (oldest first) and the later ones that continue it."""
    earlier: list[Finding] = []
    node, seen = finding.previous_id, {finding.pk}
    visible = visible_findings(reader)
    while node is not None and node not in seen and len(earlier) < 20:
        seen.add(node)
        found = visible.filter(pk=node).first()
        if found is None:
            break
        earlier.append(found)
        node = found.previous_id
    later = list(visible.filter(previous_id=finding.pk).order_by("created_at", "id"))
    return list(reversed(earlier)), later


def occurrences_of(reader: User, finding: Finding) -> list[FindingOccurrence]:
    """The runs that raised this finding and that the reader may open."""
    runs = visible_runs(reader).values("pk")
    return list(finding.occurrences.filter(run_id__in=runs).select_related("run", "run__division")
                .order_by("run__created_at", "run_id"))


def events_of(finding: Finding) -> QuerySet[FindingEvent]:
    return finding.events.select_related("user", "run").order_by("at", "id")


def get_event(reader: User, event_id: int) -> FindingEvent:
    """An event of a finding the reader may see (for its attachment); 404 otherwise."""
    event = (FindingEvent.objects.filter(pk=event_id).filter(scope_q(reader, "finding__division__code"))
             .select_related("finding").first())
    if event is None:
        raise Http404("附件不存在或不在您的管辖范围内")
    return event


def household_findings(reader: User, household_id: int) -> QuerySet[Finding]:
    return visible_findings(reader).filter(household_id=household_id).order_by("-year", "deadline", "id")
