"""Comparison runs: who may start one, what it reads, and running it to the end.

A run freezes a snapshot (registry members of the year in scope, the links of rows without an ID, the loads'
checksums), runs the rules over it on DuckDB or Spark, and stores the findings in one transaction: a run ends
``done`` with all its findings or ``failed`` with none. Progress goes to a file in the run's directory (the
store's transaction would hide row updates from the page), read back by ``live_progress``."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from sunshine.comparison.choices import Engine, JobStatus
from sunshine.comparison.models import ComparisonRun, DatasetLoad, Finding, FindingOccurrence
from sunshine.comparison.runs import compute, snapshot
from sunshine.comparison.runs.resolve import resolve
from sunshine.comparison.runs.store import store_findings
from sunshine.core import jobs
from sunshine.core.choices import Role
from sunshine.core.faults import fault_point
from sunshine.core.ids import mask_text
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible, run_division
from sunshine.core.signals import announce_change
from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.comparison.datasets import DATASETS
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]

ROLES_THAT_RUN_COMPARISON = frozenset({Role.ADMIN, Role.PROVINCIAL_ANALYST, Role.SUPERVISOR, Role.COUNTY_MANAGER})
DEFAULT_VERIFICATION_DAYS = StandardParameters().verification_days  # the policy standard's default
FINDINGS_FILE, PROGRESS_FILE = "findings.parquet", "progress.json"
INTERNAL_ERROR = "比对时发生内部错误,未保存任何比对结果;请联系管理员"


@dataclass
class Plan:
    """What a run will do, checked: the scope, the rules, the loads they read and the standard's numbers."""

    year: int
    division: Division
    rules: list[str]
    engine: str
    loads: list[DatasetLoad]
    standard: Any
    parameters: dict[str, Any]
    min_probability: float


def _check_actor(actor: User | None) -> User:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_RUN_COMPARISON:
        raise PermissionDenied("您的角色不能发起数据比对;数据比对由县级管理、监督、省级分析或系统管理员发起")
    return actor


def latest_loads(datasets: Iterable[str] | None = None) -> list[DatasetLoad]:
    """The newest load of each dataset (of ``datasets`` when given), by dataset name."""
    newest = DatasetLoad.objects.values("dataset").annotate(top=Max("version")).order_by()
    if datasets is not None:
        newest = newest.filter(dataset__in=list(datasets))
    wanted = Q(pk__in=[])
    for entry in newest:
        wanted |= Q(dataset=entry["dataset"], version=entry["top"])
    return list(DatasetLoad.objects.filter(wanted).order_by("dataset"))


def _rules_and_loads(rules: Sequence[str] | None,
                     loads: Sequence[DatasetLoad] | None) -> tuple[list[str], list[DatasetLoad]]:
    if rules:
        unknown = sorted(set(rules) - set(RULES))
        if unknown:
            raise ValidationError({"rules": [f"未知的比对规则: {'、'.join(unknown)}"]})
        chosen = [code for code in RULES if code in set(rules)]  # catalogue order
        needed = {name for code in chosen for name in RULES[code].datasets}
    else:
        chosen, needed = [], set(DATASETS)
    if loads is None:
        loads = latest_loads(needed)
    else:
        loads = list(loads)
        seen: set[str] = set()
        for load in loads:
            if load.dataset in seen:
                raise ValidationError({"loads": [f"每个部门数据只能选一个批次: {load.get_dataset_display()}"]})
            seen.add(load.dataset)
    available = {load.dataset for load in loads}
    if chosen:
        missing = [f"{code} 需要「{DATASETS[name].label}」" for code in chosen for name in RULES[code].datasets
                   if name not in available]
        if missing:
            raise ValidationError({"rules": [f"缺少部门数据,请先导入: {';'.join(missing)}"]})
    else:
        chosen = [code for code, rule in RULES.items() if set(rule.datasets) <= available]
    used = {name for code in chosen for name in RULES[code].datasets}
    return chosen, sorted((load for load in loads if load.dataset in used), key=lambda x: x.dataset)


