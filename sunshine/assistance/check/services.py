"""Assistance checks: the R-* rules of services.md §5 over the assistance tables of a year within a division,
stored as a run (ComparisonRun of kind 'assistance') whose findings join the verification workflow.

Owners: a household or village finding goes to the village, a cadre finding to the cadre's managing division,
else the run's division. The run is ``done`` with all its findings or ``failed`` with none."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.assistance.check import tables as snapshot_tables
from sunshine.comparison import checks
from sunshine.comparison.choices import Engine, RunKind
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.runs.services import ROLES_THAT_RUN_COMPARISON
from sunshine.core.models import Division, User
from sunshine.core.scope import run_division
from sunshine.engine.assistance.catalogue import RULES
from sunshine.engine.assistance.rules import Params, default_check_date
from sunshine.engine.assistance.run import open_backend, run_assistance
from sunshine.engine.assistance.tables import FINDINGS
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.registry.models import Household

logger = logging.getLogger(__name__)
FINDINGS_FILE = "findings.parquet"


@dataclass
class Plan:
    year: int
    division: Division
    engine: str
    check_date: dt.date
    standard: Any
    parameters: dict[str, Any]


def plan_check(*, actor: User | None, year: int, division_code: str | None = None,
               check_date: dt.date | None = None, engine: str = Engine.DUCKDB) -> Plan:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_RUN_COMPARISON:
        raise PermissionDenied("您的角色不能发起帮扶责任核查;核查由县级管理、监督、省级分析或系统管理员发起")
    division = run_division(actor, division_code)
    if engine not in Engine.values:
        raise ValidationError({"engine": [f"计算引擎应为 {'、'.join(Engine.values)} 之一"]})
    try:
        standard = standard_for(int(year), division.code)
    except StandardNotFound as exc:
        raise ValidationError({"year": [str(exc)]}) from exc
    # A standard stored before these parameters existed reads them at their defaults.
    parameters = {**StandardParameters().to_dict(), **standard.params.to_dict()}
    return Plan(year=int(year), division=division, engine=str(engine),
                check_date=check_date or default_check_date(int(year)), standard=standard, parameters=parameters)


def compute(plan: Plan, directory: Any = None) -> pa.Table:
    tables = snapshot_tables.build(plan.year, plan.division.prefix)
    with open_backend(tables, engine=plan.engine) as backend:
        result = run_assistance(backend, year=plan.year, check_date=plan.check_date,
                                params=Params.from_mapping(plan.parameters), division_prefix=plan.division.prefix)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            pq.write_table(table, directory / f"{name}.parquet")
        pq.write_table(result, directory / FINDINGS_FILE)
    return result


def fingerprint(row: dict[str, Any]) -> str:
    """The identity of an assistance problem across runs: rule, year, subject and key."""
    parts = ("assistance", row["rule"], str(row["year"]), row["subject"], row["key"])
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def run_check(*, actor: User, year: int, division_code: str | None = None, check_date: dt.date | None = None,
              engine: str = Engine.DUCKDB, today: dt.date | None = None) -> tuple[ComparisonRun, pa.Table]:
    """Run and store an assistance check; returns the run (done or failed) and the engine's findings."""
    plan = plan_check(actor=actor, year=year, division_code=division_code, check_date=check_date, engine=engine)
    return checks.execute(kind=RunKind.ASSISTANCE, plan=plan, rules=RULES, actor=actor,
                          what="帮扶责任核查", compute=compute, candidates=candidates,
                          empty=FINDINGS.empty_table(), today=today)


def candidates(table: pa.Table, scope: Division) -> list[Finding]:
    """One unsaved Finding per distinct problem, owned by the village (household, village) or the cadre's
    division (cadre) when that division exists inside the run's scope, else by the run's division."""
    rows, seen = [], set()
    for row in table.to_pylist():
        fp = fingerprint(row)
        if fp not in seen:
            seen.add(fp)
            rows.append((fp, row))
    codes = {r["division_code"] for _, r in rows if r["division_code"]}
    existing = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    households = dict(Household.objects.filter(household_no__in={r["household_no"] for _, r in rows
                                                                 if r["household_no"]})
                      .values_list("household_no", "pk"))
    out = []
    for fp, row in rows:
        code = row["division_code"]
        owner = code if code in existing and scope.contains(code) else scope.code
        out.append(Finding(
            rule=row["rule"], severity=row["severity"], year=row["year"],
            household_id=households.get(row["household_no"]), division_id=owner, subject=row["subject"],
            key=row["key"][:400], explanation=row["explanation"], fingerprint=fp))
    return out


def output_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows of ``--out`` with the keys of services.md §6."""
    return [{"rule": r["rule"], "year": r["year"], "subject": r["subject"], "key": r["key"],
             "explanation": r["explanation"]} for r in table.to_pylist()]
