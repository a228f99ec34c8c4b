"""Query codes of statements: 8 characters from an alphabet without 0/O/1/I (read aloud and typed from paper
without mistakes), drawn with ``secrets``; made in bulk for a village on first print, stable afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from sunshine.core.choices import ROLES_THAT_EDIT_REGISTRY
from sunshine.core.models import User
from sunshine.core.scope import division_visible
from sunshine.disclosure.models import QueryCode
from sunshine.registry.models import Household

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
# 32^8 ≈ 10^12 codes: a collision is rare, but the unique index decides; retry a few times.
ATTEMPTS = 5


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(text: str) -> str:
    """What a person typed, as a code: upper case, no spaces or dashes (a printed code may be read in groups)."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\u3000\t")


def current_codes(household_ids: Iterable[int], year: int) -> dict[int, str]:
    ids = list(household_ids)
    return dict(QueryCode.objects.filter(household_id__in=ids, year=year, revoked_at__isnull=True)
                .values_list("household_id", "code")) if ids else {}


def ensure_codes(household_ids: Iterable[int], year: int, *, actor: User | None = None) -> dict[int, str]:
    """household id → its current code of ``year``; the missing ones are made (one bulk insert per attempt)."""
    ids = sorted(set(household_ids))
    for _ in range(ATTEMPTS):
        found = current_codes(ids, year)
        missing = [pk for pk in ids if pk not in found]
        if not missing:
            return found
        rows = [QueryCode(household_id=pk, year=year, code=new_code(), created_by=actor) for pk in missing]
        try:
            with transaction.atomic():
                QueryCode.objects.bulk_create(rows)
        except IntegrityError:
            continue  # a code drawn twice, or another request made some of them: read again and fill the rest
    found = current_codes(ids, year)
    if len(found) < len(ids):
        raise RuntimeError("查询码生成失败,请重试")
    return found


def may_see_code(reader: User) -> bool:
    """Roles that edit the registry (county managers among them) see, hand out and re-issue the code; the others
    (supervisors, analysts) read the statement without it."""
    return bool(reader.is_authenticated and reader.role_set & ROLES_THAT_EDIT_REGISTRY)


def reissue(*, actor: User, household: Household, year: int) -> str:
    """A new code for the household's year; the old one stops working and is kept, revoked by ``actor``."""
    if not may_see_code(actor) or not division_visible(actor, household.village_id):
        raise PermissionDenied("您无权重新生成该户的查询码")
    with transaction.atomic():
        QueryCode.objects.select_for_update().filter(household=household, year=year, revoked_at__isnull=True) \
            .update(revoked_at=timezone.now(), revoked_by=actor)
        for _ in range(ATTEMPTS):
            try:
                with transaction.atomic():
                    return QueryCode.objects.create(household=household, year=year, code=new_code(),
                                                    created_by=actor).code
            except IntegrityError:
                continue
    raise RuntimeError("查询码生成失败,请重试")
