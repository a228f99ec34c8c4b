"""Funds checks: the F-* and P-* rules of funds.md over the funds tables of a year within a division, stored
as a run (ComparisonRun of kind 'funds') whose findings join the comparison's verification workflow.

A run writes its input tables and the engine's output as Parquet under its directory (the snapshot: a re-read
gives the same findings), then stores the findings in one transaction: ``done`` with all of them or ``failed``
with none. Owners: a payment finding goes to the payee household's village, a project or fund finding to the
project's or fund's division (funds.md §7), else the run's division."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.comparison import checks
from sunshine.comparison.choices import Engine, RunKind
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.runs.services import ROLES_THAT_RUN_COMPARISON
from sunshine.core.models import Division, User
from sunshine.core.scope import run_division
from sunshine.engine.funds.catalogue import RULES
from sunshine.engine.funds.credit import computed_standards
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.run import default_check_date, open_backend, run_dividends, run_funds, run_subsidy
from sunshine.funds.check import tables as snapshot_tables
from sunshine.funds.models import Payment
from sunshine.funds.models_credit import Loan
from sunshine.policy.selectors import StandardNotFound, standard_for
from sunshine.registry.models import Household, Person

logger = logging.getLogger(__name__)
FINDINGS_FILE = "findings.parquet"
COUNTY_PREFIX = 6   # digits of a county code


@dataclass
class Plan:
    year: int
    division: Division
    rules: list[str]
    engine: str
    check_date: dt.date
    standard: Any
    parameters: dict[str, Any]


def plan_check(*, actor: User | None, year: int, division_code: str | None = None,
               check_date: dt.date | None = None, rules: Sequence[str] | None = None,
               engine: str = Engine.DUCKDB) -> Plan:
    """Check a request for a funds check (role, scope, rules, standard) without starting it."""
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_RUN_COMPARISON:
        raise PermissionDenied("您的角色不能发起资金项目核查;核查由县级管理、监督、省级分析或系统管理员发起")
    division = run_division(actor, division_code)
    if engine not in Engine.values:
        raise ValidationError({"engine": [f"计算引擎应为 {'、'.join(Engine.values)} 之一"]})
    unknown = sorted(set(rules or ()) - set(RULES))
    if unknown:
        raise ValidationError({"rules": [f"未知的核查规则: {'、'.join(unknown)}"]})
    chosen = [c for c in RULES if not rules or c in set(rules)]
    try:
        standard = standard_for(int(year), division.code)
    except StandardNotFound as exc:
        raise ValidationError({"year": [str(exc)]}) from exc
    check = check_date or default_check_date(int(year))
    return Plan(year=int(year), division=division, rules=chosen, engine=str(engine), check_date=check,
                standard=standard, parameters=standard.params.to_dict())


def _params(parameters: dict[str, Any]) -> Params:
    return Params.from_mapping(parameters)


def compute(plan: Plan, directory: Path | None = None) -> pa.Table:
    """The engine's findings for ``plan`` (FINDINGS rows, in the engine's order). With ``directory`` the input
    tables and the output are written there as Parquet."""
    prefix = plan.division.prefix
    if snapshot_tables.colliding_keys(prefix):
        # Numbers are unique only within a county: judge each county on its own.
        counties = Division.objects.filter(code__startswith=prefix[:6] if len(prefix) >= 6 else prefix,
                                           level="county").order_by("code")
        parts = [_compute_one(plan, c.prefix, None) for c in counties]
        return pa.concat_tables(parts) if parts else _compute_one(plan, prefix, None)
    return _compute_one(plan, prefix, directory)


def _compute_one(plan: Plan, prefix: str, directory: Path | None) -> pa.Table:
    tables = snapshot_tables.build(plan.year, prefix)
    params = _params(plan.parameters)
    with open_backend(tables, engine=plan.engine) as backend:
        # The interest subsidy and the dividends of the year are the standards F-OVER judges their payments by.
        tables["standards"] = computed_standards(run_subsidy(backend, year=plan.year, params=params),
                                                 run_dividends(backend, year=plan.year, params=params))
        backend.register("standards", tables["standards"])
        # The tables are already those of the division; the engine's own division filter would drop a finding
        # whose owner it cannot tell (a payment to someone outside the registry, naming no project or fund).
        result = within(run_funds(backend, year=plan.year, check_date=plan.check_date, params=params,
                                  rules=plan.rules), prefix)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            pq.write_table(table, directory / f"{name}.parquet")
    if directory is not None:
        pq.write_table(result, directory / FINDINGS_FILE)
    return result


def within(table: pa.Table, prefix: str) -> pa.Table:
    """The findings owned inside ``prefix``; a finding without an owner division is a payment the county's
    tables hold (its payee is in no registry household, it names no project or fund): kept by a run over the
    county or wider, where _owner gives it the run's division."""
    if not table.num_rows:
        return table
    codes = table.column("division_code")
    keep = pc.starts_with(codes, prefix)
    if len(prefix) <= COUNTY_PREFIX:
        keep = pc.or_kleene(keep, pc.is_null(codes))
    return table.filter(pc.fill_null(keep, False))


