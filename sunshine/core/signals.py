"""Signals the apps send so that apps above them can react without being imported from below.

``data_changed(sender, year=…, source=…)`` — the registry, an assessment, a comparison, monitoring, a funds
check, grievances or assistance changed what a year's figures are computed from. ``source`` is the app label
("registry", "assessment", …). Sent after the change is committed (on_commit).
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

data_changed = Signal()


def announce_change(*, sender: object, year: int | None, source: str) -> None:
    """Send ``data_changed`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: data_changed.send(sender=sender, year=year, source=source))
