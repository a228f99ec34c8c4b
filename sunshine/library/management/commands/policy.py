"""`sunshine policy add FILE --title T [--issuer I] [--number N] [--level 国家|省|市|县] [--issued D]` (prints the
new document's id), `sunshine policy search QUERY [--limit N] [--level L] [--status S] [--out F.json]` (a JSON list,
best first, with the keys title, document_no, issuer, level, issued, score, snippet) and `sunshine policy reindex`
(rebuild the full-text index, e.g. after a restore). Commands run on the server act without a user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sunshine.library import search, services
from sunshine.library.choices import DocumentStatus, Level, level_from_label
from sunshine.library.extract import MAX_UPLOAD_BYTES
from sunshine.registry.management.commands._common import date_argument

LEVELS = "|".join(str(c.label) for c in Level)


_date = date_argument()


def _level(value: str) -> str:
    found = level_from_label(value)
    if found is None:
        raise CommandError(f"层级应为 {LEVELS}:{value}")
    return found


def _status(value: str) -> str:
    for choice in DocumentStatus:
        if value.strip() in (choice.value, str(choice.label)):
            return choice.value
    raise CommandError(f"状态应为 {'|'.join(str(c.label) for c in DocumentStatus)}:{value}")


def hit_json(hit: search.Hit) -> dict[str, Any]:
    doc = hit.document
    return {"title": doc.title, "document_no": doc.document_no, "issuer": doc.issuer,
            "level": str(doc.get_level_display()), "issued": doc.issued.isoformat() if doc.issued else None,
            "score": float(f"{hit.score:.6g}"), "snippet": str(hit.snippet)}


class Command(BaseCommand):
    help = "政策文件库:添加文件、全文检索、重建索引。Policy library: add, search, reindex."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="添加政策文件(TXT、DOCX、HTML 或 PDF),输出新文件的编号")
        add.add_argument("file", help="文件路径")
        add.add_argument("--title", required=True, help="标题")
        add.add_argument("--issuer", default="", help="发文机关")
        add.add_argument("--number", default="", help="文号")
        add.add_argument("--level", default="省", help=f"层级:{LEVELS}(默认 省)")
        add.add_argument("--issued", default="", help="发布日期 YYYY-MM-DD")
        add.add_argument("--effective", default="", help="施行日期 YYYY-MM-DD")
        add.add_argument("--tags", default="", help="标签,空格分隔")
        find = sub.add_parser("search", help="全文检索,输出 JSON(按相关度从高到低)")
        find.add_argument("query", help="检索词")
        find.add_argument("--limit", type=int, default=20, help="最多输出多少条(默认 20)")
        find.add_argument("--level", default="", help=f"只查该层级:{LEVELS}")
        find.add_argument("--status", default="", help="只查该状态:有效|已废止|已修订")
        find.add_argument("--issuer", default="", help="只查发文机关含该文字的文件")
        find.add_argument("--year", type=int, default=None, help="只查该年发布的文件")
        find.add_argument("--out", default="", help="写到 JSON 文件(不给时输出到屏幕)")
        sub.add_parser("reindex", help="按全部文件重建全文索引(恢复备份或更换分词后)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["action"])(options)

    def _add(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在:{path}")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise CommandError(f"文件不能超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB:{path}")
        try:
            document = services.add_document(
                actor=None, title=options["title"], upload=services.Upload(path.name, path.read_bytes()),
                issuer=options["issuer"], document_no=options["number"], level=_level(options["level"]),
                issued=_date(options["issued"]) if options["issued"] else None,
                effective=_date(options["effective"]) if options["effective"] else None, tags=options["tags"])
        except ValidationError as exc:
            raise CommandError(";".join(f"{m}" for ms in exc.message_dict.values() for m in ms)) from exc
        self.stdout.write(str(document.pk))

    def _search(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit 应为正整数")
        filters = search.Filters(level=_level(options["level"]) if options["level"] else "",
                                 status=_status(options["status"]) if options["status"] else "",
                                 issuer=options["issuer"], year=options["year"])
        results = search.search(options["query"], filters, limit=options["limit"])
        text = json.dumps([hit_json(h) for h in results.hits], ensure_ascii=False, indent=2)
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"共 {results.total} 篇,已写出 {len(results.hits)} 条:{options['out']}")
        else:
            self.stdout.write(text)

    def _reindex(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"已重建索引:{search.reindex_all()} 篇")
