"""What of the access log a reader may see, and the audit page's filters.

Supervisors (纪检监察、审计) and administrators read the log of their own division: the rows of actors whose
division, when the row was written, lies inside the reader's. Rows without an actor's division (commands run
without a user, failed logins with an unknown name) belong to the whole province: only readers at province
level see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import AccessLog

if TYPE_CHECKING:
    from sunshine.core.models import User

AUDIT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def may_audit(reader: User) -> bool:
    return bool(reader.is_authenticated and reader.is_active and reader.role_set & AUDIT_ROLES
                and reader.division_id is not None)


def visible_log(reader: User) -> QuerySet[AccessLog]:
    if not may_audit(reader):
        return AccessLog.objects.none()
    scope = Q(division_code__startswith=reader.scope_prefix)
    if reader.division.level == DivisionLevel.PROVINCE:
        scope |= Q(division_code="")
    return AccessLog.objects.filter(scope).select_related("user")


@dataclass(frozen=True)
class LogFilter:
    division_prefix: str = ""  # of a division inside the reader's (picked in the region picker)
    action: str = ""
    user: str = ""  # username or name, contained
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_log(rows: QuerySet[AccessLog], filters: LogFilter) -> QuerySet[AccessLog]:
    """The rows matching the filters, newest first. Dates are whole days in the site's time zone."""
    if filters.division_prefix:
        rows = rows.filter(division_code__startswith=filters.division_prefix)
    if filters.action:
        rows = rows.filter(action=filters.action)
    if filters.user:
        rows = rows.filter(Q(username__icontains=filters.user) | Q(user__full_name__icontains=filters.user))
    if filters.date_from:
        rows = rows.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        rows = rows.filter(at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    return rows.order_by("-seq")


def head_seq() -> int:
    """The sequence number of the newest row (0 for an empty log)."""
    return AccessLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
