"""`sunshine restore FILE [--force]`: check a backup against its manifest, then restore it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sunshine.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = ("从 sunshine backup 的归档恢复数据库和数据目录(先校验;数据库已有数据时需 --force)。"
            "Restore a backup made by `sunshine backup`. Stop the site and its worker first.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="sunshine backup 生成的归档文件")
        parser.add_argument("--force", action="store_true", help="覆盖已有数据的数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        archive: Path = options["file"]
        if not archive.is_file():
            raise CommandError(f"备份文件不存在:{archive}")
        try:
            manifest = restore_backup(archive, force=options["force"], report=self._say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"恢复完成:{archive}(备份时间 {manifest.created_at},版本 {manifest.app_version},"
            f"{len(manifest.files)} 个文件)"))

    verbosity = 1

    def _say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)
