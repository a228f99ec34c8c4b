"""`sunshine backup --out FILE`: the database and the data directory in one archive with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sunshine.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = ("备份数据库和数据目录到一个归档文件(.tar 或 .tar.gz),附带校验清单。"
            "Back up the database and the data directory into one archive.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, type=Path, help="归档文件,如 /backup/sunshine-20260101.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        out: Path = options["out"]
        if out.exists() and out.is_dir():
            raise CommandError(f"--out 应为文件名,不是目录:{out}")
        try:
            manifest = create_backup(out, report=self._say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = sum(f["size"] for f in manifest.files)
        self.stdout.write(self.style.SUCCESS(
            f"备份完成:{out}({len(manifest.files)} 个文件,共 {size:,} 字节,数据库 {manifest.vendor},"
            f"版本 {manifest.app_version})"))

    verbosity = 1

    def _say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)
