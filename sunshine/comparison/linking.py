"""Raising findings of any rule catalogue into the one verification workflow, linked across runs by
fingerprint (the comparison's C-* rules and the funds check's F-*/P-* rules share it).

The latest earlier finding with the same fingerprint decides what happens to a candidate:

none                      a new Finding (待核实, deadline = today + the standard's verification_days), event 'raised'
待核实 / 核实属实          linked: an occurrence marked recurring, last_run moves on, event 'recurred'
核实不属实                 linked the same way; its status stays (the verification stands)
已整改                     the problem is back: a new Finding whose ``previous`` is the rectified one

The caller builds unsaved Finding objects (fingerprint, owner and content set; status, deadline and runs are
set here) and wraps the call in one transaction."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.utils import timezone

from sunshine.comparison.choices import FindingStatus, RunKind
from sunshine.comparison.models import ComparisonRun, Finding, FindingEvent, FindingOccurrence
from sunshine.core import bulk

RAISED, RECURRED = "raised", "recurred"
EVENT_FIELDS = ["finding", "at", "user", "action", "from_status", "to_status", "note", "attachment", "run"]
RUN_NAMES = {RunKind.COMPARISON: "比对批次", RunKind.FUNDS: "资金项目核查批次",
             RunKind.ASSISTANCE: "帮扶责任核查批次"}


def latest_earlier(fingerprints: Sequence[str]) -> dict[str, tuple[int, str]]:
    latest: dict[str, tuple[int, str]] = {}
    if not fingerprints:
        return latest
    # one query, ascending keys: the newest finding of a fingerprint is the one kept
    for pk, fp, status in (Finding.objects.filter(fingerprint__in=bulk.any_of(fingerprints)).order_by("pk")
                           .values_list("pk", "fingerprint", "status")):
        latest[fp] = (pk, status)
    return latest


def raise_findings(run: ComparisonRun, candidates: Sequence[Finding], *, verification_days: int,
                   today: dt.date | None = None) -> dict[str, Any]:
    """Store ``candidates`` (one per fingerprint, unsaved) as the findings of ``run`` and return the counts."""
    earlier = latest_earlier([f.fingerprint for f in candidates])
    deadline = (today or timezone.localdate()) + dt.timedelta(days=int(verification_days))
    created: list[Finding] = []
    linked: dict[int, str] = {}  # earlier finding → its status
    reopened: dict[str, int] = {}  # fingerprint → the rectified finding it follows
    for finding in candidates:
        fp = finding.fingerprint
        before = earlier.get(fp)
        if before is not None and before[1] != FindingStatus.RECTIFIED:
            linked[before[0]] = before[1]
            continue
        if before is not None:
            reopened[fp] = before[0]
        finding.status = FindingStatus.PENDING
        finding.deadline = deadline
        finding.first_run = finding.last_run = run
        finding.previous_id = reopened.get(fp)
        created.append(finding)
    bulk.insert_objects(Finding, created)  # set-based: a province's run raises some 150,000
    new_ids = dict(Finding.objects.filter(first_run=run).values_list("fingerprint", "pk"))

    occurrences = [(run.pk, pk, fp in reopened) for fp, pk in new_ids.items()]
    occurrences += [(run.pk, pk, True) for pk in linked]
    bulk.insert(FindingOccurrence, bulk.columns(FindingOccurrence, ["run", "finding", "recurring"]), occurrences)

    name = RUN_NAMES.get(run.kind, RUN_NAMES[RunKind.COMPARISON])
    at, user = connection.ops.adapt_datetimefield_value(timezone.now()), run.created_by_id
    events = [(pk, at, user, RAISED, "", FindingStatus.PENDING.value, _raised_note(name, run, reopened.get(fp)), "",
               run.pk) for fp, pk in new_ids.items()]
    events += [(pk, at, user, RECURRED, status, status, f"{name} #{run.pk} 再次发现", "", run.pk)
               for pk, status in linked.items()]
    bulk.insert(FindingEvent, bulk.columns(FindingEvent, EVENT_FIELDS), events)
    now = timezone.now()
    if linked:
        Finding.objects.filter(pk__in=bulk.any_of(sorted(linked), "int"), last_run_id__lt=run.pk).update(
            last_run=run, updated_at=now)
    return {
        "total": len(candidates),
        "by_rule": dict(sorted(Counter(f.rule for f in candidates).items())),
        "by_county": dict(sorted(Counter(f.division_id[:6] + "000000" for f in candidates).items())),
        "new": len(created) - len(reopened), "recurring": len(linked) + len(reopened), "reopened": len(reopened),
    }


def _raised_note(name: str, run: ComparisonRun, previous: int | None) -> str:
    if previous is None:
        return f"{name} #{run.pk} 发现"
    return f"{name} #{run.pk} 发现;此前已整改的同一问题(#{previous})再次出现"
