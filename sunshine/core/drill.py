"""Counts of a scoped list by the divisions one level down, with the path back up: the drill-down of list pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from sunshine.core.choices import LEVEL_ORDER, LEVEL_PREFIX_LENGTH, DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.scope import counts_by_prefix


@dataclass
class DrillDown:
    division: Division | None
    breadcrumbs: list[Division]
    children: list[dict[str, Any]]  # {"code", "name", "n"}; code None for findings owned at this level


def drill_down(reader: User, qs: QuerySet[Any], division_code: str | None) -> DrillDown:
    """Counts of ``qs`` (rows with a ``division``) by the divisions one level below ``division_code`` (default:
    the reader's division, and never outside it): the drill-down beside the finding and warning lists."""
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is None:
        return DrillDown(None, [], [])
    code = division_code if division_code and division_code.startswith(prefix) else reader.division_id
    # The reader's own division is loaded already (scope): no second query for the usual, unfiltered list.
    division = reader.division if code == reader.division_id else Division.objects.filter(code=code).first()
    if division is None:
        return DrillDown(None, [], [])
    scope_len = len(prefix)
    breadcrumbs = [d for d in division.ancestors() if len(d.prefix) >= scope_len]
    level = DivisionLevel(division.level)
    if level == DivisionLevel.VILLAGE:
        return DrillDown(division, breadcrumbs, [])
    child_len = LEVEL_PREFIX_LENGTH[LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]]
    counts = counts_by_prefix(qs.filter(division__code__startswith=division.prefix), child_len)
    names = dict(Division.objects.filter(code__in=[c.ljust(12, "0") for c in counts]).values_list("code", "name"))
    children = []
    for child, n in sorted(counts.items()):
        child_code = child.ljust(12, "0")
        if child_code == division.code:  # owned by this division itself (people outside the registry)
            children.append({"code": None, "name": division.name, "n": n})
        else:
            children.append({"code": child_code, "name": names.get(child_code, child_code), "n": n})
    return DrillDown(division, breadcrumbs, children)
