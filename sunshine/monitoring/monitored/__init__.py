"""Monitored households outside the registry (边缘户): entered by hand, imported from a file, or made by a
monitoring run for a 低保 head found by comparison (sunshine.monitoring.runs.store)."""

from sunshine.monitoring.monitored.imports import SPEC, ImportOutcome, import_monitored
from sunshine.monitoring.monitored.services import EDITABLE, FIELDS, create_monitored, update_monitored

__all__ = ["EDITABLE", "FIELDS", "SPEC", "ImportOutcome", "create_monitored", "import_monitored", "update_monitored"]
