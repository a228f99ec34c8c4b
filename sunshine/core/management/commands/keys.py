"""``sunshine keys status|rotate|rehash|generate``: the data key that encrypts ID numbers and phones at rest
(sunshine.core.crypto) and the keyed hash beside each ID number. See docs/operations.md, 个人信息加密与密钥轮换."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sunshine.core import crypto
from sunshine.core.encrypted_fields import count_by_key, encrypted_fields, reencrypt


def _pending(current: str) -> int:
    return sum(n for f in encrypted_fields() for k, n in count_by_key(f).items() if k != current)


class Command(BaseCommand):
    help = ("数据密钥:status 查看密钥与各表加密情况;rotate 轮换数据密钥(可中断后重新执行以继续);"
            "rehash 更换身份证号哈希密钥后重算哈希;generate 生成一个新密钥(用于 SUNSHINE_DATA_KEY)。"
            "Data keys for personal data encrypted at rest.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="密钥与各表中按密钥统计的加密值数量")
        rotate = sub.add_parser("rotate", help="新密钥成为当前密钥,全部加密值分批重新加密,完成后停用旧密钥")
        rotate.add_argument("--batch", type=int, default=2000, help="每批重新加密的行数")
        rehash = sub.add_parser("rehash", help="按当前 SUNSHINE_ID_HASH_KEY 重算全部身份证号哈希")
        rehash.add_argument("--batch", type=int, default=2000)
        sub.add_parser("generate", help="输出一个新的数据密钥(base64),不作其他改动")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "generate":
            self.stdout.write(crypto.new_key_text())
            return
        try:
            getattr(self, f"_{action}")(options)
        except crypto.CryptoError as exc:
            raise CommandError(str(exc)) from exc

    def _source(self) -> str:
        return "环境变量 SUNSHINE_DATA_KEY" if crypto.key_from_environment() else f"密钥文件 {crypto.key_file()}"

    def _status(self, options: dict[str, Any]) -> None:
        ring = crypto.keyring()
        self.stdout.write(f"数据密钥来源:{self._source()}")
        for kid in ring.keys:
            self.stdout.write(f"  密钥 {kid}{'(当前)' if kid == ring.current_id else ''}")
        from sunshine.engine.comparison.idhash import key_fingerprint

        self.stdout.write(f"身份证号哈希密钥指纹:{key_fingerprint(settings.SUNSHINE_ID_HASH_KEY)}")
        for f in encrypted_fields():
            counts = count_by_key(f)
            shown = ",".join(f"{k or '未加密'} {n}" for k, n in sorted(counts.items())) or "无数据"
            self.stdout.write(f"  {f.model._meta.db_table}.{f.column}: {shown}")
        pending = _pending(ring.current_id)
        self.stdout.write(f"待用当前密钥重新加密的值:{pending}")

    def _rotate(self, options: dict[str, Any]) -> None:
        ring = crypto.keyring()
        current = ring.current_id
        pending = _pending(current)
        if pending:
            self.stdout.write(f"继续上次的轮换:{pending} 个值尚未用当前密钥 {current} 加密")
        elif crypto.key_from_environment():
            raise CommandError("数据密钥来自环境变量 SUNSHINE_DATA_KEY:请先用 sunshine keys generate 生成新密钥,"
                               "把它加在 SUNSHINE_DATA_KEY 末尾(逗号分隔,旧密钥保留),重启服务后再执行本命令")
        else:
            current = crypto.add_key()
            self.stdout.write(f"已生成新密钥 {current} 并设为当前密钥(旧密钥保留至重新加密完成)")
            # Let the other processes (web workers, tasks) see the new key before values move to it.
            time.sleep(crypto.RECHECK_SECONDS * 2)
        total = 0
        while True:
            for f in encrypted_fields():
                done = reencrypt(f, current, batch=options["batch"])
                if done:
                    self.stdout.write(f"  {f.model._meta.db_table}.{f.column}: 重新加密 {done} 个值")
                total += done
            # A process that had not yet seen the new key may have written meanwhile: look again.
            time.sleep(crypto.RECHECK_SECONDS * 2)
            if not _pending(current):
                break
        self.stdout.write(f"重新加密完成,共 {total} 个值")
        self._reseal_files()
        if crypto.key_from_environment():
            self.stdout.write("旧密钥已不再使用:可从 SUNSHINE_DATA_KEY 中删去,只留最后一个,然后重启服务")
            return
        retired = crypto.retire_keys()
        if retired:
            self.stdout.write(f"已停用旧密钥 {'、'.join(retired)}(已从密钥文件删除)")
        self.stdout.write(self.style.SUCCESS(f"当前数据密钥:{current}。请立即另行备份密钥文件 {crypto.key_file()}"))

    def _reseal_files(self) -> None:
        """The comparison's files under DATA_DIR (department dataset loads, run snapshots) under the current
        keys too, before old keys are retired (sunshine.comparison.datasets.upkeep)."""
        from sunshine.comparison.datasets.upkeep import reseal_stored_loads

        counts = reseal_stored_loads(say=self.stdout.write)
        self.stdout.write(f"数据目录:重新加密部门数据文件 {counts['loads']} 个,转换比对快照 {counts['snapshots']} 个")

    def _rehash(self, options: dict[str, Any]) -> None:
        current = crypto.keyring().current_id
        total = 0
        for f in encrypted_fields():
            if f.hash_field:
                done = reencrypt(f, current, batch=options["batch"], rehash=True)
                self.stdout.write(f"  {f.model._meta.db_table}.{f.hash_field}: 重算 {done} 个哈希")
                total += done
        self._reseal_files()
        from sunshine.monitoring.runs.store import mark_legacy

        # Warnings signed on the old hashes: the next monitoring run recognises them instead of raising them again.
        self.stdout.write(f"监测预警:{mark_legacy()} 条预警待下次监测按内容重新识别")
        self.stdout.write(self.style.SUCCESS(
            f"已按当前身份证号哈希密钥重算 {total} 个哈希;请把新密钥通过安全渠道交给提供哈希数据的部门"))