def fingerprint(row: dict[str, Any]) -> str:
    """The identity of a funds problem across runs: rule, year, what it is about and who."""
    parts = ("funds", row["rule"], str(row["year"]), row["subject"], row["key"], row.get("id_hash") or "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def run_check(*, actor: User, year: int, division_code: str | None = None, check_date: dt.date | None = None,
              rules: Sequence[str] | None = None, engine: str = Engine.DUCKDB,
              today: dt.date | None = None) -> tuple[ComparisonRun, pa.Table]:
    """Run and store a funds check; returns the run (done or failed) and the engine's findings."""
    plan = plan_check(actor=actor, year=year, division_code=division_code, check_date=check_date, rules=rules,
                      engine=engine)
    return checks.execute(kind=RunKind.FUNDS, plan=plan, rules=plan.rules, actor=actor,
                          what="资金项目核查", compute=compute, candidates=candidates, empty=FINDINGS_EMPTY,
                          today=today)


def candidates(table: pa.Table, scope: Division) -> list[Finding]:
    """One unsaved Finding per distinct problem of the engine's output, with its owner and person."""
    rows, seen = [], set()
    for row in table.to_pylist():
        fp = fingerprint(row)
        if fp not in seen:
            seen.add(fp)
            rows.append((fp, row))
    codes = {r["division_code"] for _, r in rows if r["division_code"]}
    owners = set(Division.objects.filter(code__in=codes | {_county(c) for c in codes}).values_list("code", flat=True))
    households = dict(Household.objects.filter(household_no__in={r["household_no"] for _, r in rows
                                                                 if r["household_no"]})
                      .values_list("household_no", "pk"))
    persons = dict(Person.objects.filter(id_number_hash__in={r["id_hash"] for _, r in rows if r["id_hash"]})
                   .values_list("id_number_hash", "pk"))
    loan_counties = _loan_counties({r["key"] for _, r in rows if r["subject"] == "loan" and not r["division_code"]},
                                   scope)
    out = []
    for fp, row in rows:
        if row["subject"] == "loan" and not row["division_code"] and row["key"] in loan_counties:
            # A borrower outside the registry: the loan's county answers for it.
            row = {**row, "division_code": loan_counties[row["key"]]}
            owners.add(row["division_code"])
        owner = _owner(row, owners, scope)
        out.append(Finding(
            rule=row["rule"], severity=row["severity"], year=row["year"],
            household_id=households.get(row["household_no"]), person_id=persons.get(row["id_hash"]),
            division_id=owner, id_hash=row["id_hash"] or "", subject=row["subject"], key=row["key"][:400],
            amount=row["amount"], explanation=row["explanation"], fingerprint=fp))
    return out


FINDINGS_EMPTY = pa.table({})


def _loan_counties(numbers: set[str], scope: Division) -> dict[str, str]:
    """loan_no → county code of the loans named, where one county within ``scope`` has that number."""
    if not numbers:
        return {}
    found: dict[str, set[str]] = {}
    prefix = scope.prefix[:COUNTY_PREFIX] if len(scope.prefix) > COUNTY_PREFIX else scope.prefix
    for number, county in Loan.objects.filter(loan_no__in=numbers, county__code__startswith=prefix).values_list(
            "loan_no", "county_id"):
        found.setdefault(number, set()).add(county)
    return {number: counties.pop() for number, counties in found.items() if len(counties) == 1}


def _county(code: str) -> str:
    return code[:6] + "000000"


def _owner(row: dict[str, Any], existing: set[str], scope: Division) -> str:
    """The village of the payee's household for a payment or loan; the county for a fund or project (the
    county office answers for its library and its money); the run's division when neither is known."""
    code = row["division_code"]
    if not code:
        return scope.code
    if row["subject"] in ("fund", "project"):
        code = _county(code)
    return code if code in existing and scope.contains(code) else scope.code


def payee_numbers(table: pa.Table) -> dict[str, str]:
    """id_hash → plain ID number of the payees in ``table``, from the payments and the registry (decrypted
    here, for the output of a reader who may see them)."""
    hashes = {h for h in table.column("id_hash").to_pylist() if h} if table.num_rows else set()
    if not hashes:
        return {}
    found = dict(Person.objects.filter(id_number_hash__in=hashes).values_list("id_number_hash", "id_number"))
    missing = hashes - set(found)
    if missing:
        for h, number in Payment.objects.filter(id_number_hash__in=missing).values_list("id_number_hash",
                                                                                        "id_number"):
            found.setdefault(h, number)
    missing = hashes - set(found)
    if missing:   # a borrower outside the registry (L-INELIGIBLE)
        for h, number in Loan.objects.filter(id_number_hash__in=missing).values_list("id_number_hash",
                                                                                     "id_number"):
            found.setdefault(h, number)
    return found
