"""What the case services share: the clock, the role and scope checks, the notice length."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from sunshine.core.choices import ROLES_THAT_EDIT_REGISTRY, Role
from sunshine.core.scope import division_visible
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.workflow.models import Case

NOT_FOUND = "案件不存在或不在您的管辖范围内"
# Who may open a case and handle objections: the offices that sign steps (and the administrator).
ROLES_THAT_OPEN = ROLES_THAT_EDIT_REGISTRY
ROLES_THAT_HANDLE_OBJECTIONS = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER,
                                          Role.ADMIN})


class StepConflict(ValidationError):
    """The step named is not the case's current one (a stale form, or an attempt to skip a step); the API
    answers 409."""


def today() -> dt.date:
    """The local date; every service takes ``today`` so that tests can fix the clock."""
    return timezone.localdate()


def active(actor: User | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def require_active(actor: User | None) -> None:
    if not active(actor):
        raise PermissionDenied("请先登录")


def require_scope(actor: User, division_code: str) -> None:
    """A case outside the actor's division does not exist for them (404, no hint)."""
    if not division_visible(actor, division_code):
        raise Http404(NOT_FOUND)


def clean_text(value: str | None, field: str, what: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: [f"请填写{what}"]})
    return text


def params_for(case: Case) -> StandardParameters:
    try:
        return standard_for(case.year, case.division_id).params
    except StandardNotFound:
        return StandardParameters()


def notice_days(case: Case) -> int:
    return max(1, params_for(case).notice_days)
