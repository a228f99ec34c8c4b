"""`sunshine audit …`: the access log's integrity and its export.

  sunshine audit verify [--chunk-size N] [--forget-checkpoint]
  sunshine audit export --out FILE.csv|FILE.xlsx [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--user USERNAME]

verify walks the hash chain (sunshine.core.auditlog.chain) from its first row, against the checkpoint of the
last verification, and names the first broken row; exit status 0 when the log is intact, 1 otherwise. export
writes the log (every division: the operator of the server runs it) and is itself written to the log, with
the acting user (--user, else $SUNSHINE_CLI_USER, else the first administrator)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sunshine.core.audit import log_access
from sunshine.core.auditlog import checkpoint, export
from sunshine.core.auditlog.selectors import LogFilter, filter_log, head_seq
from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog
from sunshine.core.users.cli import acting_user


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"日期应为 YYYY-MM-DD: {text}") from exc


class Command(BaseCommand):
    help = "访问日志:校验哈希链的完整性(verify),导出(export)。Verify or export the access log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        check = sub.add_parser("verify", help="校验访问日志是否被删除、修改或插入记录")
        check.add_argument("--chunk-size", type=int, default=2000, help="每次从数据库读取的行数")
        check.add_argument("--forget-checkpoint", action="store_true",
                           help="不与上次校验的结果比对(仅在有意更换了数据库之后使用,例如在同一数据目录重新安装)")
        out = sub.add_parser("export", help="导出访问日志(csv 或 xlsx)")
        out.add_argument("--out", required=True, type=Path, help="输出文件(.csv 或 .xlsx)")
        out.add_argument("--from", dest="date_from", type=_day, help="起始日期(含)")
        out.add_argument("--to", dest="date_to", type=_day, help="截止日期(含)")
        out.add_argument("--user", help="以哪个用户的身份导出(默认 $SUNSHINE_CLI_USER 或第一个系统管理员)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options["chunk_size"], forget=options["forget_checkpoint"])
        else:
            self._export(options)

    def _verify(self, chunk_size: int, *, forget: bool) -> None:
        verdict = checkpoint.verify_and_record(chunk_size=max(chunk_size, 1), forget=forget)
        if verdict.ok and not verdict.rows:
            self.stdout.write(self.style.SUCCESS("访问日志中还没有记录。"))
            return
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS(
                f"访问日志完整:共 {verdict.rows} 条,哈希链从第 1 条到第 {verdict.last_seq} 条首尾相接,"
                "未发现删除、修改或插入。"))
            return
        intact = f"第 1 至 {verdict.last_seq} 条完好;" if verdict.last_seq else ""
        self.stderr.write(self.style.ERROR(f"访问日志被篡改:{verdict.problem}。{intact}请立即报告安全管理员。"))
        sys.exit(1)

    def _export(self, options: dict[str, Any]) -> None:
        out: Path = options["out"]
        kind = out.suffix.lower().lstrip(".")
        if kind not in export.FORMATS:
            raise CommandError(f"输出文件应为 .csv 或 .xlsx: {out}")
        if options["date_from"] and options["date_to"] and options["date_from"] > options["date_to"]:
            raise CommandError("起始日期晚于截止日期")
        actor = acting_user(options["user"])
        filters = LogFilter(date_from=options["date_from"], date_to=options["date_to"])
        rows = filter_log(AccessLog.objects.select_related("user"), filters).filter(seq__lte=head_seq())
        count = rows.count()
        # Written first: the export is in the log even if writing the file fails half-way.
        span = f"{options['date_from'] or '…'} 至 {options['date_to'] or '…'}"
        log_access(user=actor, action=AccessAction.EXPORT, object_type="access_log", object_ref=kind,
                   detail=f"命令行 {span} {count} 行 → {out.name}")
        stream = rows.iterator(chunk_size=export.CHUNK)
        if kind == "csv":
            with out.open("w", encoding="utf-8", newline="") as fh:
                export.write_csv(None, stream, fh)
        else:
            export.write_xlsx(None, stream, out)
        self.stdout.write(self.style.SUCCESS(f"已导出访问日志 {count} 条({span})到 {out}"))