def plan_run(*, actor: User, year: int, division_code: str | None = None, rules: Sequence[str] | None = None,
             engine: str = Engine.DUCKDB, loads: Sequence[DatasetLoad] | None = None,
             min_probability: float | None = None) -> Plan:
    """Check a request for a run (role, scope, rules, loads, standard) without starting it."""
    actor = _check_actor(actor)
    division = run_division(actor, division_code)
    if engine not in Engine.values:
        raise ValidationError({"engine": [f"计算引擎应为 {'、'.join(Engine.values)} 之一"]})
    probability = settings.SUNSHINE_MATCH_PROBABILITY if min_probability is None else float(min_probability)
    if not 0 < probability <= 1:
        raise ValidationError({"min_probability": ["概率匹配阈值应大于 0 且不大于 1"]})
    chosen, used = _rules_and_loads(rules, loads)
    try:
        standard = standard_for(int(year), division.code)
    except StandardNotFound as exc:
        raise ValidationError({"year": [str(exc)]}) from exc
    return Plan(year=int(year), division=division, rules=chosen, engine=str(engine), loads=used, standard=standard,
                parameters=standard.params.to_dict(), min_probability=probability)


def start_run(*, actor: User, year: int, division_code: str | None = None, rules: Sequence[str] | None = None,
              engine: str = Engine.DUCKDB, loads: Sequence[DatasetLoad] | None = None,
              min_probability: float | None = None, background: bool = True,
              progress: Progress | None = None) -> ComparisonRun:
    """Start a comparison of ``year`` within ``division_code`` (default: the actor's division) over the
    newest load of each dataset (or ``loads``). ``background`` queues it for the worker; otherwise it runs
    here, reporting to ``progress``. Raises PermissionDenied / ValidationError before anything is written."""
    plan = plan_run(actor=actor, year=year, division_code=division_code, rules=rules, engine=engine, loads=loads,
                    min_probability=min_probability)
    with transaction.atomic():
        run = ComparisonRun.objects.create(
            year=plan.year, division=plan.division, rules=plan.rules, engine=plan.engine, standard=plan.standard,
            standard_version=plan.standard.version, parameters=plan.parameters,
            min_probability=plan.min_probability, created_by=actor,
        )
        run.snapshot_path = snapshot.new_directory(run.pk)
        run.save(update_fields=["snapshot_path"])
        run.loads.set(plan.loads)
    return _launch(run, background=background, progress=progress)


def rerun(*, actor: User, run: ComparisonRun, background: bool = True,
          progress: Progress | None = None) -> ComparisonRun:
    """Run ``run`` again on its frozen snapshot and loads: the same findings, linked as recurring."""
    actor = _check_actor(actor)
    if not division_visible(actor, run.division_id):
        raise PermissionDenied("该比对批次不在您的管辖范围内")
    if not (snapshot.data_path(run.snapshot_path) / snapshot.MANIFEST).is_file():
        raise ValidationError({"run": ["该批次没有完整的比对快照,无法按原快照重新比对;请发起新的比对"]})
    with transaction.atomic():
        again = ComparisonRun.objects.create(
            year=run.year, division_id=run.division_id, rules=run.rules, engine=run.engine, standard=run.standard,
            standard_version=run.standard_version, parameters=run.parameters, min_probability=run.min_probability,
            snapshot_path=run.snapshot_path, rerun_of=run, created_by=actor,
        )
        again.loads.set(run.loads.all())
    return _launch(again, background=background, progress=progress)


def _launch(run: ComparisonRun, *, background: bool, progress: Progress | None) -> ComparisonRun:
    if not background:
        return execute_run(run, progress=progress)
    from sunshine.comparison.runs.tasks import comparison_task

    result = comparison_task.enqueue(run.pk)
    ComparisonRun.objects.filter(pk=run.pk, task_id="").update(task_id=str(result.id)[:64])
    run.refresh_from_db()
    return run


# --- running --------------------------------------------------------------------------------------------


def _progress_file(run: ComparisonRun) -> Path:
    return snapshot.run_directory(run.pk) / PROGRESS_FILE


def findings_path(run: ComparisonRun) -> Path:
    """The engine's output of a finished run, as Parquet (FINDINGS as the engine gives it: persons named by
    member_key or hash, no plain ID number)."""
    return snapshot.run_directory(run.pk) / FINDINGS_FILE


