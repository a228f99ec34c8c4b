"""What a monitoring run reads, extracted set-based into the engine's tables (sunshine.engine.monitoring.schema):
the registry of the checked year and the year before (with the assessment's extraction, reused), the comparison
findings §5 reads (``signals``) and the households outside the registry that are watched (``monitored``).
One query per table and year; no model instance per household."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from django.db.models import BigIntegerField, F, Max, QuerySet
from django.db.models.functions import Cast, Round

from sunshine.assessment import snapshot as registry
from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding
from sunshine.engine.monitoring.schema import MONITORED, SIGNALS
from sunshine.monitoring.models import MonitoredHousehold

SIGNAL_RULES = ("C-MEDCOST", "C-DISASTER", "C-DIBAO-MISSING")


@dataclass
class MonitoringSnapshot:
    year: int
    prefix: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    comparison_run_id: int | None = None   # the newest comparison run whose findings are among the signals


def registry_tables(year: int, prefix: str) -> tuple[pa.Table, pa.Table]:
    """households and members of ``year - 1`` and ``year`` within ``prefix``: §5 compares the two years."""
    households, members = [], []
    for y in (year - 1, year):
        table, _ = registry.households(y, prefix)
        households.append(table)
        members.append(registry.members(y, prefix))
    return pa.concat_tables(households), pa.concat_tables(members)


def _signal_findings(year: int, prefix: str) -> QuerySet[Finding]:
    # A rectified finding raised again is a new Finding pointing at the old one (``previous``): the same fact
    # twice, so only the newest of such a chain counts. Findings verified as 不属实 are not facts at all.
    superseded = Finding.objects.filter(previous__isnull=False).values("previous_id")
    return (Finding.objects.filter(year=year, rule__in=SIGNAL_RULES, division__code__startswith=prefix)
            .exclude(status=FindingStatus.REJECTED).exclude(pk__in=superseded).order_by())


def signals(year: int, prefix: str) -> tuple[pa.Table, int | None]:
    """The SIGNALS table and the newest comparison run that raised or saw one of them (None without any)."""
    findings = _signal_findings(year, prefix)
    table = registry.fetch_arrow(
        findings.values_list("rule", "year", "household_id", "id_number", "name", "division_id", "explanation"),
        SIGNALS)
    newest = findings.aggregate(newest=Max("last_run_id"))["newest"]
    return table, newest


def monitored(year: int, prefix: str) -> pa.Table:
    qs = (MonitoredHousehold.objects.filter(year=year, division__code__startswith=prefix).order_by()
          .annotate(income_fen=Cast(Round(F("per_capita_income") * 100), BigIntegerField()))
          .values_list("pk", "number", "year", "division_id", "head_name", "head_id_number", "members",
                       "income_fen"))
    return registry.fetch_arrow(qs, MONITORED)


def extract(*, year: int, prefix: str) -> MonitoringSnapshot:
    snap = MonitoringSnapshot(year=year, prefix=prefix)
    snap.tables["households"], snap.tables["members"] = registry_tables(year, prefix)
    snap.tables["signals"], snap.comparison_run_id = signals(year, prefix)
    snap.tables["monitored"] = monitored(year, prefix)
    return snap
