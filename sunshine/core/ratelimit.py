"""Rate limits of the public forms: how many times one address (or one query code, one announcement) may do a
thing within a window. Keys are stored as salted hashes, so the table tells nobody an address or a code.

    limits = [Limit("self_query", address, 5, HOUR, "…"), Limit("self_query_code", code, 5, HOUR, "…")]
    check(limits)          # raises RateLimited when any of them is used up
    hit(limits)            # counts one more (for a failed attempt, say)

The workflow's objections and the project announcements' comments count their own rows instead (the rows are
the events); both raise this RateLimited, which the public views answer with 429."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# The longest window anyone counts over: older rows are deleted now and then.
KEEP = DAY


class RateLimited(Exception):
    """Too many attempts: the public site answers 429 with the message, which names no key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def client_hash(value: str, purpose: str = "sunshine.ratelimit") -> str:
    """A salted hash of an address or a code: enough to count, reveals nothing."""
    return salted_hmac(purpose, value, algorithm="sha256").hexdigest() if value else ""


def client_address(request) -> str:  # noqa: ANN001 - an HttpRequest
    """The sender's address as Django sees it (REMOTE_ADDR, which the proxy settings already made the client's)."""
    return str(request.META.get("REMOTE_ADDR", "") or "")


@dataclass(frozen=True)
class Limit:
    bucket: str
    value: str
    allowed: int
    window: dt.timedelta
    message: str

    @property
    def key(self) -> str:
        return client_hash(self.value, f"sunshine.ratelimit.{self.bucket}")


def used(limit: Limit, now: dt.datetime | None = None) -> int:
    from sunshine.core.models import RateEvent

    if not limit.value:
        return 0
    since = (now or timezone.now()) - limit.window
    return RateEvent.objects.filter(bucket=limit.bucket, key=limit.key, at__gte=since).count()


def check(limits: list[Limit], now: dt.datetime | None = None) -> None:
    """Raises RateLimited with the first used-up limit's message."""
    for limit in limits:
        if limit.value and used(limit, now) >= limit.allowed:
            raise RateLimited(limit.message)


def hit(limits: list[Limit], now: dt.datetime | None = None) -> None:
    from sunshine.core.models import RateEvent

    at = now or timezone.now()
    with transaction.atomic():
        RateEvent.objects.bulk_create([RateEvent(bucket=lim.bucket, key=lim.key, at=at) for lim in limits if lim.value])
        if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
            RateEvent.objects.filter(at__lt=at - KEEP).delete()


def check_and_hit(limits: list[Limit], now: dt.datetime | None = None) -> None:
    """For actions counted whether or not they succeed (a search, a submission)."""
    check(limits, now)
    hit(limits, now)


def clear(limits: list[Limit]) -> None:
    """Forget the counted attempts (after a successful self-query, the code's failures no longer count)."""
    from sunshine.core.models import RateEvent

    for limit in limits:
        if limit.value:
            RateEvent.objects.filter(bucket=limit.bucket, key=limit.key).delete()
