"""The comparison catalogue on a real Spark standalone cluster (scripts/spark-cluster.sh: a master and two
workers, loopback only) gives exactly the findings of DuckDB.

`sunshine compare` runs as a child process, as an operator runs it: the child cannot see pytest-django's test
database, so it gets a data directory of its own with a demo county (SQLite file; registry, the 13 department
datasets with ~1% of rows without an ID number, left to probabilistic linkage). Five rules of different shapes
run once on DuckDB and once with ``--engine spark --spark-master`` on the cluster (every rule's SQL is checked
on Spark against DuckDB in sunshine/engine/tests); both runs are stored, so the second finds
every finding of the first again (none new) and the two output files are identical. The master's own list of
applications shows the run really went to the cluster. Skipped only without Java (and on the PostgreSQL pass of
the suite: the two passes run side by side on two cores, the cluster test runs once, on the SQLite pass).
Spark runs a job or more per rule whatever the size (5–9 s each here), hence the subset; the demo is generated
while the cluster starts.
"""

# ruff: noqa: S603 - the test runs its own `sunshine` with fixed arguments

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sunshine.testing.spark_cluster import Cluster, cluster_session, spark_cluster

__all__ = ["spark_cluster"]  # the module-scoped fixture, imported to be used here

ROOT = Path(__file__).resolve().parent.parent
SUNSHINE = [str(Path(sys.executable).with_name("sunshine"))]
YEAR, HOUSEHOLDS, TIMEOUT = 2020, 200, 900  # generous: the machine is shared
CLUSTER_RULES = "C-DEAD,C-NOMED,C-DUP,C-DIBAO-MISSING,C-CAR"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite in the data directory
    env["SUNSHINE_DATA_DIR"] = str(data_dir)
    return env


def _checked(args: list[str], code: int | None, out: str, err: str) -> str:
    assert code == 0, f"sunshine {' '.join(args)} (exit {code}):\n{out[-2000:]}\n{err[-4000:]}"
    return out


def sunshine(data_dir: Path, *args: str) -> str:
    done = subprocess.run([*SUNSHINE, *args], env=_env(data_dir), cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    return _checked(list(args), done.returncode, done.stdout, done.stderr)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Callable[[], Path]]:
    """A data directory with the demo county, generated in the background while the cluster starts (the
    fixture is set up before ``spark_cluster`` in the test's arguments); calling it waits for the demo."""
    data = tmp_path / "data"
    args = ["demo", "--households", str(HOUSEHOLDS), "--no-serve"]
    child = subprocess.Popen([*SUNSHINE, *args], env=_env(data), cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)

    def ready() -> Path:
        out, err = child.communicate(timeout=TIMEOUT)
        _checked(args, child.returncode, out, err)
        return data

    try:
        yield ready
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def test_catalogue_on_the_cluster_gives_the_duckdb_findings(demo: Callable[[], Path], spark_cluster: Cluster,
                                                            tmp_path: Path) -> None:
    data = demo()
    # Five rules of different shapes (a join, an anti-join, a count across households, the head's key, a
    # threshold): each rule costs the cluster seconds whatever its size, and every rule's SQL is already checked
    # on Spark against DuckDB in sunshine/engine/tests; this test is about running them on a cluster.
    compare = ["compare", "--year", str(YEAR), "--user", "admin", "--no-progress", "--rules", CLUSTER_RULES]
    on_duckdb, on_spark = tmp_path / "duckdb.json", tmp_path / "spark.json"
    sunshine(data, *compare, "--out", str(on_duckdb))
    said = sunshine(data, *compare, "--engine", "spark", "--spark-master", spark_cluster.master, "--out", str(on_spark))

    expected = json.loads(on_duckdb.read_text(encoding="utf-8"))
    assert json.loads(on_spark.read_text(encoding="utf-8")) == expected
    by_rule = Counter(record["rule"] for record in expected)
    assert len(by_rule) >= 4, by_rule  # most of the shapes found something
    assert {record["match"] for record in expected} >= {"exact"}
    total = len(expected)
    assert re.search(rf"比对发现 {total} 条.*新发现 0,再次发现 {total}", said), said  # stored: all found again

    apps = [app for app in spark_cluster.applications() if app.get("name") == "sunshine"]
    assert len(apps) == 1 and apps[0]["state"] == "FINISHED", apps  # the command stopped its session
    assert apps[0]["cores"] == 2 or apps[0].get("coresgranted", 2) == 2, apps  # both workers took part
    # The linkage's department rows without an ID were matched on the cluster too (same links as DuckDB).
    runs = sorted((data / "comparison" / "runs").iterdir(), key=lambda p: int(p.name))
    links = [pq.read_table(run / "links.parquet") for run in runs[-2:]]
    assert links[0].num_rows > 0 and links[0].equals(links[1])


