"""Reads of the visit pages. A cadre records visits for the households paired with them: for a cadre's own
account the pairing is the scope (as in sunshine.assistance.selectors: a cadre sent by a city bureau is paired with
households far from the bureau's division). Photos are read by anyone whose division contains the household."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from sunshine.assistance.models import Cadre, Pairing, VisitPhoto
from sunshine.assistance.selectors import cadre_of_user, covering
from sunshine.core.scope import scope_q
from sunshine.registry.models import Household, HouseholdYear

if TYPE_CHECKING:
    from sunshine.core.models import User

NOT_PAIRED = "该户不存在或不是您的结对帮扶户"


def require_cadre(user: User) -> Cadre:
    """The cadre whose login account is ``user``; every other account is refused."""
    cadre = cadre_of_user(user) if user.is_active else None
    if cadre is None:
        raise PermissionDenied("您的账号没有关联帮扶干部,不能记录走访")
    return cadre


def my_households(*, cadre: Cadre, on: dt.date) -> QuerySet[Household]:
    """The cadre's households on that day with the head's name of the latest year and the last visit (by
    anyone)."""
    latest = HouseholdYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    paired = Pairing.objects.filter(covering(on), cadre=cadre, household=OuterRef("pk"))
    return (
        Household.objects.filter(Exists(paired))
        .select_related("village")
        .annotate(head_name=Subquery(latest.values("head_name")[:1]),
                  last_visit=Max("visits__date"))
        .order_by("village__code", "household_no")
    )


def get_paired_household(*, cadre: Cadre, household_id: int, on: dt.date | None = None) -> Household:
    """The household if the cadre is paired with it (on that day, or ever when ``on`` is None); 404 otherwise,
    without saying whether it exists."""
    pairings = Pairing.objects.filter(cadre=cadre, household=OuterRef("pk"))
    if on is not None:
        pairings = pairings.filter(covering(on))
    latest = HouseholdYear.objects.filter(household=OuterRef("pk")).order_by("-year")
    household = (
        Household.objects.filter(Exists(pairings), pk=household_id)
        .select_related("village")
        .annotate(head_name=Subquery(latest.values("head_name")[:1]))
        .first()
    )
    if household is None:
        raise Http404(NOT_PAIRED)
    return household


def is_paired(cadre: Cadre, household: Household, on: dt.date) -> bool:
    return Pairing.objects.filter(covering(on), cadre=cadre, household=household).exists()


def get_photo(*, reader: User, photo_id: int) -> VisitPhoto:
    """A visit photo whose household lies in the reader's scope (the household page shows them), or one of the
    reader's own visits."""
    mine = Q(visit__cadre__user=reader) if reader.is_authenticated and reader.is_active else Q(pk__in=[])
    photo = (
        VisitPhoto.objects.filter(scope_q(reader, "visit__household__village__code") | mine)
        .select_related("visit__household")
        .filter(pk=photo_id)
        .first()
    )
    if photo is None:
        raise Http404("照片不存在或不在您的管辖范围内")
    return photo
