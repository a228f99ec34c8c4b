"""Which accounts an actor sees on the user administration pages, and the filters of the list."""

from __future__ import annotations

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.core.users.services import is_user_manager


def visible_users(actor: User) -> QuerySet[User]:
    """Administrators see every account; a county manager the accounts inside their county; others none."""
    users = User.objects.select_related("division").order_by("division_id", "username")
    if not is_user_manager(actor):
        return users.none()
    if actor.has_role(Role.ADMIN):
        return users
    return users.filter(division__code__startswith=actor.division.prefix)


def filter_users(users: QuerySet[User], *, division: str = "", role: str = "", active: str = "",
                 q: str = "") -> QuerySet[User]:
    if division:
        from sunshine.core.models import Division

        found = Division.objects.filter(code=division).first()
        users = users.filter(division__code__startswith=found.prefix) if found else users.none()
    if role in Role.values:
        # roles is a JSON list: its text holds "slug" with the quotes on SQLite and PostgreSQL alike.
        users = users.annotate(roles_text=Cast("roles", TextField())).filter(roles_text__contains=f'"{role}"')
    if active in {"1", "0"}:
        users = users.filter(is_active=active == "1")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return users
