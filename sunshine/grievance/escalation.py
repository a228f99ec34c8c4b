"""Escalating overdue grievances one level up, exactly like overdue warnings (sunshine.core.escalation): a
grievance still 登记 after its acceptance deadline, or still open after its conclusion deadline, goes one level
above its handling division the day after the deadline, and two levels up once more than one further period
(the deadline's own number of days) has passed. Each step writes an 'escalated' event naming the level and the
supervising division; the grievance keeps its handling division. Idempotent (only ever moves up); ``today`` is
the controllable clock. Run by `sunshine grievances escalate [--today D]` (daily, next to `sunshine monitor
--escalate-only`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sunshine.core import escalation as common
from sunshine.core.models import Division
from sunshine.grievance.choices import AWAITING_ACCEPTANCE, AWAITING_CONCLUSION
from sunshine.grievance.models import Grievance, GrievanceEvent
from sunshine.grievance.services import supervising_code

ESCALATED = "escalated"
LEVEL_LABELS = {"township": "乡镇", "county": "县级", "city": "市级", "province": "省级"}


def escalate_overdue(*, today: dt.date | None = None, division_prefix: str = "") -> int:
    """Escalate every overdue open grievance (within ``division_prefix`` when given); returns how many moved."""
    today = today or timezone.localdate()
    overdue = (Grievance.objects.filter(Q(state__in=AWAITING_ACCEPTANCE, accept_by__lt=today)
                                        | Q(state__in=AWAITING_CONCLUSION, conclude_by__lt=today))
               .filter(escalation__lt=common.MAX_STEPS).order_by())
    if division_prefix:
        overdue = overdue.filter(division__code__startswith=division_prefix)
    with transaction.atomic():
        rows = list(overdue.select_for_update(of=("self",)).values_list(
            "pk", "state", "accept_by", "conclude_by", "accept_days", "conclude_days", "escalation",
            "handling_division_id", "handling_division__level", "handling_division__name"))
        facts = {}
        plan_rows = []
        for pk, state, accept_by, conclude_by, accept_days, conclude_days, level, hcode, hlevel, hname in rows:
            accepting = state in AWAITING_ACCEPTANCE
            deadline = accept_by if accepting else conclude_by
            period = accept_days if accepting else conclude_days
            facts[pk] = (state, accepting, Division(code=hcode, level=hlevel, name=hname))
            plan_rows.append((pk, deadline, level, period))
        planned = common.moves(plan_rows, today)
        targets = {supervising_code(facts[pk][2], step) for step, items in planned.items() for pk, _, _ in items}
        divisions = {d.code: d for d in Division.objects.filter(code__in=targets)}
        now = timezone.now()
        moved = 0
        events = []
        for step, items in planned.items():
            for pk, deadline, _current in sorted(items):
                state, accepting, handling = facts[pk]
                target = divisions.get(supervising_code(handling, step))
                moved += Grievance.objects.filter(pk=pk, escalation__lt=step).update(
                    escalation=step, escalated_to=target, updated_at=now)
                label = LEVEL_LABELS.get(target.level, target.get_level_display()) if target else ""
                what = "逾期未受理(受理期限" if accepting else "逾期未办结(办结期限"
                where = f"({target.name})" if target else ""
                events.append(GrievanceEvent(grievance_id=pk, action=ESCALATED, from_state=state, to_state=state,
                                             note=f"{what} {deadline.isoformat()}),升级至{label}督办{where}",
                                             public=False))
        GrievanceEvent.objects.bulk_create(events, batch_size=common.BATCH)
    return moved

