"""Monitoring runs (policy-rules.md §5): snapshot, the engine's SQL, and the warnings stored without repeats."""

from sunshine.monitoring.runs.services import (
    ROLES_THAT_RUN_MONITORING,
    MonitoringOutcome,
    monitor,
    run_monitoring_for,
)
from sunshine.monitoring.runs.store import assigned_cadres, cadre_for, signature

__all__ = ["ROLES_THAT_RUN_MONITORING", "MonitoringOutcome", "assigned_cadres", "cadre_for", "monitor",
           "run_monitoring_for", "signature"]
