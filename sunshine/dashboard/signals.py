"""Receivers: the other apps announce a change (``sunshine.core.signals.data_changed``); the dashboard queues a
refresh of the indicators that app feeds, for that year. Connected in ``DashboardConfig.ready``.

Switched off with ``SUNSHINE_INDICATOR_AUTO_REFRESH = False`` (the test suite does, so that its many small
imports and runs do not each refresh; the trigger's own tests switch it back on). A failure to queue is logged,
never raised: the change it follows is already committed and must not look failed to the user.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from sunshine.core.signals import data_changed

logger = logging.getLogger(__name__)


def queue_refresh(sender: Any, *, year: int | None = None, source: str = "", **_: Any) -> None:
    if not getattr(settings, "SUNSHINE_INDICATOR_AUTO_REFRESH", True):
        return
    from sunshine.dashboard.tasks import request_refresh

    try:
        request_refresh(year=year, sources=[source] if source else None)
    except Exception:
        logger.exception("queueing the indicator refresh for %s %s failed", source, year)


def connect() -> None:
    data_changed.connect(queue_refresh, dispatch_uid="sunshine.dashboard.queue_refresh")
