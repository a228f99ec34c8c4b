"""One demo user per role, bound to the synthetic region, with passwords printed for the demo.

The passwords are reproducible from the seed on purpose (a demo can be rebuilt and its printed
passwords still work), which also means anyone who knows the seed knows them: never create these users
on a server that holds real data."""

from __future__ import annotations

import random
import string

from axes.utils import reset as reset_login_failures
from django.db import transaction

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.demo.names import FEMALE_GIVEN, MALE_GIVEN, SURNAMES

# username, role, level of the division the user is bound to.
DEMO_USERS: tuple[tuple[str, Role, DivisionLevel], ...] = (
    ("clerk", Role.VILLAGE_CLERK, DivisionLevel.VILLAGE),
    ("township", Role.TOWNSHIP_REVIEWER, DivisionLevel.TOWNSHIP),
    ("county", Role.COUNTY_MANAGER, DivisionLevel.COUNTY),
    ("supervisor", Role.SUPERVISOR, DivisionLevel.COUNTY),
    ("analyst", Role.PROVINCIAL_ANALYST, DivisionLevel.PROVINCE),
    ("admin", Role.ADMIN, DivisionLevel.PROVINCE),
)
# Letters and digits that cannot be misread when copied from a terminal (no 0/O, 1/l/I).
_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")


def demo_password(rnd: random.Random) -> str:
    """14 characters such as "Kp7m-x3Qa-9TwR": upper and lower case and digits, never a common password."""
    while True:
        groups = ["".join(rnd.choice(_ALPHABET) for _ in range(4)) for _ in range(3)]
        password = "-".join(groups)
        if (any(ch.isupper() for ch in password) and any(ch.islower() for ch in password)
                and any(ch.isdigit() for ch in password)):
            return password


def _first(county6: str, level: DivisionLevel) -> Division:
    """The first division of a level inside the county, synthetic ones first."""
    found = (Division.objects.filter(code__startswith=county6, level=level)
             .order_by("-synthetic", "code").first())
    if found is None:
        raise ValueError(f"县 {county6} 下没有{level.label}: 请先生成演示区域 (generate_region)")
    return found


@transaction.atomic
def create_demo_users(*, county_code: str = "320321", seed: int = 1) -> list[tuple[str, str, str, str]]:
    """Create or reset the demo users; returns (username, password, role label, division name) per user.

    Re-running sets the same passwords again (for the same seed), rebinds each user to its division,
    and clears login lock-outs, so a demo can always be logged into with the printed passwords."""
    county = Division.objects.filter(code=f"{county_code}000000", level=DivisionLevel.COUNTY).first()
    if county is None:
        raise ValueError(f"未知的县级区划 {county_code}")
    divisions = {
        DivisionLevel.VILLAGE: _first(county_code, DivisionLevel.VILLAGE),
        DivisionLevel.TOWNSHIP: _first(county_code, DivisionLevel.TOWNSHIP),
        DivisionLevel.COUNTY: county,
        DivisionLevel.PROVINCE: Division.objects.get(code=f"{county_code[:2]}0000000000"),
    }
    rnd = random.Random(f"sunshine-demo-users:{seed}:{county_code}")  # noqa: S311 - reproducible on purpose
    result: list[tuple[str, str, str, str]] = []
    for username, role, level in DEMO_USERS:
        password = demo_password(rnd)
        given = rnd.choice(MALE_GIVEN if rnd.random() < 0.5 else FEMALE_GIVEN)
        user = User.objects.filter(username=username).first() or User(username=username)
        user.division = divisions[level]
        user.roles = [role.value]
        user.full_name = f"{rnd.choice(SURNAMES[:100])}{given}"
        user.is_active = True
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.set_password(password)
        user.save()
        reset_login_failures(username=username)
        result.append((username, password, str(role.label), user.division.name))
    return result
