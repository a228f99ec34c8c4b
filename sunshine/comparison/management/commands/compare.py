"""`sunshine compare --year Y [--rules C-DEAD,C-CAR] [--division CODE] [--engine duckdb|spark]
[--spark-master URL] [--out FILE] [--unmasked] [--min-probability P] [--user U] [--no-store | --incremental]`

Runs a comparison in the foreground with a progress bar, stores its findings (unless --no-store) and writes
them to --out. ID numbers in the file are masked unless --unmasked, which only a user whose role may see
full personal data can ask for; every file written goes to the access log. --spark-master runs the Spark
engine on that cluster (e.g. spark://127.0.0.1:7077 from scripts/spark-cluster.sh) instead of
SUNSHINE_SPARK_MASTER: the session is built on it before the run, which then uses it, and stopped afterwards."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from sunshine.comparison.choices import Engine, JobStatus
from sunshine.comparison.runs import export
from sunshine.comparison.runs.services import compare_only, findings_table, start_run
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.registry.management.commands._common import output_request, progress_bar


def _rules(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [code.strip().upper() for code in text.split(",") if code.strip()]


def _cluster_session(master: str | None, engine: str) -> Any:
    """The session on ``master`` that the run will use (it is the process's active one), or None when no
    --spark-master was given or this process already runs a session on that master (then that one is used
    and left running)."""
    if not master:
        return None
    if engine != Engine.SPARK:
        raise CommandError("--spark-master 只能与 --engine spark 一起使用")
    from pyspark.sql import SparkSession

    from sunshine.engine.spark import session

    running = SparkSession.getActiveSession()
    if running is not None:
        if running.sparkContext.master != master:
            # One SparkContext per process: getOrCreate would silently hand back the other one.
            raise CommandError(f"本进程已有运行在 {running.sparkContext.master} 上的 Spark 会话,不能再连接 {master}")
        return None
    return session(master)


class Command(BaseCommand):
    help = ("数据比对:建档立卡与部门数据比对,保存比对发现并可输出 .json / .csv / .xlsx。"
            "Compare the registry of a year with the department datasets and store the findings.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--rules", help="逗号分隔的规则代码,例如 C-DEAD,C-CAR;默认为已有部门数据的全部规则")
        parser.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
        parser.add_argument("--engine", choices=Engine.values, default=Engine.DUCKDB)
        parser.add_argument("--spark-master", help="Spark 集群主节点地址,例如 spark://127.0.0.1:7077"
                            "(需 --engine spark);默认取系统设置 SUNSHINE_SPARK_MASTER")
        parser.add_argument("--out", type=Path, help="输出文件 .json / .csv / .xlsx")
        parser.add_argument("--unmasked", action="store_true", help="输出完整身份证号(仅限可查看完整个人信息的角色)")
        parser.add_argument("--min-probability", type=float, help="概率匹配阈值,默认取系统设置")
        parser.add_argument("--user", help="以该用户的身份和管辖范围执行;默认为第一个系统管理员")
        parser.add_argument("--no-store", action="store_true", help="只计算和输出,不保存比对批次和比对发现")
        parser.add_argument("--incremental", action="store_true",
                            help="增量比对:以本年度最近一次比对为基准,只重新比对新版部门数据改动的行")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path | None = options["out"]
        actor, unmasked = output_request(options, export.FORMATS)
        request = {"actor": actor, "year": options["year"], "division_code": options["division"],
                   "rules": _rules(options["rules"]), "engine": options["engine"],
                   "min_probability": options["min_probability"]}
        if options["incremental"] and options["no_store"]:
            raise CommandError("--incremental 不能与 --no-store 一起使用:增量比对以已保存的比对批次为基准")
        cluster = _cluster_session(options["spark_master"], options["engine"])
        report, close = progress_bar(not options["no_progress"])
        note = ""
        try:
            if options["no_store"]:
                plan, table = compare_only(**request, progress=report)
                run, reference = None, f"{plan.year} {plan.division.code} 未保存"
            else:
                if options["incremental"]:
                    from sunshine.comparison.runs.incremental import describe, start_incremental_run

                    run, note = start_incremental_run(**request, background=False, progress=report)
                    note = describe(run) or note
                else:
                    run = start_run(**request, background=False, progress=report)
                if run.status != JobStatus.DONE:
                    raise CommandError(f"比对失败: {run.message}")
                table, reference = findings_table(run), str(run.pk)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc
        finally:
            close()
            if cluster is not None:
                cluster.stop()  # frees the cluster's executors now rather than when the process ends
        written = ""
        if out is not None:
            count = export.write(table, out, unmasked=unmasked, sheet=f"{options['year']}年度数据比对")
            detail = f"命令行导出 {out.name} ({count} 行){',含完整身份证号' if unmasked else ''}"
            log_access(user=actor, action=AccessAction.EXPORT, object_type="comparison_run", object_ref=reference,
                       detail=detail)
            written = f";已写入 {out}"
        by_rule = Counter(table.column("rule").to_pylist())
        rules = ",".join(f"{code} {n}" for code, n in sorted(by_rule.items())) or "无"
        if run is None:
            self.stdout.write(self.style.SUCCESS(f"数据比对(未保存): 比对发现 {table.num_rows} 条({rules}){written}"))
            return
        c = run.counts
        self.stdout.write(self.style.SUCCESS(
            f"数据比对 #{run.pk}: {run.year}年度 {run.division.name},比对发现 {c['total']} 条({rules});"
            f"新发现 {c['new']},再次发现 {c['recurring']};政策标准 {run.standard_version};"
            f"用时 {run.seconds:.1f} 秒{written}"
        ))
        if note:
            self.stdout.write(note)
