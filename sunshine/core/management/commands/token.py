from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sunshine.core.models import ApiToken, User


class Command(BaseCommand):
    help = "为用户签发接口令牌(只显示一次)。Issue an API bearer token for a user (shown once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在: {options['username']}")
        _, raw = ApiToken.issue(user, options["name"])
        self.stdout.write(raw)
