"""`sunshine dataset load NAME FILE [--as-of DATE] [--partial] [--errors FILE]`, `sunshine dataset list` and
`sunshine dataset hash-key [--id ID] [--reveal]`.

load exits with 0 when the file was loaded; 2 when any error was found (the report goes to --errors, .csv or
.xlsx by its extension, and a summary to stderr) — then nothing was loaded, or with --partial only the rows
without errors — and also when the file cannot be read at all; 1 for anything else (unknown dataset, a role
that may not load)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from sunshine.comparison.datasets import LoadOutcome, load_dataset
from sunshine.comparison.models import DatasetLoad
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, Role
from sunshine.core.ids import InvalidIdNumber, mask_id_number, mask_text, normalize_id_number
from sunshine.engine.comparison import idhash
from sunshine.engine.comparison.datasets import DATASETS
from sunshine.registry.management.commands._common import acting_user, date_argument, progress_bar, report_import
from sunshine.registry.transfer.model import TransferFileError

HOW_TO_HASH = """身份证号哈希(id_hash)的计算方法:
  1. 将身份证号规范为18位:去掉首尾空格,末位 x 改为大写 X;15位旧号按国家标准补出生年份“19”并计算第18位校验码。
     无效的身份证号不计算哈希(该行“身份证号哈希”留空)。
  2. 以双方约定的密钥,对18位身份证号的 UTF-8 字节计算 HMAC-SHA256。
  3. 结果写成64位小写十六进制字符,填入“身份证号哈希”列(代替“身份证号”列;低保特困数据的户主身份证号同样
     以“户主身份证号哈希”列提供)。
Python 示例:
    import hashlib, hmac
    KEY = "……约定的密钥……".encode("utf-8")   # 密钥以 hex: 开头时为 bytes.fromhex(其后的十六进制)
    def id_hash(id18: str) -> str:
        return hmac.new(KEY, id18.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()
"""


def _dataset(value: str) -> str:
    """A dataset by its English name or Chinese label."""
    for name, dataset in DATASETS.items():
        if value in (name, dataset.label):
            return name
    names = "、".join(f"{n}({d.label})" for n, d in DATASETS.items())
    raise CommandError(f"未知的数据集“{value}”,应为以下之一:{names}")


_date = date_argument("--as-of")


class Command(BaseCommand):
    help = "部门数据:导入、查看批次、身份证号哈希说明。Department datasets: load, list, hash-key."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        load = sub.add_parser("load", help="导入一个部门数据文件(.xlsx、.csv、.parquet),成为该数据集的新版本")
        load.add_argument("name", help="数据集:" + "、".join(DATASETS))
        load.add_argument("file", type=Path)
        load.add_argument("--as-of", dest="as_of", help="数据截止日期 YYYY-MM-DD")
        load.add_argument("--partial", action="store_true", help="只导入无错误的行(有错误的行跳过并计数)")
        load.add_argument("--errors", type=Path, help="错误报告文件(.csv 或 .xlsx)")
        load.add_argument("--user", help="导入人用户名(默认:第一个管理员)")
        load.add_argument("--no-progress", action="store_true", help="不显示进度条")
        listing = sub.add_parser("list", help="列出已导入的批次")
        listing.add_argument("name", nargs="?", help="只列出该数据集")
        key = sub.add_parser("hash-key", help="说明部门如何计算身份证号哈希")
        key.add_argument("--id", dest="id_number", help="计算该身份证号的哈希")
        key.add_argument("--reveal", action="store_true", help="显示密钥本身(仅管理员)")
        key.add_argument("--user", help="操作人用户名(默认:第一个管理员)")

    def handle(self, *args: Any, **options: Any) -> None:
        what = options["what"]
        if what == "load":
            self._load(options)
        elif what == "list":
            self._list(options["name"])
        else:
            self._hash_key(options)

    # ---- load ----

    def _load(self, options: dict[str, Any]) -> None:
        name = _dataset(options["name"])
        as_of = _date(options["as_of"]) if options["as_of"] else None
        errors_path: Path | None = options["errors"]
        if errors_path is not None and errors_path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--errors 文件的扩展名应为 .csv 或 .xlsx")
        actor = acting_user(options["user"])
        report, close = progress_bar(not options["no_progress"])
        try:
            outcome = load_dataset(name, options["file"], actor=actor, as_of=as_of, partial=options["partial"],
                                   progress=report)
        except TransferFileError as exc:
            close()
            self.stderr.write(mask_text(str(exc)))
            raise SystemExit(2) from exc
        except PermissionDenied as exc:
            close()
            raise CommandError(str(exc)) from exc
        close()
        self._report(outcome, errors_path)

    def _report(self, outcome: LoadOutcome, errors_path: Path | None) -> None:
        report_import(self, summary=outcome.summary() if outcome.written else None,
                      warnings=[mask_text(w) for w in outcome.warnings], errors=outcome.errors,
                      errors_path=errors_path, written_text=f"已导入无错误的 {outcome.rows} 行",
                      nothing_text="未导入任何数据", error_count=outcome.error_count,
                      rejected_rows=outcome.rejected_rows)

    # ---- list ----

    def _list(self, name: str | None) -> None:
        loads = DatasetLoad.objects.select_related("loaded_by").order_by("dataset", "-version")
        if name:
            loads = loads.filter(dataset=_dataset(name))
        self.stdout.write("数据集\t版本\t行数\t身份证号缺失或无效\t截止日期\t导入时间\t导入人")
        for load in loads:
            who = load.loaded_by.username if load.loaded_by else ""
            hashed = "(哈希)" if load.hashed else ""
            self.stdout.write(f"{load.dataset}{hashed}\tv{load.version}\t{load.rows}\t{load.invalid_ids}\t"
                              f"{load.as_of or ''}\t{load.loaded_at:%Y-%m-%d %H:%M}\t{who}")

    # ---- hash-key ----

    def _hash_key(self, options: dict[str, Any]) -> None:
        key = idhash.key_bytes(settings.SUNSHINE_ID_HASH_KEY)
        self.stdout.write(HOW_TO_HASH)
        self.stdout.write(f"本系统密钥指纹(密钥 SHA-256 的前16位,用于核对双方密钥一致):{idhash.key_fingerprint(key)}")
        if options["reveal"]:
            actor = acting_user(options["user"])
            if not actor.has_role(Role.ADMIN):
                raise CommandError("只有系统管理员可以显示密钥")
            log_access(user=actor, action=AccessAction.VIEW_FULL, object_type="id_hash_key",
                       object_ref=idhash.key_fingerprint(key), detail="dataset hash-key --reveal")
            self.stdout.write(f"密钥(请通过安全渠道交给部门):{settings.SUNSHINE_ID_HASH_KEY}")
        if options["id_number"]:
            try:
                number = normalize_id_number(options["id_number"])
            except InvalidIdNumber as exc:
                raise CommandError(f"身份证号无效:{exc}") from exc
            digest, shown = idhash.id_hash(number, key), mask_id_number(number)
            self.stdout.write(f"{shown} 的身份证号哈希:{digest}")
