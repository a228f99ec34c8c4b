"""Which division level each role is bound to, and how a role is named on the command line and in files.

A user's division is their scope: it decides what they see. A role is only meaningful at one level (a village
clerk enters the households of one village), so a role given with a division of another level is refused
rather than saved and silently meaningless. The table is documented in docs/operations.md (用户与角色)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from sunshine.core.choices import DivisionLevel, Role

if TYPE_CHECKING:
    from sunshine.core.models import Division

# The levels a user of each role may be bound to.
ROLE_LEVELS: dict[Role, tuple[DivisionLevel, ...]] = {
    Role.VILLAGE_CLERK: (DivisionLevel.VILLAGE,),
    Role.TOWNSHIP_REVIEWER: (DivisionLevel.TOWNSHIP,),
    Role.COUNTY_MANAGER: (DivisionLevel.COUNTY,),
    # Discipline inspection works at the county, the city or the province.
    Role.SUPERVISOR: (DivisionLevel.COUNTY, DivisionLevel.CITY, DivisionLevel.PROVINCE),
    Role.PROVINCIAL_ANALYST: (DivisionLevel.PROVINCE,),
    # The administrator manages every account: the whole province.
    Role.ADMIN: (DivisionLevel.PROVINCE,),
    # A cadre's account is bound to the division managing the cadre (Cadre.division): a county or a village.
    Role.CADRE: (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE),
}


class UnknownRole(ValueError):
    """A role name that is neither a role slug nor its Chinese label; str(exc) lists the allowed ones."""


def allowed_roles_text() -> str:
    return "、".join(f"{role.value}({role.label})" for role in Role)


def parse_role(text: str) -> Role:
    """A role from its slug (``village_clerk``) or its Chinese label (村级录入)."""
    name = (text or "").strip()
    for role in Role:
        if name.lower() == role.value or name == str(role.label):
            return role
    raise UnknownRole(_("未知的角色“%(name)s”,可选:%(allowed)s") % {"name": name[:40], "allowed": allowed_roles_text()})


def levels_text(role: Role) -> str:
    return "、".join(str(level.label) for level in ROLE_LEVELS[role])


def role_errors(roles: object, division: Division | None) -> list[str]:
    """Why these roles cannot be saved with this division (empty when they can). A user without a division
    sees nothing: that is allowed (a new superuser), the division is then asked for by the home page."""
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        return [_("角色应为角色代码的列表,可选:%(allowed)s") % {"allowed": allowed_roles_text()}]
    errors: list[str] = []
    known = set(Role.values)
    for name in roles:
        if name not in known:
            errors.append(_("未知的角色“%(name)s”,可选:%(allowed)s")
                          % {"name": name[:40], "allowed": allowed_roles_text()})
    if errors or division is None:
        return errors
    for role in (Role(r) for r in roles):
        if division.level not in ROLE_LEVELS[role]:
            errors.append(level_error(role, division))
    return errors


def level_error(role: Role, division: Division) -> str:
    return _("角色“%(role)s”应属于%(levels)s级区划,“%(division)s”是%(level)s") % {
        "role": role.label, "levels": levels_text(role), "division": division.name,
        "level": DivisionLevel(division.level).label}


def role_values(roles: Iterable[Role]) -> list[str]:
    """Role slugs in the order of the Role choices (stable history rows and displays)."""
    wanted = set(roles)
    return [role.value for role in Role if role in wanted]
