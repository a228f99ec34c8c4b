"""What a reader may see of assistance responsibility, and the cadre of a household.

Scope: a cadre is visible to readers whose division contains the cadre's managing division; a pairing, visit
or household to readers whose division contains the household's village; a work team to readers of its village.
A cadre's own account (role 帮扶干部) also sees the households paired with them now ("我的帮扶户")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from sunshine.assistance.models import Cadre, Pairing, Visit, WorkTeam
from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.core.scope import in_scope, scope_q
from sunshine.registry.models import Household


def covering(on: dt.date, prefix: str = "") -> Q:
    """Rows with start_date..end_date (inclusive, empty end: open) covering ``on``."""
    return (Q(**{f"{prefix}start_date__lte": on})
            & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": on})))


def today() -> dt.date:
    return timezone.localdate()


# --- the cadre of a household (monitoring asks through sunshine.monitoring.runs.store) -------------------------

def assigned_users(household_ids: Iterable[int], on: dt.date | None = None) -> dict[int, int]:
    """household id → the user id of the cadre paired with it on ``on`` (default today), for cadres with an
    account. One query; with several open pairings the most recent start wins."""
    ids = list(household_ids)
    if not ids:
        return {}
    rows = (Pairing.objects.filter(covering(on or today()), household_id__in=ids, cadre__user__isnull=False)
            .order_by("household_id", "start_date", "id").values_list("household_id", "cadre__user_id"))
    return dict(rows)   # later rows (newer starts) overwrite earlier ones


def cadres_by_household(household_ids: Iterable[int], on: dt.date | None = None) -> dict[int, Cadre]:
    """household id → the cadre paired with it on ``on`` (default today), accounts or not; one query, the most
    recent start winning as in assigned_users (benefits statements of a whole village)."""
    ids = list(household_ids)
    if not ids:
        return {}
    rows = (Pairing.objects.filter(covering(on or today()), household_id__in=ids).select_related("cadre")
            .order_by("household_id", "start_date", "id"))
    return {p.household_id: p.cadre for p in rows}


def cadre_of(household: Household, on: dt.date | None = None) -> Cadre | None:
    """The cadre paired with ``household`` on ``on`` (default today): the most recent start."""
    pairing = (Pairing.objects.filter(covering(on or today()), household=household).select_related("cadre")
               .order_by("-start_date", "-id").first())
    return pairing.cadre if pairing else None


def last_visits(household: Household, limit: int = 5) -> QuerySet[Visit]:
    return Visit.objects.filter(household=household).select_related("cadre").prefetch_related("photos")[:limit]


# --- a cadre's own households ------------------------------------------------------------------------------------

def cadre_of_user(user: User) -> Cadre | None:
    """The cadre whose account this is — only for accounts with the cadre role (every other account is spared
    the query: the home page and every grievance list ask)."""
    if not getattr(user, "is_authenticated", False) or Role.CADRE not in user.role_set:
        return None
    return Cadre.objects.filter(user=user).select_related("division").first()


def households_of(cadre: Cadre, on: dt.date | None = None) -> QuerySet[Household]:
    """The households paired with ``cadre`` on ``on`` (default today)."""
    paired = Pairing.objects.filter(covering(on or today()), cadre=cadre).values("household_id")
    return Household.objects.filter(pk__in=paired).select_related("village").order_by("household_no")


def my_households(user: User, on: dt.date | None = None) -> QuerySet[Household]:
    """我的帮扶户: the households paired now with the reader's own cadre record (none without one)."""
    cadre = cadre_of_user(user)
    return households_of(cadre, on) if cadre else Household.objects.none()


def is_cadre_of(user: User, household: Household, on: dt.date | None = None) -> bool:
    cadre = cadre_of_user(user)
    return bool(cadre) and Pairing.objects.filter(covering(on or today()), cadre=cadre,
                                                  household=household).exists()


# --- scoped lists --------------------------------------------------------------------------------------------------

def visible_cadres(reader: User) -> QuerySet[Cadre]:
    """Cadres managed inside the reader's division, cadres who were paired with a household or served on a work
    team inside it (a village clerk sees the county cadre of the village's households), and a cadre's own
    record."""
    q = (scope_q(reader, "division__code")
         | Q(pk__in=Pairing.objects.filter(scope_q(reader, "household__village__code")).values("cadre_id"))
         | Q(pk__in=WorkTeam.objects.filter(scope_q(reader, "village__code")).values("cadre_id")))
    if getattr(reader, "is_authenticated", False) and reader.has_role(Role.CADRE):
        q |= Q(user=reader)
    return Cadre.objects.filter(q).select_related("division", "user")


def get_cadre(reader: User, cadre_id: int) -> Cadre:
    cadre = visible_cadres(reader).filter(pk=cadre_id).first()
    if cadre is None:
        raise Http404("帮扶干部不存在或不在您的管辖范围内")
    return cadre


def cadres_with_load(reader: User, on: dt.date | None = None, visit_days: int = 90) -> QuerySet[Cadre]:
    """Visible cadres with ``households`` (paired on ``on``), ``visited`` (of those, visited by anyone within
    ``visit_days`` days before ``on``) and ``last_visit`` (the cadre's own last visit)."""
    day = on or today()
    since = day - dt.timedelta(days=visit_days)
    now = covering(day, "pairings__")
    return visible_cadres(reader).annotate(
        households=Count("pairings__household", filter=now, distinct=True),
        visited=Count("pairings__household", distinct=True,
                      filter=now & Q(pairings__household__visits__date__gte=since,
                                     pairings__household__visits__date__lte=day)),
        # A subquery, not a third join: joined with the pairings' visits it would multiply the rows.
        last_visit=Subquery(Visit.objects.filter(cadre=OuterRef("pk")).order_by("-date").values("date")[:1]),
    ).order_by("division_id", "cadre_no")


def visible_pairings(reader: User) -> QuerySet[Pairing]:
    return in_scope(Pairing.objects.select_related("cadre", "household", "household__village"), reader,
                    "household__village__code")


def visible_visits(reader: User) -> QuerySet[Visit]:
    """Visits of households in the reader's division, and a cadre's own visits."""
    q = scope_q(reader, "household__village__code")
    cadre = cadre_of_user(reader)
    if cadre is not None:
        q |= Q(cadre=cadre)
    return Visit.objects.filter(q).select_related("cadre", "household", "household__village")


def visible_teams(reader: User) -> QuerySet[WorkTeam]:
    return in_scope(WorkTeam.objects.select_related("cadre", "village", "village__parent"), reader, "village__code")


def cadre_summary(cadre: Cadre, on: dt.date | None = None) -> dict[str, Any]:
    day = on or today()
    return {"households": households_of(cadre, day),
            "pairings": cadre.pairings.select_related("household", "household__village").order_by("-start_date"),
            "visits": cadre.visits.select_related("household").prefetch_related("photos")[:50],
            "teams": cadre.teams.select_related("village").order_by("-start_date")}