def findings_table(run: ComparisonRun) -> pa.Table:
    """The findings of a finished run with plain ID numbers, in the fixed order (what was stored; the CLI
    writes it out, masked unless asked otherwise)."""
    directory = snapshot.data_path(run.snapshot_path)
    manifest = json.loads((directory / snapshot.MANIFEST).read_text(encoding="utf-8"))
    return resolve(pq.read_table(findings_path(run)), snapshot.Snapshot(directory, manifest))


def _reporter(run: ComparisonRun, outer: Progress | None) -> Progress:
    path = _progress_file(run)
    path.parent.mkdir(parents=True, exist_ok=True)

    def report(percent: int, stage: str) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"percent": percent, "stage": stage}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        if outer is not None:
            outer(percent, stage)

    return report


def live_progress(run: ComparisonRun) -> dict[str, Any]:
    """{"percent", "stage", "status"} for the page that polls a run."""
    if run.status == JobStatus.DONE:
        return {"percent": 100, "stage": "完成", "status": run.status}
    if run.status == JobStatus.FAILED:
        return {"percent": run.progress, "stage": "失败", "status": run.status}
    try:
        state = json.loads(_progress_file(run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {"percent": run.progress, "stage": run.stage or str(JobStatus(run.status).label)}
    return {"percent": int(state.get("percent", 0)), "stage": state.get("stage", ""), "status": run.status}


def _freeze(run: ComparisonRun, loads: list[DatasetLoad], report: Progress, session: Any) -> snapshot.Snapshot:
    if not run.snapshot_path:  # a run created without start_run
        run.snapshot_path = snapshot.relative_directory(run.pk)
        ComparisonRun.objects.filter(pk=run.pk).update(snapshot_path=run.snapshot_path)
    directory = snapshot.data_path(run.snapshot_path)
    frozen = snapshot.open_frozen(directory, loads)
    if frozen is not None:
        report(25, "使用已冻结的比对快照")
        return frozen
    header = {"run": run.pk, "division": run.division_id, "rules": run.rules, "engine": run.engine,
              "standard_version": run.standard_version, "parameters": run.parameters}
    return snapshot.build(directory, year=run.year, prefix=run.division.prefix, loads=loads,
                          min_probability=run.min_probability or settings.SUNSHINE_MATCH_PROBABILITY,
                          engine=run.engine, header=header, progress=report, spark_session=session)


def execute_run(run: ComparisonRun, *, progress: Progress | None = None) -> ComparisonRun:
    """Run a queued run to its end (the worker's task, or inline). Never raises for a failed run: the run
    records ``failed`` and a message, and no finding of it is stored."""
    run = ComparisonRun.objects.select_related("division", "created_by").get(pk=run.pk)
    if run.status in (JobStatus.DONE, JobStatus.FAILED):
        return run
    report = _reporter(run, progress)
    clock = time.perf_counter()
    ComparisonRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, started_at=timezone.now(),
                                                   **jobs.claim())
    report(0, "开始")
    try:
        loads = list(run.loads.order_by("dataset"))
        session = compute.spark_session() if run.engine == Engine.SPARK else None
        snap = _freeze(run, loads, report, session)
        if run.base_run_id:  # an incremental run: recompute from its base (sunshine.comparison.runs.incremental)
            from sunshine.comparison.runs import incremental

            table, seconds_by_rule = incremental.evaluate(run, snap, progress=report, session=session)
        else:
            table, seconds_by_rule = compute.evaluate(snap, engine=run.engine, rules=run.rules,
                                                      parameters=run.parameters, progress=report, session=session)
        pq.write_table(table, findings_path(run))
        report(90, "保存比对结果")
        fault_point("compare.before_store")
        days = run.parameters.get("verification_days", DEFAULT_VERIFICATION_DAYS)
        resolved = resolve(table, snap)
        with transaction.atomic():
            counts = store_findings(run, resolved, snap, verification_days=days)
            fault_point("compare.mid_store")
            run.counts = {**counts, "seconds_by_rule": seconds_by_rule}
            run.status, run.progress, run.stage = JobStatus.DONE, 100, "完成"
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - clock, 3)
            run.message = (f"共 {counts['total']} 条比对发现:新发现 {counts['new']} 条,"
                           f"再次发现 {counts['recurring']} 条")
            run.save(update_fields=["counts", "status", "progress", "stage", "finished_at", "seconds", "message"])
            announce_change(sender=ComparisonRun, year=run.year, source="comparison")
        fault_point("compare.after_store")
    except (snapshot.SnapshotChanged, ValidationError, PermissionDenied) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        _fail(run, mask_text(text), clock)
    except Exception:
        logger.exception("comparison run %s failed", run.pk)
        _fail(run, INTERNAL_ERROR, clock)
    finally:
        _progress_file(run).unlink(missing_ok=True)
    run.refresh_from_db()
    return run


