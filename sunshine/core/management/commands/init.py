from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.models import Division, User
from sunshine.core.users import services
from sunshine.core.users.cli import read_password


class Command(BaseCommand):
    help = ("创建或升级数据库(可重复执行);--admin 创建第一个系统管理员。"
            "Create or migrate the database; safe to run again. --admin creates the first administrator.")
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin", metavar="USERNAME",
                            help="创建系统管理员账号(角色 admin,所属区划为省);已存在时不作改动")
        parser.add_argument("--password-stdin", action="store_true",
                            help="从标准输入的第一行读取管理员密码(否则在终端上询问)")
        parser.add_argument("--name", default="", help="管理员姓名")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        db = settings.DATABASES["default"]
        where = db["NAME"] if "sqlite" in db["ENGINE"] else f'{db.get("HOST")}:{db.get("PORT")}/{db["NAME"]}'
        self.stdout.write(self.style.SUCCESS(f"数据库已就绪 database ready: {where}"))
        from sunshine.library.services import load_seed

        if load_seed() is not None:  # the policy library's first document, once
            self.stdout.write("已载入政策文件库的第一份文件:关于打赢打好脱贫攻坚战三年行动的实施意见")
        from sunshine.core import crypto

        # The key that encrypts ID numbers and phones (never part of a backup): made now, said once.
        new_key = not crypto.key_from_environment() and not crypto.key_file().exists()
        crypto.ensure_key()
        if new_key:
            self.stdout.write(f"已创建数据密钥文件 data key created: {crypto.key_file()}"
                              "(请另行备份,备份文件中不含此密钥)")
        if options["admin"]:
            self._admin(options["admin"].strip(), options)

    def _admin(self, username: str, options: dict[str, Any]) -> None:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            if not existing.has_role(Role.ADMIN):
                raise CommandError(f"用户 {username} 已存在但不是系统管理员:请用 "
                                   f"sunshine users set-role {username} --role admin --division <省级区划代码>")
            self.stdout.write(f"系统管理员 {username} 已存在,未作改动")
            return
        province = Division.objects.filter(level=DivisionLevel.PROVINCE).order_by("code").first()
        if province is None:
            raise CommandError("没有省级区划:参考数据未加载")
        candidate = User(username=username, full_name=options["name"])
        password = read_password(options.get("stdin") or sys.stdin, from_stdin=options["password_stdin"],
                                 user=candidate, stderr=self.stderr)
        with transaction.atomic():
            try:
                created = services.create_user(None, username=username, full_name=options["name"],
                                               roles=[Role.ADMIN], division=province, password=password,
                                               reason="sunshine init --admin")
            except services.UserChangeError as exc:
                raise CommandError(";".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"已创建系统管理员 {created.user.username}(所属区划:{province.name}),可登录网页和 /admin/"))
