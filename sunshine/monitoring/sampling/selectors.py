"""Reads of draws and their units, filtered by the reader's division scope.

A draw is visible when its division lies inside the reader's division or contains it (a village clerk records
the visits to the village's households of a county draw). Units are shown only inside the reader's division;
the strata and the estimates only to a reader whose division covers the whole draw."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from sunshine.core.models import User
from sunshine.core.scope import in_scope
from sunshine.monitoring.models import SampleDraw, SampleUnit
from sunshine.registry.models import HouseholdYear

NOT_FOUND = "抽样批次不存在或不在您的管辖范围内"
UNIT_NOT_FOUND = "抽样农户不存在或不在您的管辖范围内"


def _prefix(reader: User) -> str | None:
    return reader.scope_prefix if reader.is_authenticated and reader.is_active else None


def visible_draws(reader: User) -> QuerySet[SampleDraw]:
    prefix = _prefix(reader)
    if prefix is None:
        return SampleDraw.objects.none()
    containing = [prefix[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(prefix)]
    return (SampleDraw.objects.filter(Q(division__code__startswith=prefix) | Q(division_id__in=containing))
            .select_related("division", "created_by", "panel"))


def get_draw(reader: User, draw_id: int) -> SampleDraw:
    draw = visible_draws(reader).filter(pk=draw_id).first()
    if draw is None:
        raise Http404(NOT_FOUND)
    return draw


def draw_covers_reader(reader: User, draw: SampleDraw) -> bool:
    prefix = _prefix(reader)
    return prefix is not None and draw.division.prefix.startswith(prefix)


def units(reader: User, draw: SampleDraw) -> QuerySet[SampleUnit]:
    return (in_scope(draw.units.all(), reader, "household__village__code")
            .select_related("household", "household__village", "visitor")
            .order_by("stratum", "household__household_no"))


def get_unit(reader: User, draw: SampleDraw, unit_id: Any) -> SampleUnit:
    try:
        pk = int(unit_id)
    except (TypeError, ValueError):
        raise Http404(UNIT_NOT_FOUND) from None
    unit = units(reader, draw).filter(pk=pk).first()
    if unit is None:
        raise Http404(UNIT_NOT_FOUND)
    return unit


def heads(draw: SampleDraw, household_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(head name, head ID number) of each household in the draw's year, in one query."""
    rows = HouseholdYear.objects.filter(year=draw.year, household_id__in=household_ids).values_list(
        "household_id", "head_name", "head_id_number")
    return {hid: (name, number) for hid, name, number in rows}