def _fail(run: ComparisonRun, message: str, clock: float) -> None:
    try:  # where it stopped
        percent = int(json.loads(_progress_file(run).read_text(encoding="utf-8"))["percent"])
    except (OSError, ValueError, KeyError):
        percent = 0
    ComparisonRun.objects.filter(pk=run.pk).update(
        status=JobStatus.FAILED, message=message, finished_at=timezone.now(), progress=percent, stage="",
        seconds=round(time.perf_counter() - clock, 3))


def compare_only(*, actor: User, year: int, division_code: str | None = None, rules: Sequence[str] | None = None,
                 engine: str = Engine.DUCKDB, loads: Sequence[DatasetLoad] | None = None,
                 min_probability: float | None = None,
                 progress: Progress | None = None) -> tuple[Plan, pa.Table]:
    """The findings a run would raise, stored nowhere (``sunshine compare --no-store``): the snapshot goes to
    a temporary directory that is removed afterwards."""
    plan = plan_run(actor=actor, year=year, division_code=division_code, rules=rules, engine=engine, loads=loads,
                    min_probability=min_probability)
    report = progress or (lambda percent, stage: None)
    session = compute.spark_session() if plan.engine == Engine.SPARK else None
    scratch = snapshot.data_path(snapshot.RUNS_DIR.parent / "scratch")
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        header = {"run": None, "division": plan.division.code, "rules": plan.rules, "engine": plan.engine,
                  "standard_version": plan.standard.version, "parameters": plan.parameters}
        snap = snapshot.build(Path(tmp), year=plan.year, prefix=plan.division.prefix, loads=plan.loads,
                              min_probability=plan.min_probability, engine=plan.engine, header=header,
                              progress=report, spark_session=session)
        table, _ = compute.evaluate(snap, engine=plan.engine, rules=plan.rules, parameters=plan.parameters,
                                    progress=report, session=session)
        table = resolve(table, snap)
    report(100, "完成")
    return plan, table


def delete_runs_touching(divisions: QuerySet[Division]) -> int:
    """Delete every comparison run over one of ``divisions`` or that raised or saw a finding about them,
    with all the findings those runs raised or saw (so no run is left with findings missing), and the runs'
    directories. For the demo generator, which replaces synthetic divisions and their registry rows with raw
    SQL: findings refer to those rows. Returns the number of runs deleted."""
    about = Q(division__in=divisions) | Q(household__village__in=divisions)
    run_ids = set(ComparisonRun.objects.filter(division__in=divisions).values_list("pk", flat=True))
    while True:  # runs that saw a doomed finding go too, and so do the other findings they saw
        findings = Finding.objects.filter(about | Q(occurrences__run_id__in=run_ids) | Q(first_run_id__in=run_ids)
                                          | Q(last_run_id__in=run_ids))
        seen = set(FindingOccurrence.objects.filter(finding__in=findings).values_list("run_id", flat=True))
        if seen <= run_ids:
            break
        run_ids |= seen
    with transaction.atomic():
        Finding.objects.filter(pk__in=list(findings.values_list("pk", flat=True))).delete()
        _, deleted = ComparisonRun.objects.filter(pk__in=run_ids).delete()
    for pk in run_ids:
        shutil.rmtree(snapshot.run_directory(pk), ignore_errors=True)
    return deleted.get(ComparisonRun._meta.label, 0)
