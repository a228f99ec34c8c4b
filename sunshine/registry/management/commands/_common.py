"""What the import and export commands share: the acting user and a progress bar on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from sunshine.core.choices import Role
from sunshine.core.models import User

USER_ENV = "SUNSHINE_CLI_USER"


def acting_user(username: str | None) -> User:
    """--user, else $SUNSHINE_CLI_USER, else the first active administrator (history and scope need a user)."""
    name = username or os.environ.get(USER_ENV)
    if name:
        user = User.objects.select_related("division").filter(username=name, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用: {name}")
        return user
    for user in User.objects.select_related("division").filter(is_active=True).order_by("pk"):
        if user.has_role(Role.ADMIN):
            return user
    raise CommandError(f"请用 --user 指定导入人(或设置环境变量 {USER_ENV});系统中还没有管理员账号,"
                       "请先运行 sunshine init --admin 用户名")


def progress_bar(enabled: bool = True) -> tuple[Callable[[int, str], None], Callable[[], None]]:
    """A tqdm bar (0–100 %) on stderr; returns (report, close)."""
    from tqdm import tqdm

    bar: Any = tqdm(total=100, unit="%", file=sys.stderr, disable=not enabled, leave=False,
                    bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}")
    state = {"done": 0}

    def report(percent: int, stage: str) -> None:
        bar.set_description_str(stage, refresh=False)
        step = max(0, min(100, percent) - state["done"])
        state["done"] += step
        bar.update(step)

    return report, bar.close
