"""Escalating overdue warnings (policy-rules.md §5: "overdue warnings escalate one administrative level up").

A warning still 待核实 after its deadline (deadline < today) is escalated to the township (乡镇督办); one still
pending more than one further verification period after the deadline goes to the county (县级督办). The
verification period is the one the warning was raised under (its first run's ``verification_days``), so with the
default 15 days a warning raised on day 0 is due on day 15, at the township from day 16 and at the county from
day 31. Each step adds an event 'escalated' naming the level; the warning keeps its responsible division.

Idempotent: a warning is only ever moved up, so running twice on one day changes nothing the second time. The
clock is injectable (``today``) for tests and for catching up. Run by `sunshine monitor` after each run and on
its own by `sunshine monitor --escalate-only` (a daily cron job). The timing rule itself is
sunshine.core.escalation, shared with the 12317 grievances."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sunshine.core import escalation as common
from sunshine.monitoring.choices import EscalationLevel, WarningStatus
from sunshine.monitoring.models import EarlyWarning, MonitoringRun, WarningEvent
from sunshine.policy.parameters import StandardParameters

ESCALATED = "escalated"
DEFAULT_VERIFICATION_DAYS = StandardParameters().verification_days  # the policy standard's default
BATCH = common.BATCH
# The warning's levels by steps above the village (sunshine.core.escalation counts steps).
LEVELS = (EscalationLevel.VILLAGE, EscalationLevel.TOWNSHIP, EscalationLevel.COUNTY)
RANK = {level: step for step, level in enumerate(LEVELS)}


def level_due(deadline: dt.date, today: dt.date, verification_days: int) -> EscalationLevel:
    """The level a warning pending on ``today`` should be at."""
    return LEVELS[common.steps_due(deadline, today, verification_days)]


def _period(parameters: dict[str, Any] | None) -> int:
    try:
        return int((parameters or {}).get("verification_days", DEFAULT_VERIFICATION_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_VERIFICATION_DAYS


def escalate_overdue(*, today: dt.date | None = None, division_prefix: str = "") -> int:
    """Escalate every overdue pending warning (within ``division_prefix`` when given) to the level it is due
    at; returns the number of warnings moved. One transaction; a few queries whatever the number."""
    today = today or timezone.localdate()
    overdue = (EarlyWarning.objects.filter(status=WarningStatus.PENDING, deadline__lt=today)
               .exclude(escalation=EscalationLevel.COUNTY).order_by())
    if division_prefix:
        overdue = overdue.filter(division__code__startswith=division_prefix)
    with transaction.atomic():
        rows = list(overdue.select_for_update(of=("self",)).values_list("pk", "deadline", "escalation", "first_run_id"))
        periods = {pk: _period(params) for pk, params in MonitoringRun.objects.filter(
            pk__in={run for *_, run in rows}).values_list("pk", "parameters")}
        planned = common.moves(((pk, deadline, RANK[EscalationLevel(level)],
                                 periods.get(run, DEFAULT_VERIFICATION_DAYS))
                                for pk, deadline, level, run in rows), today)
        now = timezone.now()
        moved = 0
        events = []
        for step, items in planned.items():
            target = LEVELS[step]
            lower = list(LEVELS[:step])
            for chunk in common.chunks(sorted(items)):
                pks = [pk for pk, _, _ in chunk]
                moved += (EarlyWarning.objects.filter(pk__in=pks, status=WarningStatus.PENDING, escalation__in=lower)
                          .update(escalation=target, updated_at=now))
            label = EscalationLevel(target).label
            events += [WarningEvent(warning_id=pk, action=ESCALATED, from_status=WarningStatus.PENDING,
                                    to_status=WarningStatus.PENDING,
                                    note=f"逾期未核实(核实期限 {deadline.isoformat()}),升级至{label}督办")
                       for pk, deadline, _ in items]
        WarningEvent.objects.bulk_create(events, batch_size=BATCH)
    return moved
