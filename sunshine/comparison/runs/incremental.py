"""Incremental comparison runs: when a department sends a new version of one dataset, a run of the year that
starts from the last stored run (its base) and recomputes only what the new version changes
(sunshine.engine.comparison.incremental). The run is stored like a full one — its own frozen snapshot, its
findings linked to the base's as recurring by the one linking rule — and records ``base_run``.

The base is the last finished comparison run of the year over the same division (``find_base``). It serves
only when its inputs are the new run's but for one dataset: the same rules, standard version, parameters and
match threshold, the same load of every other dataset, and its snapshot and findings still on disk. Otherwise
the run is a full one, and says why. Inside the engine a registry that changed since the base (another people
snapshot) also makes the run full; ``incremental.json`` in the run's directory records what was done.

What makes the run cost the change, not the files (sunshine.engine.comparison.versions): the diff that each
load stored against the version before it (chained from the base's version to the new one, checked against
the sha256 the snapshots froze) and the new version's rows file, when every version between is sealed under
the current key; and the rows file of the registry snapshot both runs share, written beside the base's
people by the first incremental run from it and linked into the new run's directory for the next. Whatever
is missing, the engine diffs and filters the files itself: the same findings, at the cost of reading them."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction

from sunshine.comparison.choices import Engine, JobStatus, RunKind
from sunshine.comparison.models import ComparisonRun, DatasetLoad
from sunshine.comparison.runs import compute, services, snapshot
from sunshine.core.models import User
from sunshine.engine.comparison.catalogue import EXACT, HASHED

REPORT_FILE = "incremental.json"
logger = logging.getLogger(__name__)


def find_base(plan: services.Plan) -> tuple[ComparisonRun | None, str]:
    """The run an incremental run of ``plan`` can start from, or None and the reason (Chinese) it cannot."""
    last = (ComparisonRun.objects.filter(kind=RunKind.COMPARISON, year=plan.year, division=plan.division,
                                         status=JobStatus.DONE)
            .order_by("-finished_at", "-pk").first())
    if last is None:
        return None, "本年度该范围没有已完成的比对批次,进行全量比对"
    reasons = []
    if list(last.rules) != list(plan.rules):
        reasons.append("比对规则不同")
    if last.standard_version != plan.standard.version or last.parameters != plan.parameters:
        reasons.append("政策标准或参数不同")
    if (last.min_probability or 0) != (plan.min_probability or 0):
        reasons.append("概率匹配阈值不同")
    before = {load.dataset: load.pk for load in last.loads.all()}
    after = {load.dataset: load.pk for load in plan.loads}
    if set(before) != set(after):
        reasons.append("所用部门数据种类不同")
    elif sum(before[name] != after[name] for name in after) > 1:
        reasons.append("有多个部门数据换了新版本")
    directory = snapshot.data_path(last.snapshot_path) if last.snapshot_path else None
    if directory is None or not (directory / snapshot.MANIFEST).is_file() or not services.findings_path(last).is_file():
        reasons.append("基准批次的比对快照或结果文件已不存在")
    if reasons:
        return None, f"最近的比对批次 #{last.pk} 不能作为增量比对的基准({'、'.join(reasons)}),进行全量比对"
    return last, ""


def start_incremental_run(*, actor: User, year: int, division_code: str | None = None,
                          engine: str = Engine.DUCKDB, rules: Sequence[str] | None = None,
                          loads: Sequence[DatasetLoad] | None = None, min_probability: float | None = None,
                          background: bool = True,
                          progress: services.Progress | None = None) -> tuple[ComparisonRun, str]:
    """Start a run of ``year`` over the newest loads that starts from the last stored run when it can (else a
    full run); returns the run and, for a full one, why it is not incremental."""
    plan = services.plan_run(actor=actor, year=year, division_code=division_code, rules=rules, engine=engine,
                             loads=loads, min_probability=min_probability)
    base, reason = find_base(plan)
    with transaction.atomic():
        run = ComparisonRun.objects.create(
            year=plan.year, division=plan.division, rules=plan.rules, engine=plan.engine, standard=plan.standard,
            standard_version=plan.standard.version, parameters=plan.parameters,
            min_probability=plan.min_probability, created_by=actor, base_run=base,
        )
        run.snapshot_path = snapshot.new_directory(run.pk)
        run.save(update_fields=["snapshot_path"])
        run.loads.set(plan.loads)
    return services._launch(run, background=background, progress=progress), reason  # noqa: SLF001 - one app


def report(run: ComparisonRun) -> dict[str, Any]:
    """What the incremental run did (incremental.json), {} for a full run or before it ended."""
    try:
        return json.loads((snapshot.run_directory(run.pk) / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_report(run: ComparisonRun, content: dict[str, Any]) -> None:
    path = snapshot.run_directory(run.pk) / REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")


def _open_base(base: ComparisonRun) -> snapshot.Snapshot:
    directory = snapshot.data_path(base.snapshot_path)
    loads = list(base.loads.all())
    frozen = snapshot.open_frozen(directory, loads)  # raises SnapshotChanged when its files changed
    if frozen is None:
        raise snapshot.SnapshotChanged("基准批次的比对快照不完整")
    return frozen


def _stored(name: str, base_snap: snapshot.Snapshot, snap: snapshot.Snapshot) -> tuple[pa.Table | None, Any]:
    """The diff stored when the versions of ``name`` from the base's load to the new one were loaded, and the
    new version's rows file (sunshine.engine.comparison.versions), each None when it cannot serve: a version
    between them gone, a file not sealed under the current key (the run hashes it afresh), or sidecars made
    from other contents than the snapshots froze (stamps: the files' sha256 in the manifests)."""
    from sunshine.comparison.datasets.sealing import is_current
    from sunshine.engine.comparison.versions import RowIndex, Sidecars, chained_diff

    old = next(e for e in base_snap.manifest["loads"] if e["dataset"] == name)
    new = next(e for e in snap.manifest["loads"] if e["dataset"] == name)
    loads = list(DatasetLoad.objects.filter(dataset=name, version__gte=old["version"], version__lte=new["version"])
                 .order_by("version"))
    paths = [snapshot.data_path(load.path) for load in loads]
    if ([load.version for load in loads] != list(range(old["version"], new["version"] + 1))
            or loads[0].pk != old["id"] or loads[-1].pk != new["id"]
            or not all(path.is_file() and is_current(path, hashed=load.hashed)
                       for load, path in zip(loads, paths, strict=True))):
        return None, None
    diff = chained_diff(paths, old["sha256"], new["sha256"])
    return diff, RowIndex.open(Sidecars.of(paths[-1]).rows, stamp=new["sha256"])


def _people_rows(base_snap: snapshot.Snapshot, snap: snapshot.Snapshot) -> Any:
    """The rows file of the registry snapshot both runs share (versions.prepare_people): the base's, written
    now by the first incremental run that starts from it, and linked into the new run's directory so that the
    next run starting from this one finds it. None for a format-1 snapshot (converted in memory)."""
    from sunshine.engine.comparison.versions import RowIndex, Sidecars, prepare_people

    if base_snap.manifest.get("format", 1) < snapshot.FORMAT or snap.manifest.get("format", 1) < snapshot.FORMAT:
        return None
    stamp = base_snap.manifest["people"]["sha256"]
    path = Sidecars.of(base_snap.people_path).rows
    index = RowIndex.open(path, stamp=stamp)
    if index is None:
        try:
            prepare_people(base_snap.people_path, stamp=stamp)
        except Exception:  # noqa: BLE001 - the run then reads the people file itself
            logger.exception("people rows file of %s not written", base_snap.directory)
            return None
        index = RowIndex.open(path, stamp=stamp)
    mine = Sidecars.of(snap.people_path).rows
    if index is not None and not mine.exists():
        with contextlib.suppress(OSError):
            os.link(path, mine)
    return index


def evaluate(run: ComparisonRun, snap: snapshot.Snapshot, *, progress: services.Progress,
             session: Any = None) -> tuple[pa.Table, dict[str, float]]:
    """The engine's findings of ``run`` (as compute.evaluate gives them) from its base run, and the seconds of
    each rule; a full evaluation when the base can no longer serve."""
    from sunshine.engine.comparison.incremental import Base, Inputs, run_incremental

    base_run = run.base_run
    try:
        if base_run is None:
            raise snapshot.SnapshotChanged("基准批次已删除")
        base_snap = _open_base(base_run)
    except snapshot.SnapshotChanged as exc:
        _write_report(run, {"base_run": run.base_run_id, "full": True, "reason": f"{exc},进行全量比对"})
        return compute.evaluate(snap, engine=run.engine, rules=run.rules, parameters=run.parameters,
                                progress=progress, session=session)
    manifest = snap.manifest
    kinds = {name: HASHED if name in snap.hashed_datasets() else EXACT for name in snap.dataset_paths()}
    base_kinds = {name: HASHED if name in base_snap.hashed_datasets() else EXACT
                  for name in base_snap.dataset_paths()}
    now_ids = {entry["dataset"]: entry["id"] for entry in manifest["loads"]}
    base_ids = {entry["dataset"]: entry["id"] for entry in base_snap.manifest["loads"]}
    base_sources = base_snap.dataset_sources()
    changed = {name: base_sources[name] for name in now_ids if base_ids.get(name) != now_ids[name]
               and name in base_sources}
    same = {part: manifest[part]["sha256"] == base_snap.manifest[part]["sha256"] for part in ("people", "links")}
    stored = {name: _stored(name, base_snap, snap) for name in changed}
    base = Base(findings=pq.read_table(services.findings_path(base_run)), rules=list(base_run.rules),
                key_kinds=base_kinds, changed=changed,
                people=None if same["people"] else base_snap.people_source(),
                links=None if same["links"] else base_snap.links_path,
                diffs={name: diff for name, (diff, _) in stored.items() if diff is not None})
    inputs = Inputs(people=snap.people_source(), datasets=snap.dataset_sources(), links=snap.links_path,
                    rows={name: rows for name, (_, rows) in stored.items() if rows is not None},
                    people_rows=_people_rows(base_snap, snap) if same["people"] else None)
    seconds: dict[str, float] = {}
    total = max(1, len(run.rules))

    def on_rule(code: str, rows: int, took: float) -> None:
        seconds[code] = round(took, 3)
        progress(30 + 55 * len(seconds) // total, f"增量比对规则 {code}:{rows} 条")

    progress(30, f"增量比对(基准批次 #{base_run.pk})")
    clock = time.perf_counter()
    backend = compute.backend_for(run.engine, session)
    try:
        outcome = run_incremental(backend, inputs=inputs, base=base, year=manifest["year"], params=run.parameters,
                                  key_kinds=kinds, rules=list(run.rules),
                                  division_prefix=manifest["division_prefix"], on_rule=on_rule)
    finally:
        backend.close()
    _write_report(run, {
        "base_run": base_run.pk, "full": outcome.full, "reason": outcome.reason, "changed": sorted(changed),
        "rules": outcome.rules, "changed_rows": outcome.changed_rows, "keys": outcome.keys,
        "stored_diffs": outcome.stored_diffs, "indexed": outcome.indexed,
        "people_rows": inputs.people_rows is not None,
        "seconds": round(time.perf_counter() - clock, 3),
    })
    return outcome.findings, seconds


def describe(run: ComparisonRun) -> str:
    """One Chinese line on what an incremental run did, for the command's output."""
    done = report(run)
    if not done:
        return ""
    if done.get("full"):
        return f"增量比对改为全量比对:{done.get('reason', '')}"
    rules = done.get("rules", {})
    recomputed = [code for code, how in rules.items() if how != "carried"]
    rows = "、".join(f"{name} {n} 行" for name, n in sorted(done.get("changed_rows", {}).items()))
    return (f"增量比对(基准批次 #{done['base_run']}):变更 {rows or '0 行'};重新比对规则 "
            f"{','.join(recomputed) or '无'},其余 {len(rules) - len(recomputed)} 条规则沿用基准批次的结果")


__all__ = ["describe", "evaluate", "find_base", "report", "start_incremental_run"]
