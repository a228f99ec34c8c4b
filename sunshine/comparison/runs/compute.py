"""Running the engine's rules over a frozen snapshot, on DuckDB or Spark."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
from django.conf import settings

from sunshine.comparison.choices import Engine
from sunshine.comparison.runs.snapshot import Snapshot
from sunshine.engine.comparison.catalogue import EXACT, HASHED

Progress = Callable[[int, str], None]


def spark_session() -> Any:
    """The SparkSession already running in this process (a worker or a test run keeps one), else a new one
    on settings.SUNSHINE_SPARK_MASTER: starting Spark takes seconds, two sessions would fight for memory."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from sunshine.engine.spark import session

    return session(settings.SUNSHINE_SPARK_MASTER)


def backend_for(engine: str, session: Any = None) -> Any:
    if engine == Engine.SPARK:
        from sunshine.engine.spark import SparkBackend

        return SparkBackend(session if session is not None else spark_session())
    from sunshine.engine.backend import DuckDBBackend

    return DuckDBBackend()


def evaluate(snap: Snapshot, *, engine: str, rules: Sequence[str], parameters: dict[str, Any],
             progress: Progress, start: int = 30, end: int = 85,
             session: Any = None) -> tuple[pa.Table, dict[str, float]]:
    """The FINDINGS table of ``rules`` over the snapshot, as the engine gives it (persons named by member_key
    or hash, no plain ID: sunshine.comparison.runs.resolve puts them back), and the seconds each rule took.
    Progress moves from ``start`` to ``end`` percent as the rules finish."""
    from sunshine.engine.comparison.run import run_comparison

    manifest = snap.manifest
    hashed = snap.hashed_datasets()
    key_kinds = {name: HASHED if name in hashed else EXACT for name in snap.dataset_paths()}
    seconds: dict[str, float] = {}
    total = max(1, len(rules))

    def on_rule(code: str, rows: int, took: float) -> None:
        seconds[code] = round(took, 3)
        progress(start + (end - start) * len(seconds) // total, f"比对规则 {code}:{rows} 条")

    backend = backend_for(engine, session)
    try:
        backend.register("people", snap.people_source())
        backend.register("links", snap.links_path)
        for name, source in snap.dataset_sources().items():
            backend.register(f"ds_{name}", source)
        progress(start, "比对")
        table = run_comparison(backend, year=manifest["year"], params=parameters, key_kinds=key_kinds,
                               rules=list(rules), division_prefix=manifest["division_prefix"], on_rule=on_rule)
    finally:
        backend.close()  # a SparkBackend drops its views and leaves the shared session running
    return table, seconds
