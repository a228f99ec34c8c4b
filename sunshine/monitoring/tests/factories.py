"""Monitoring runs, warnings and monitored households made directly as rows (no engine), for the workflow, page
and API tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from sunshine.core.models import User
from sunshine.monitoring.choices import EscalationLevel, MonitoredSource, WarningStatus
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold, MonitoringRun, WarningEvent
from sunshine.monitoring.workflow import DEFAULT_DEADLINE_DAYS
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f

_sequence = itertools.count(1)


def make_run(*, actor: User | None = None, division: str = f.COUNTY, year: int = 2020,
             **extra: Any) -> MonitoringRun:
    return MonitoringRun.objects.create(year=year, division_id=division, created_by=actor, **extra)


def make_monitored(*, division: str = f.VILLAGE_A, year: int = 2020, number: str | None = None,
                   head_name: str = "边缘户主", head_id_number: str | None = None, pk: int | None = None,
                   **extra: Any) -> MonitoredHousehold:
    fields: dict[str, Any] = {"members": 3, "per_capita_income": Decimal("8200.00"), "phone": "13900001111",
                              "source": MonitoredSource.MANUAL} | extra
    return MonitoredHousehold.objects.create(
        pk=pk, number=number or f"M{division[-6:]}{next(_sequence):04d}", year=year, division_id=division,
        head_name=head_name, head_id_number=head_id_number or f.new_id(), **fields)


def make_warning(*, run: MonitoringRun, household_year: HouseholdYear | None = None,
                 monitored: MonitoredHousehold | None = None, codes: list[str] | None = None, score: int = 60,
                 contributions: dict[str, int] | None = None, status: str = WarningStatus.PENDING,
                 deadline: dt.date | None = None, escalation: str = EscalationLevel.VILLAGE,
                 division: str | None = None, assigned_to: User | None = None, explanation: str | None = None,
                 pk: int | None = None, raised_event: bool = True) -> EarlyWarning:
    """A warning raised by ``run`` about a registered household (``household_year``) or a monitored one."""
    household = household_year.household if household_year is not None else None
    if division is None:
        division = household.village_id if household else (monitored.division_id if monitored else f.COUNTY)
    codes = codes or (["M-UNSTABLE"] if household else ["M-EDGE"])
    warning = EarlyWarning.objects.create(
        pk=pk, year=run.year, household=household, monitored=monitored, division_id=division, codes=codes,
        score=score, contributions=contributions if contributions is not None else {"income_low": score},
        explanation=explanation or f"{'、'.join(codes)}:人均可支配收入低于监测线(测试数据)",
        signature=hashlib.sha256(f"{codes}|{next(_sequence)}".encode()).hexdigest(), status=status,
        deadline=deadline or (timezone.localdate() + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)),
        escalation=escalation, assigned_to=assigned_to, first_run=run, last_run=run)
    if raised_event:
        WarningEvent.objects.create(warning=warning, action="raised", to_status=WarningStatus.PENDING, run=run)
    return warning


def at_ids(*, actor: User, household_year: HouseholdYear, run_id: int, id: int) -> EarlyWarning:  # noqa: A002
    """A warning and a monitored household in ``household_year``'s village whose primary keys are the value
    tests/test_scope.py puts into every ``id`` URL parameter, so that each warning and monitored-household page
    and API route is asked about a real object of that village. The run they hang on takes the ``run_id`` key
    (or reuses a run already made with it); no other row of these tables is made with a generated key here
    (PostgreSQL's sequences do not skip explicit keys)."""
    village = household_year.household.village_id
    run = MonitoringRun.objects.filter(pk=run_id).first() or make_run(actor=actor, division=village, pk=run_id)
    make_monitored(division=village, pk=id)
    return make_warning(run=run, household_year=household_year, pk=id, raised_event=False,
                        codes=["M-UNSTABLE", "M-SUDDEN"], contributions={"income_low": 40, "serious_illness": 30},
                        score=70)
