"""What the commands share: the acting user, the checks of --out/--unmasked and a progress bar on stderr."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from sunshine.core.choices import Role
from sunshine.core.models import User

USER_ENV = "SUNSHINE_CLI_USER"


def date_argument(option: str = "") -> Callable[[str], dt.date]:
    """An argparse ``type`` for a date option: YYYY-MM-DD, or a clear error naming the option."""
    def parse(text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            raise CommandError(f"{option + ' ' if option else ''}应为日期 YYYY-MM-DD:{text}") from None

    return parse


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


def output_request(options: dict[str, Any], formats: tuple[str, ...]) -> tuple[User, bool]:
    """The acting user of a command with ``--out`` and ``--unmasked``, checked: the file's format, and that
    full ID numbers are asked for a file and by a role that may see them. Returns (actor, unmasked)."""
    out = options["out"]
    if out is not None and out.suffix.lower() not in formats:
        raise CommandError(f"输出文件应为 {'、'.join(formats)} 之一: {out}")
    actor = acting_user(options["user"])
    unmasked = bool(options["unmasked"])
    if unmasked and out is None:
        raise CommandError("--unmasked 只用于 --out 输出文件")
    if unmasked and not actor.can_see_full_personal_data:
        raise CommandError(f"用户 {actor.username} 的角色不能查看完整身份证号,不能使用 --unmasked")
    return actor, unmasked


SHOWN_ERRORS = 20


def report_import(command: Any, *, summary: str | None, warnings: Any, errors: list[Any],
                  errors_path: Path | None, written_text: str = "已导入无错误的行", label: str = "",
                  error_count: int | None = None, rejected_rows: int | None = None,
                  nothing_text: str = "未写入任何数据") -> None:
    """How every import command ends: warnings, the summary of what was written, then (when there are errors)
    the first errors with row and column, masked, the report file and exit status 2.

    ``error_count``: every error found when ``errors`` keeps only the first of them (a dataset load);
    ``rejected_rows``: how many rows those errors are on, said after the count."""
    import sys

    from sunshine.core.ids import mask_text
    from sunshine.registry.transfer.validate import write_errors

    count = len(errors) if error_count is None else error_count
    for warning in warnings:
        command.stderr.write(f"提示: {warning}")
    if summary:
        command.stdout.write(summary)
    if not count:
        return
    if errors_path is not None:
        write_errors(errors, errors_path)
    for e in errors[:SHOWN_ERRORS]:
        where = f"{e.file}{'/' + e.sheet if e.sheet else ''} 第{e.row}行 {e.column}"
        command.stderr.write(mask_text(f"{where}: {e.message}" + (f"(值:{e.value})" if e.value else "")))
    if count > SHOWN_ERRORS:
        command.stderr.write(f"……另有 {count - SHOWN_ERRORS} 处错误")
    if count > len(errors):
        command.stderr.write(f"错误报告只列出前 {len(errors)} 处")
    done = written_text if summary else nothing_text
    rows = f"({rejected_rows} 行)" if rejected_rows is not None else ""
    where = f";错误报告已写入 {errors_path}" if errors_path else ";用 --errors FILE 保存完整的错误报告"
    command.stderr.write(f"{label + ':' if label else ''}发现 {count} 处错误{rows},{done}{where}")
    sys.stderr.flush()
    raise SystemExit(2)


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
