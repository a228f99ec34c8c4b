"""Writing policy standards: a change is always a new version; old versions stay as they were."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.policy.models import PolicyStandard
from sunshine.policy.parameters import ParameterError

ROLES_THAT_EDIT_STANDARDS = frozenset({Role.ADMIN, Role.PROVINCIAL_ANALYST})
REGION_LEVELS = (DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY)


def can_edit_standards(user: User) -> bool:
    return user.is_authenticated and user.is_active and bool(user.role_set & ROLES_THAT_EDIT_STANDARDS)


@transaction.atomic
def create_standard_version(
    *, actor: User, base_version: str, changes: dict[str, Any], version: str, name: str, year_from: int,
    year_to: int, region_code: str, notes: str = "",
) -> PolicyStandard:
    """A new version made from ``base_version`` with some parameters changed (admin or provincial analyst)."""
    if not can_edit_standards(actor):
        raise PermissionDenied("只有系统管理员和省级分析人员可以制定政策标准")
    if not division_visible(actor, region_code):
        raise PermissionDenied("适用区域不在您的管辖范围内")
    base = PolicyStandard.objects.filter(version=base_version).first()
    if base is None:
        raise ValidationError({"base_version": [f"政策标准版本不存在: {base_version}"]})
    errors: dict[str, list[str]] = {}
    version = version.strip()
    if not version:
        errors["version"] = ["版本不能为空"]
    elif PolicyStandard.objects.filter(version=version).exists():
        errors["version"] = [f"版本 {version} 已存在;已有版本不能修改,请使用新的版本号"]
    if not name.strip():
        errors["name"] = ["名称不能为空"]
    if year_from > year_to:
        errors["year_to"] = ["终止年度不能早于起始年度"]
    region = Division.objects.filter(code=region_code, level__in=REGION_LEVELS).first()
    if region is None:
        errors["region_code"] = ["适用区域应为省、市或县(区)"]
    try:
        params = base.params.with_changes(**changes)
    except ParameterError as exc:
        errors.update({f"parameters.{k}": [v] for k, v in exc.errors.items()})
    if errors:
        raise ValidationError(errors)
    standard = PolicyStandard(
        version=version, name=name.strip(), year_from=year_from, year_to=year_to, region=region,
        parameters=params.to_dict(), procedures=base.procedures, base=base, created_by=actor, notes=notes,
    )
    standard._history_user = actor  # type: ignore[attr-defined]
    standard.full_clean(exclude=["parameters"])
    standard.save()
    return standard
