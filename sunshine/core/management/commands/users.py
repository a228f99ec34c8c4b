"""`sunshine users …`: accounts from the command line, under the same rules as the user administration page.

  sunshine users add USERNAME --role ROLE --division CODE [--name 姓名] [--password-stdin]
  sunshine users list [--division CODE]
  sunshine users disable|enable USERNAME
  sunshine users set-role USERNAME --role ROLE --division CODE [--name 姓名]
  sunshine users reset-password USERNAME
  sunshine users import FILE.xlsx
  sunshine users template --out FILE.xlsx

ROLE is a role code (village_clerk …) or its Chinese name (村级录入 …); --role may be repeated. The acting
user (history, and what they may do) is --user, else $SUNSHINE_CLI_USER, else the first administrator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sunshine.core.choices import Role
from sunshine.core.models import User
from sunshine.core.users import bulk, selectors, services, template
from sunshine.core.users.cli import USER_ENV, acting_user, read_password
from sunshine.core.users.rules import ROLE_LEVELS, UnknownRole, levels_text, parse_role


def _roles_help() -> str:
    return ";".join(f"{r.value}({r.label},{levels_text(r)}级)" for r in ROLE_LEVELS)


class Command(BaseCommand):
    help = "管理用户账号(添加、列出、停用、启用、修改角色、重置密码、批量导入)。Manage user accounts."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help=f"以哪个用户的身份操作(默认 ${USER_ENV} 或第一个系统管理员)")
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        add = sub.add_parser("add", help="添加账号")
        add.add_argument("username")
        self._role_arguments(add)
        add.add_argument("--password-stdin", action="store_true",
                         help="从标准输入第一行读取本人的密码;不给时生成一次性密码,首次登录须修改")

        listing = sub.add_parser("list", help="列出账号")
        listing.add_argument("--division", default="", help="只列出这个区划内的账号(12位区划代码)")

        for name, text in (("disable", "停用账号"), ("enable", "启用账号"), ("reset-password", "重置为一次性密码")):
            sub.add_parser(name, help=text).add_argument("username")

        set_role = sub.add_parser("set-role", help="修改角色和所属区划")
        set_role.add_argument("username")
        self._role_arguments(set_role)

        imp = sub.add_parser("import", help="从 .xlsx 批量创建账号(列:用户名、姓名、角色、区划代码)")
        imp.add_argument("file")

        blank = sub.add_parser("template", help="生成批量创建账号用的空白 .xlsx 模板(含“说明”工作表)")
        blank.add_argument("--out", required=True, help="写到哪个 .xlsx 文件")
        # --user is accepted after the action too (sunshine users add li … --user county).
        for action in sub.choices.values():
            action.add_argument("--user", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    @staticmethod
    def _role_arguments(parser: CommandParser) -> None:
        parser.add_argument("--role", action="append", required=True, help="角色,可重复:" + _roles_help())
        parser.add_argument("--division", required=True, help="所属区划的12位代码")
        parser.add_argument("--name", default=None, help="姓名")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["user"])
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(actor, options)
        except services.UserChangeError as exc:
            raise CommandError(";".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

    # ---- actions ----

    def do_add(self, actor: User | None, options: dict[str, Any]) -> None:
        roles, division = self._roles(options), services.division_by_code(options["division"])
        password = None
        if options["password_stdin"]:
            candidate = User(username=options["username"], full_name=options["name"] or "")
            password = read_password(options.get("stdin") or sys.stdin, from_stdin=True, user=candidate,
                                     stderr=self.stderr)
        created = services.create_user(actor, username=options["username"], roles=roles, division=division,
                                       full_name=options["name"] or "", password=password)
        self.stdout.write(self.style.SUCCESS(f"已创建账号 {created.user.username}:{self._describe(created.user)}"))
        if created.one_time_password:
            self.stdout.write(f"一次性密码(只显示这一次,首次登录时须修改):{created.one_time_password}")

    def do_list(self, actor: User | None, options: dict[str, Any]) -> None:
        users = User.objects.select_related("division").order_by("division_id", "username") if actor is None \
            else selectors.visible_users(actor)
        if options["division"]:
            division = services.division_by_code(options["division"])
            users = selectors.filter_users(users, division=division.code)
        self.stdout.write("用户名\t姓名\t角色\t所属区划\t状态")
        for user in users:
            state = "启用" if user.is_active else "已停用"
            if user.must_change_password:
                state += "(待改初始密码)"
            self.stdout.write(f"{user.username}\t{user.full_name}\t{'、'.join(user.role_labels()) or '—'}\t"
                              f"{user.division or '—'}\t{state}")

    def do_disable(self, actor: User | None, options: dict[str, Any]) -> None:
        user = services.set_active(actor, self._user(options), False)
        self.stdout.write(self.style.SUCCESS(f"已停用账号 {user.username}"))

    def do_enable(self, actor: User | None, options: dict[str, Any]) -> None:
        user = services.set_active(actor, self._user(options), True)
        self.stdout.write(self.style.SUCCESS(f"已启用账号 {user.username}"))

    def do_set_role(self, actor: User | None, options: dict[str, Any]) -> None:
        roles, division = self._roles(options), services.division_by_code(options["division"])
        user = services.change_role(actor, self._user(options), roles=roles, division=division,
                                    full_name=options["name"])
        self.stdout.write(self.style.SUCCESS(f"已修改账号 {user.username}:{self._describe(user)}"))

    def do_reset_password(self, actor: User | None, options: dict[str, Any]) -> None:
        user = self._user(options)
        password = services.reset_password(actor, user)
        self.stdout.write(self.style.SUCCESS(f"已重置账号 {user.username} 的密码"))
        self.stdout.write(f"一次性密码(只显示这一次,首次登录时须修改):{password}")

    def do_import(self, actor: User | None, options: dict[str, Any]) -> None:
        if actor is None:
            raise CommandError("系统中还没有管理员账号:请先运行 sunshine init --admin 用户名")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在: {path}")
        try:
            result = bulk.bulk_create(actor, path, path.name)
        except bulk.BulkFileError as exc:
            raise CommandError(str(exc)) from exc
        if result.errors:
            self.stderr.write("\t".join(bulk.RowError.ERROR_HEADERS))
            for e in result.errors:
                self.stderr.write(f"{e.row}\t{e.column}\t{e.value}\t{e.message}")
            raise CommandError(f"发现 {len(result.errors)} 处错误,未创建任何账号")
        self.stdout.write("用户名\t姓名\t角色\t所属区划\t一次性密码")
        for created in result.created:
            user = created.user
            self.stdout.write(f"{user.username}\t{user.full_name}\t{'、'.join(user.role_labels())}\t"
                              f"{user.division}\t{created.one_time_password}")
        self.stdout.write(self.style.SUCCESS(f"已创建 {len(result.created)} 个账号;首次登录时须修改密码"))

    def do_template(self, actor: User | None, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        out.write_bytes(template.template_xlsx(template.example_village(actor)))
        self.stdout.write(self.style.SUCCESS(f"已生成模板 {out}:在“账号”工作表每行填一个账号,"
                                             "再用 sunshine users import 导入"))

    # ---- helpers ----

    @staticmethod
    def _roles(options: dict[str, Any]) -> list[Role]:
        try:
            return [parse_role(part) for value in options["role"] for part in value.split(",") if part.strip()]
        except UnknownRole as exc:
            raise CommandError(str(exc)) from exc

    @staticmethod
    def _user(options: dict[str, Any]) -> User:
        user = User.objects.select_related("division").filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在: {options['username']}")
        return user

    @staticmethod
    def _describe(user: User) -> str:
        return f"{'、'.join(user.role_labels())},{user.division}"
