"""The public self-query of a statement (services.md §2): the head's name, the last 6 characters of the head's
ID number and the query code, all three right or nothing — and one answer for every wrong case, so that no
part can be guessed on its own.

Wrong attempts are counted (sunshine.core.ratelimit) per typed code AND per address: once either has
SUNSHINE_SELF_QUERY_TRIES_PER_HOUR failures within the hour, every attempt is refused, the right one too. The
code's bucket is keyed on what was typed, so a code that does not exist locks the same way as one that does:
the lock tells nothing. A success forgets the code's failures (the address's stay)."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

from sunshine.core.ratelimit import HOUR, Limit, check, clear, hit
from sunshine.disclosure.models import QueryCode
from sunshine.disclosure.statements.codes import normalize
from sunshine.registry.models import HouseholdYear

ID_TAIL = 6


def limits(code: str, address: str) -> list[Limit]:
    allowed = settings.SUNSHINE_SELF_QUERY_TRIES_PER_HOUR
    message = _("尝试次数过多,请一小时后再试")
    return [Limit("statement_code", normalize(code), allowed, HOUR, message),
            Limit("statement_address", address, allowed, HOUR, message)]


def same_name(typed: str, stored: str) -> bool:
    """NFKC (full-width letters, compatibility characters) and surrounding spaces do not matter."""
    return unicodedata.normalize("NFKC", typed).strip() == unicodedata.normalize("NFKC", stored).strip()


def same_tail(typed: str, id_number: str) -> bool:
    tail = unicodedata.normalize("NFKC", typed).strip().upper()
    return len(tail) == ID_TAIL and bool(id_number) and id_number.upper()[-ID_TAIL:] == tail


def find(*, name: str, id_tail: str, code: str, address: str) -> QueryCode | None:
    """The query code (with its household) when all three parts are right; None otherwise (counted as a
    failure). Raises RateLimited when the code or the address has used up its tries, before looking."""
    bounds = limits(code, address)
    check(bounds)
    found = (QueryCode.objects.filter(code=normalize(code), revoked_at__isnull=True)
             .select_related("household__village").first())
    record = None if found is None else (
        HouseholdYear.objects.filter(household_id=found.household_id, year=found.year)
        .only("head_name", "head_id_number").first())
    if found is None or record is None or not (same_name(name, record.head_name)
                                               and same_tail(id_tail, record.head_id_number)):
        hit(bounds)
        return None
    clear(bounds[:1])
    return found
