from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sunshine.core.reference_docs import render_all


class Command(BaseCommand):
    help = "根据代码中的声明生成参考文档(文件格式、枚举、政策参数、规则目录)。Generate docs/reference/."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", default="docs/reference", help="输出目录(默认 docs/reference)")
        parser.add_argument("--check", action="store_true", help="只检查已有文件是否最新,不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        pages = render_all()
        if options["check"]:
            stale = [name for name, text in pages.items()
                     if not (out / name).exists() or (out / name).read_text(encoding="utf-8") != text]
            if stale:
                raise CommandError(f"参考文档已过期,请运行 sunshine docs:{', '.join(stale)}")
            self.stdout.write("参考文档是最新的。")
            return
        out.mkdir(parents=True, exist_ok=True)
        for name, text in pages.items():
            (out / name).write_text(text, encoding="utf-8")
        self.stdout.write(f"已写入 {len(pages)} 个文件到 {out}")
