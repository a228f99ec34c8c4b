"""Recording the result of a verification visit to a sampled household."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.core.scope import division_visible
from sunshine.monitoring.models import SampleUnit
from sunshine.monitoring.sampling.draw import stratum_parts
from sunshine.registry.choices import HouseholdStatus

logger = logging.getLogger(__name__)

ROLES_THAT_VISIT = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER, Role.ADMIN})


def can_visit(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role_set & ROLES_THAT_VISIT)


def unit_status(unit: SampleUnit) -> str:
    """The household's status in the draw's year, as it was when drawn (it defines the unit's stratum)."""
    return stratum_parts(unit.stratum)[1]


def record_visit(*, actor: User, unit: SampleUnit, visited_on: dt.date, data_correct: bool,
                 wrongly_exited: bool | None, note: str = "") -> SampleUnit:
    """Store what the visit found: whether the registered data is correct and, for a household registered
    as exited (已脱贫) that year, whether it was wrongly exited (错退). Recording again corrects the result."""
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not can_visit(actor):
        raise PermissionDenied("您的角色不能登记走访结果;由村级录入、乡镇审核、县级管理或系统管理员登记")
    village = unit.household.village_id
    if not division_visible(actor, village):
        raise PermissionDenied("该农户不在您的管辖范围内")
    errors: dict[str, list[str]] = {}
    if not isinstance(visited_on, dt.date):
        errors["visited_on"] = ["请填写走访日期"]
    elif visited_on > timezone.localdate():
        errors["visited_on"] = ["走访日期不能晚于今天"]
    elif visited_on.year < unit.draw.year:
        errors["visited_on"] = [f"走访日期不能早于抽样年度 {unit.draw.year} 年"]
    if not isinstance(data_correct, bool):
        errors["data_correct"] = ["请选择信息是否准确"]
    exited = unit_status(unit) == HouseholdStatus.EXITED
    if exited and not isinstance(wrongly_exited, bool):
        errors["wrongly_exited"] = ["已脱贫户须填写是否错退"]
    if not exited and wrongly_exited is not None:
        errors["wrongly_exited"] = ["只有抽样年度为已脱贫的农户才填写是否错退"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = SampleUnit.objects.select_for_update().get(pk=unit.pk)
        locked.visited_on, locked.visitor = visited_on, actor
        locked.data_correct, locked.wrongly_exited, locked.note = data_correct, wrongly_exited, (note or "").strip()
        locked._history_user = actor  # type: ignore[attr-defined]  # simple-history records who
        locked.save(update_fields=["visited_on", "visitor", "data_correct", "wrongly_exited", "note"])
    logger.info("sample visit recorded: draw %s unit %s by %s", unit.draw_id, unit.pk, actor.username)
    for name in ("visited_on", "visitor", "data_correct", "wrongly_exited", "note"):
        setattr(unit, name, getattr(locked, name))
    return unit
