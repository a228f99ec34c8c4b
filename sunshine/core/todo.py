"""我的待办: what each user has to do today, gathered from every app.

Core knows no app: each app contributes a provider, ``items(reader, today) -> list[TodoGroup]``, listed in
``settings.SUNSHINE_TODO_PROVIDERS``. A later app (funds, grievances, visits) adds its own in a few lines.
Providers read through their app's scoped selectors and make a few grouped queries, never one per item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from sunshine.core.models import User

# How many items a group lists before pointing to the whole list.
SHOWN_PER_GROUP = 5


@dataclass(frozen=True)
class TodoItem:
    label: str
    url: str
    due: dt.date | None = None
    days_left: int | None = None
    note: str = ""
    urgent: bool = False       # overdue or escalated: shown first and marked

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


@dataclass
class TodoGroup:
    title: str
    count: int
    url: str                   # the whole filtered list
    items: list[TodoItem] = field(default_factory=list)
    urgent_count: int = 0      # of count, how many are overdue or escalated
    order: int = 50            # lower first


def days_left(due: dt.date | None, today: dt.date) -> int | None:
    return None if due is None else (due - today).days


def providers() -> list[Callable[[User, dt.date], list[TodoGroup]]]:
    return [import_string(path) for path in getattr(settings, "SUNSHINE_TODO_PROVIDERS", [])]


def collect(reader: User, today: dt.date | None = None) -> list[TodoGroup]:
    """Every non-empty group of the reader's to-do, most urgent first."""
    today = today or timezone.localdate()
    groups = [group for provider in providers() for group in provider(reader, today) if group.count]
    return sorted(groups, key=lambda g: (g.urgent_count == 0, g.order, g.title))
