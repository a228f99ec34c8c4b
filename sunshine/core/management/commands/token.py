"""`sunshine token …`: API tokens from the command line, under the same rules as the page /account/tokens/.

  sunshine token USERNAME [--name 用途] [--expires-days N]   issue a token; only the token is printed (once)
  sunshine token --list [USERNAME]                           list tokens (all, or one user's)
  sunshine token --revoke ID                                 revoke a token

The acting user (named in the owner's history) is --user, else $SUNSHINE_CLI_USER, else the first
administrator, as for `sunshine users`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sunshine.core.models import ApiToken, User
from sunshine.core.tokens import services
from sunshine.core.users.cli import USER_ENV, acting_user


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = ("签发、列出或吊销接口令牌(令牌只显示一次)。Issue, list or revoke API bearer tokens "
            "(a token is shown once).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="签发令牌给这个用户;与 --list 同用时只列出其令牌")
        parser.add_argument("--name", default="", help="用途(如:统计脚本)")
        parser.add_argument("--expires-days", type=int, default=None,
                            help=f"有效期天数(默认 SUNSHINE_TOKEN_DAYS,即 90;最长 {ApiToken.MAX_DAYS})")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="列出令牌(编号、用户、用途、前缀、时间、状态)")
        action.add_argument("--revoke", type=int, metavar="ID", help="吊销这个编号的令牌")
        parser.add_argument("--user", help=f"以哪个用户的身份操作(默认 ${USER_ENV} 或第一个系统管理员)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["list"]:
                self._list(options["username"])
            elif options["revoke"] is not None:
                if options["username"]:
                    raise CommandError("--revoke 只接受令牌编号,不接受用户名")
                self._revoke(acting_user(options["user"]), options["revoke"])
            else:
                self._issue(acting_user(options["user"]), options)
        except services.TokenError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

    def _issue(self, actor: User | None, options: dict[str, Any]) -> None:
        username = options["username"]
        if not username:
            raise CommandError("请给出用户名(签发令牌),或使用 --list / --revoke ID")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在: {username}")
        token, raw = services.issue(actor, user, name=options["name"], days=options["expires_days"])
        # Standard output carries the token alone (scripts capture it); the rest goes to standard error.
        self.stdout.write(raw)
        self.stderr.write(f"令牌编号 {token.pk},有效期至 {_when(token.valid_until)};令牌只显示这一次,请妥善保存。")

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at", "-pk")
        if username:
            if not User.objects.filter(username=username).exists():
                raise CommandError(f"用户不存在: {username}")
            tokens = tokens.filter(user__username=username)
        self.stdout.write("编号\t用户\t用途\t前缀\t签发时间\t有效期至\t最近使用\t状态")
        for t in tokens:
            self.stdout.write(f"{t.pk}\t{t.user.username}\t{t.name or '—'}\t{t.prefix}…\t{_when(t.created_at)}\t"
                              f"{_when(t.valid_until)}\t{_when(t.last_used_at)}\t{t.state_label}")

    def _revoke(self, actor: User | None, pk: int) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=pk).first()
        if token is None:
            raise CommandError(f"令牌不存在: {pk}")
        if services.revoke(actor, token):
            self.stdout.write(self.style.SUCCESS(f"已吊销令牌 {pk}({token.prefix}…,用户 {token.user.username})"))
        else:
            self.stdout.write(f"令牌 {pk} 此前已吊销")
