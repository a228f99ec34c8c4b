"""A real Spark standalone cluster for tests: a master and two workers started by scripts/spark-cluster.sh on
free loopback ports, in a directory of the test's own, and stopped afterwards.

Use the module-scoped ``spark_cluster`` fixture by importing it into a test module::

    from sunshine.testing.spark_cluster import spark_cluster

    __all__ = ["spark_cluster"]  # the fixture, imported to be used (ruff: not an unused import)

It is SKIPPED only when Java is missing or on the PostgreSQL pass of the suite (both passes run side by side
on a two-core machine; the cluster test runs once, on the SQLite pass); when the cluster does not start, the
test FAILS with the end of the daemons' logs. ``Cluster.master`` is the URL for ``sunshine compare
--spark-master`` (in a child process: the cleanest way, it has its own JVM) or for ``cluster_session``, which
lends this process's single SparkContext to the cluster for a block and gives the local one back.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "spark-cluster.sh"
BASH = shutil.which("bash") or "/bin/bash"
START_SECONDS = 120  # two cores shared with the other test pass: JVMs start slowly


def skip_reason() -> str | None:
    """Why the cluster test cannot run here, or None."""
    if shutil.which("java") is None:
        return "Java is not installed: a Spark cluster needs it (scripts/test.sh installs openjdk-17-jre-headless)"
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "cluster test runs on the SQLite pass (two clusters side by side would fight for two cores)"
    return None


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports free right now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class ClusterError(RuntimeError):
    """The cluster did not start; the message carries the script's output."""


@dataclass
class Cluster:
    master: str
    ui: str
    directory: Path
    env: dict[str, str] = field(repr=False)

    def applications(self) -> list[dict[str, Any]]:
        """Running and finished applications as the master lists them (name, state, cores …)."""
        with urllib.request.urlopen(f"{self.ui}/json/", timeout=5) as answer:  # noqa: S310 - our loopback master
            state = json.load(answer)
        return [*state.get("activeapps", []), *state.get("completedapps", [])]

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([BASH, str(SCRIPT), command], env=self.env, capture_output=True, text=True,  # noqa: S603
                              timeout=START_SECONDS + 60, check=False)

    def stop(self) -> None:
        self.script("stop")


def start_cluster(directory: Path) -> Cluster:
    """Master and two workers (1 core, 1 GB each) on free loopback ports, pid files and logs in ``directory``."""
    master_port, ui_port = free_ports(2)
    env = {**os.environ, "SPARK_CLUSTER_DIR": str(directory), "SPARK_MASTER_PORT": str(master_port),
           "SPARK_MASTER_WEBUI_PORT": str(ui_port), "SPARK_WORKER_WEBUI_PORT": "0",
           "SPARK_CLUSTER_WAIT": str(START_SECONDS)}
    cluster = Cluster(master=f"spark://127.0.0.1:{master_port}", ui=f"http://127.0.0.1:{ui_port}",
                      directory=directory, env=env)
    done = cluster.script("start")
    if done.returncode != 0:
        cluster.stop()
        raise ClusterError(f"scripts/spark-cluster.sh start failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return cluster


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A running two-worker cluster for the module; skipped only without Java (or on the PostgreSQL pass)."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    try:
        cluster = start_cluster(tmp_path_factory.mktemp("spark-cluster"))
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def cluster_session(master: str) -> Iterator[Any]:
    """This process's SparkSession on ``master`` for the block (sunshine.engine.spark.session, which
    compute.spark_session then finds active). A JVM holds one SparkContext: a local session running before
    (the suite's session-wide ``spark`` fixture) is stopped first and afterwards bound to a fresh local
    context — the same Python object, so fixtures that hold it go on working."""
    from pyspark.sql import SparkSession

    from sunshine.engine.spark import session

    before = SparkSession.getActiveSession()
    local_master = before.sparkContext.master if before is not None else None
    if before is not None:
        before.stop()
    spark = session(master)
    try:
        yield spark
    finally:
        spark.stop()
        if before is not None and local_master is not None:
            fresh = session(local_master)
            before.__dict__.update(fresh.__dict__)  # _sc, _jsc, _jvm, _jsparkSession of the new context
            SparkSession._instantiatedSession = SparkSession._activeSession = before
