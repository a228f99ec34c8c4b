"""Cadres, pairings and teams for the assistance tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sunshine.assistance.models import Cadre, Pairing, WorkTeam
from sunshine.core.models import User
from sunshine.registry.models import Household
from sunshine.testing import factories as f

_numbers = itertools.count(1)


def make_cadre(division: str = f.COUNTY, *, user: User | None = None, **extra: Any) -> Cadre:
    n = next(_numbers)
    values = {"cadre_no": f"GB{n:04d}", "name": f"干部{n}", "id_number": f.new_id(), "phone": "13912345678",
              "unit": "县农业农村局", "level": "county", "kind": "responsible", "division_id": division,
              "user": user} | extra
    return Cadre.objects.create(**values)


def pair(cadre: Cadre, household: Household, start: dt.date = dt.date(2019, 1, 1),
         end: dt.date | None = None) -> Pairing:
    return Pairing.objects.create(cadre=cadre, household=household, start_date=start, end_date=end)


def team(cadre: Cadre, village: str, role: str = "first_secretary", start: dt.date = dt.date(2019, 1, 1),
         end: dt.date | None = None) -> WorkTeam:
    return WorkTeam.objects.create(cadre=cadre, village_id=village, role=role, start_date=start, end_date=end)
