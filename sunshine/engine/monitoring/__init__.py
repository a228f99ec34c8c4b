"""Monitoring and early warning (policy-rules.md §5) as SQL over the registry snapshot and comparison signals.

``monitoring_sql`` is a pure function of the parameters (a StandardParameters dictionary), the year and an
optional division prefix; ``run_monitoring`` runs it on a backend and returns the WARNINGS table
(sunshine.engine.monitoring.schema). The risk score is documented in sunshine.engine.monitoring.rules."""

from __future__ import annotations

from sunshine.engine.monitoring.rules import CODES, SIGNALS, MonitoringRules
from sunshine.engine.monitoring.run import run_monitoring, warnings_table
from sunshine.engine.monitoring.schema import LOANS_OVERDUE, MONITORED, WARNINGS
from sunshine.engine.monitoring.schema import SIGNALS as SIGNALS_SCHEMA
from sunshine.engine.monitoring.sql import monitoring_sql

__all__ = ["CODES", "LOANS_OVERDUE", "MONITORED", "SIGNALS", "SIGNALS_SCHEMA", "WARNINGS", "MonitoringRules",
           "monitoring_sql", "run_monitoring", "warnings_table"]
