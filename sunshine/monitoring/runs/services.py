"""Running a monitoring (policy-rules.md §5): who may, over what, and storing what it raises.

A run extracts the registry of the year and the year before, the comparison findings §5 reads and the monitored
households of its scope, runs the engine's SQL on DuckDB, and stores the run with its warnings in one
transaction: a run is complete or absent."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sunshine.core.choices import Role
from sunshine.core.faults import fault_point
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.core.signals import announce_change
from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.funds.rules import default_check_date
from sunshine.monitoring.models import MonitoringRun
from sunshine.monitoring.runs import snapshot
from sunshine.monitoring.runs.store import REGISTERED, store_warnings, subject_key
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

PROVINCE = "320000000000"
ROLES_THAT_RUN_MONITORING = frozenset({Role.ADMIN, Role.PROVINCIAL_ANALYST, Role.COUNTY_MANAGER, Role.SUPERVISOR})


@dataclass
class MonitoringOutcome:
    run: MonitoringRun
    table: pa.Table                         # the engine's WARNINGS rows, in its order
    # subject key → the number a 低保 head outside the registry is known by (his monitored household's)
    outside_numbers: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        """The rows as the JSON objects of data-dictionary.md (`sunshine monitor`), in the engine's order."""
        out = []
        for row in self.table.to_pylist():
            if row["subject"] == REGISTERED:
                number = row["household_no"]
            else:
                number = row.get("number") or self.outside_numbers.get(subject_key(row))
            out.append({"household_no": number, "year": row["year"], "codes": list(row["codes"]),
                        "score": row["score"], "explanation": row["explanation"]})
        return out


def check_actor(actor: User | None) -> None:
    """``actor`` None is the operator at the command line, who may do anything (as with manage.py)."""
    if actor is None:
        return
    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_RUN_MONITORING:
        raise PermissionDenied("您的角色不能发起监测预警;监测由县级管理、监督、省级分析或系统管理员发起")


def scope_division(actor: User | None, division_code: str | None) -> Division:
    code = division_code or (actor.division_id if actor is not None else None) or PROVINCE
    if actor is not None and not division_visible(actor, code):
        raise PermissionDenied("该区划不在您的管辖范围内")
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({"division_code": [f"区划不存在: {code}"]})
    return division


def _parameters(year: int, division: Division) -> tuple[Any, StandardParameters]:
    try:
        standard = standard_for(int(year), division.code)
    except StandardNotFound as exc:
        raise ValidationError({"year": [str(exc)]}) from exc
    return standard, standard.params


def evaluate(snap: snapshot.MonitoringSnapshot, params: StandardParameters) -> pa.Table:
    """Run the engine over an extracted snapshot; returns its WARNINGS table."""
    from sunshine.engine.monitoring import run_monitoring

    with DuckDBBackend() as backend:
        backend.register_all(snap.tables)
        return run_monitoring(backend, year=snap.year, params=params.to_dict(), division_prefix=snap.prefix)


def monitor(*, actor: User | None, year: int, division_code: str | None = None,
            today: dt.date | None = None) -> MonitoringOutcome:
    """Monitor every household of ``year`` inside ``division_code`` (default: the actor's division) and store
    the run with the warnings it raises; returns the run and the engine's rows (for `sunshine monitor --out`).
    ``today`` (default: the local date) starts the verification period of new warnings."""
    check_actor(actor)
    division = scope_division(actor, division_code)
    standard, params = _parameters(year, division)
    started = time.perf_counter()
    # Overdue loans are judged at the monitoring date: 31 December of the year, or today if earlier.
    on = default_check_date(int(year), today)
    snap = snapshot.extract(year=int(year), prefix=division.prefix, on=on, params=params)
    table = evaluate(snap, params)
    fault_point("monitor.before_store")
    with transaction.atomic():
        run = MonitoringRun.objects.create(
            year=int(year), division=division, standard=standard, standard_version=standard.version,
            parameters=params.to_dict(), comparison_run_id=snap.comparison_run_id, created_by=actor,
        )
        stored = store_warnings(run, table, verification_days=params.verification_days, actor=actor, today=today)
        run.counts = stored.counts
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["counts", "seconds"])
        announce_change(sender=MonitoringRun, year=int(year), source="monitoring")
        fault_point("monitor.mid_store")
    fault_point("monitor.after_store")
    return MonitoringOutcome(run=run, table=table, outside_numbers=stored.outside_numbers)


def run_monitoring_for(*, actor: User | None, year: int, division_code: str | None = None,
                       today: dt.date | None = None) -> MonitoringRun:
    """The stored run of ``monitor`` (pages and API start runs with this)."""
    return monitor(actor=actor, year=year, division_code=division_code, today=today).run
