"""What `sunshine init --admin` and `sunshine users` share: the acting user and reading a password."""

from __future__ import annotations

import getpass
import os
from typing import IO, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from sunshine.core.choices import Role
from sunshine.core.models import User

USER_ENV = "SUNSHINE_CLI_USER"  # the same variable as `sunshine import`


def acting_user(username: str | None) -> User | None:
    """--user, else $SUNSHINE_CLI_USER, else the first active administrator (as `sunshine import` picks it).
    None only while no administrator exists: the server's operator then acts (a superuser made by
    createsuperuser is given its role this way); the history rows then name no user."""
    name = username or os.environ.get(USER_ENV)
    if name:
        user = User.objects.select_related("division").filter(username=name, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用: {name}")
        return user
    for user in User.objects.select_related("division").filter(is_active=True).order_by("pk"):
        if user.has_role(Role.ADMIN):
            return user
    return None


def read_password(stdin: IO[str], *, from_stdin: bool, user: User, stderr: Any) -> str:
    """The password from the first line of standard input, or asked twice on the terminal (never echoed).
    Checked against the password rules; a refused password asked again (three tries) or an error."""
    if from_stdin:
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("标准输入中没有密码(--password-stdin 读取第一行)")
        _validate(password, user)
        return password
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        raise CommandError("不是交互式终端:请用 --password-stdin 从标准输入提供密码")
    for _attempt in range(3):
        password = getpass.getpass("密码: ")
        if password != getpass.getpass("再次输入密码: "):
            stderr.write("两次输入的密码不一致,请重新输入。")
            continue
        try:
            _validate(password, user)
        except CommandError as exc:
            stderr.write(str(exc))
            continue
        return password
    raise CommandError("三次未能设置符合要求的密码")


def _validate(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise CommandError("密码不符合要求:" + "".join(exc.messages)) from exc