def test_cluster_session_lends_the_process_and_gives_the_local_session_back(spark_cluster: Cluster, spark,
                                                                           tmp_path: Path) -> None:
    """For in-process tests (sunshine.engine backends): the block runs on the cluster, the suite's local
    session object works again afterwards."""
    from pyspark.sql import SparkSession

    from sunshine.engine.spark import SparkBackend

    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"n": list(range(1000))}), numbers)
    with cluster_session(spark_cluster.master) as on_cluster, SparkBackend(on_cluster) as backend:
        assert on_cluster.sparkContext.master == spark_cluster.master
        backend.register("numbers", numbers)  # read by the executors, by its path
        assert backend.query("SELECT sum(n) AS s FROM numbers").column("s").to_pylist() == [499500]
    assert SparkSession.getActiveSession() is spark and spark.sparkContext.master.startswith("local")
    assert spark.range(3).count() == 3


def test_spark_master_refusals(users, spark) -> None:  # noqa: ANN001 - fixtures
    """--spark-master needs --engine spark, and cannot take over a process whose Spark session runs elsewhere
    (one SparkContext per process: getOrCreate would silently hand back the local one)."""
    from django.core.management import CommandError, call_command

    base = ["compare", "--year", str(YEAR), "--user", "admin", "--no-progress", "--no-store"]
    with pytest.raises(CommandError, match="只能与 --engine spark 一起使用"):
        call_command(*base, "--spark-master", "spark://127.0.0.1:7077")
    with pytest.raises(CommandError, match="本进程已有运行在 local"):
        call_command(*base, "--engine", "spark", "--spark-master", "spark://127.0.0.1:7077")


# an anti-join, a join, the head's key; each with one kind of edit (all three kinds of each rule run on the
# local Spark session in sunshine/engine/tests/test_comparison_incremental.py)
INCREMENTAL_CASES = (("C-NOMED", "insert"), ("C-DEAD", "delete"), ("C-DIBAO-MISSING", "alter"))


def test_incremental_equals_full_on_the_cluster(spark_cluster: Cluster, spark) -> None:  # noqa: ANN001
    """Issue 18: an incremental run on the cluster equals the full run, after an insert, a delete and an
    alteration (the same edits and expectations as the engine's own incremental tests)."""
    from sunshine.engine.spark import SparkBackend
    from sunshine.engine.tests import test_comparison_incremental as inc

    with cluster_session(spark_cluster.master) as on_cluster, SparkBackend(on_cluster) as backend:
        assert on_cluster.sparkContext.master == spark_cluster.master
        for code, kind in INCREMENTAL_CASES:
            (name,) = inc.RULES[code].datasets
            tables = inc.TABLES | {f"ds_{name}": inc._edit(code, kind)(inc.TABLES[f"ds_{name}"])}
            outcome = inc._incremental(backend, tables, {name: inc.TABLES[f"ds_{name}"]})
            assert not outcome.full, (code, kind)
            assert outcome.rules[code] == "by_key"
            assert outcome.findings.equals(inc._expected(code, kind)), (code, kind)
