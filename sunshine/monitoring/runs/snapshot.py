"""What a monitoring run reads, extracted set-based into the engine's tables (sunshine.engine.monitoring.schema):
the registry of the checked year and the year before (each year's snapshot, sunshine.registry.year_snapshot, shared
with the other runs of that year), the comparison
findings §5 reads (``signals``), the households outside the registry that are watched (``monitored``) and the
overdue micro-credit loans of registered households (``loans_overdue``, sunshine.monitoring.runs.loans).
One query per table and year; no model instance per household.

No plain ID number enters the tables (sunshine.engine.monitoring.schema): members and monitored heads are read
as their keyed hash columns, never decrypted. The comparison findings' IDs are decrypted in memory only to
derive what the engine needs of them besides the hash (their order and region), then dropped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa
from django.db.models import BigIntegerField, F, Max, QuerySet
from django.db.models.functions import Cast, Round

from sunshine.assessment import snapshot as registry
from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding
from sunshine.engine.funds.rules import default_check_date
from sunshine.engine.monitoring.prepare import order_and_region
from sunshine.engine.monitoring.schema import MEMBER_ID_HASH, MONITORED, SIGNALS
from sunshine.monitoring.models import MonitoredHousehold
from sunshine.monitoring.runs.loans import loans_overdue
from sunshine.policy.parameters import StandardParameters
from sunshine.registry import year_snapshot

SIGNAL_RULES = ("C-MEDCOST", "C-DISASTER", "C-DIBAO-MISSING")


@dataclass
class MonitoringSnapshot:
    year: int
    prefix: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    comparison_run_id: int | None = None   # the newest comparison run whose findings are among the signals


def members(year: int, prefix: str, *, tables: year_snapshot.YearTables | None = None) -> pa.Table:
    """The members table (sunshine.assessment.snapshot.members without ID numbers) with ``id_hash``, the person's
    keyed hash column as stored: no ID is decrypted. From the year's snapshot (sunshine.registry.year_snapshot)."""
    base = (tables or year_snapshot.year_tables(year, prefix)).members
    return registry.members_of(base).append_column(MEMBER_ID_HASH, base.column("id_hash"))


def registry_tables(year: int, prefix: str) -> tuple[pa.Table, pa.Table]:
    """households and members of ``year - 1`` and ``year`` within ``prefix``: §5 compares the two years."""
    households, member_tables = [], []
    for y in (year - 1, year):
        tables = year_snapshot.year_tables(y, prefix)
        table, _ = registry.households(y, prefix, tables=tables)
        households.append(table)
        member_tables.append(members(y, prefix, tables=tables))
    return pa.concat_tables(households), pa.concat_tables(member_tables)


def _signal_findings(year: int, prefix: str) -> QuerySet[Finding]:
    # A rectified finding raised again is a new Finding pointing at the old one (``previous``): the same fact
    # twice, so only the newest of such a chain counts. Findings verified as 不属实 are not facts at all.
    superseded = Finding.objects.filter(previous__isnull=False).values("previous_id")
    return (Finding.objects.filter(year=year, rule__in=SIGNAL_RULES, division__code__startswith=prefix)
            .exclude(status=FindingStatus.REJECTED).exclude(pk__in=superseded).order_by())


def signals(year: int, prefix: str) -> tuple[pa.Table, int | None]:
    """The SIGNALS table and the newest comparison run that raised or saw one of them (None without any)."""
    findings = _signal_findings(year, prefix)
    plain = pa.schema([f for f in SIGNALS if f.name not in ("id_order", "region_code")]).append(
        pa.field("id_number", pa.string()))
    table = registry.fetch_arrow(
        findings.values_list("rule", "year", "household_id", "id_number_hash", "name", "division_id", "explanation",
                             "id_number"), plain)
    # The hash as stored; the plain IDs (decrypted by fetch_arrow, in memory) only give their order and region.
    derived = order_and_region(table.column("id_number").to_pylist())
    table = pa.table({f.name: derived[f.name] if f.name in derived else table.column(f.name) for f in SIGNALS},
                     schema=SIGNALS)
    newest = findings.aggregate(newest=Max("last_run_id"))["newest"]
    return table, newest


def monitored(year: int, prefix: str) -> pa.Table:
    qs = (MonitoredHousehold.objects.filter(year=year, division__code__startswith=prefix).order_by()
          .annotate(income_fen=Cast(Round(F("per_capita_income") * 100), BigIntegerField()))
          .values_list("pk", "number", "year", "division_id", "head_name", "head_id_number_hash", "members",
                       "income_fen"))
    return registry.fetch_arrow(qs, MONITORED)


def extract(*, year: int, prefix: str, on: dt.date | None = None,
            params: StandardParameters | None = None) -> MonitoringSnapshot:
    """The run's tables; ``on`` is the monitoring date overdue loans are judged at (default: 31 December of the
    year, or today if earlier, as the funds check judges them)."""
    snap = MonitoringSnapshot(year=year, prefix=prefix)
    snap.tables["households"], snap.tables["members"] = registry_tables(year, prefix)
    snap.tables["signals"], snap.comparison_run_id = signals(year, prefix)
    snap.tables["monitored"] = monitored(year, prefix)
    snap.tables["loans_overdue"] = loans_overdue(prefix, on or default_check_date(year), params or StandardParameters())
    return snap
