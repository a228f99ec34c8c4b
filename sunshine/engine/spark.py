"""Apache Spark as a backend of the engine: the same generated SQL (translated by the Spark dialect) and the
same interface as DuckDBBackend — tables in as Arrow or Parquet, Arrow out.

``session(master)`` builds (or returns the running) SparkSession configured for the engine and for Splink's
Spark backend, which shares it: the similarity UDF jar, few shuffle partitions on one machine, UTC, no UI, a checkpoint
directory, quiet logs. ``local_session()`` is the local-mode session the tests use; a cluster master URL
(spark://host:7077, e.g. scripts/spark-cluster.sh) works the same way through ``session``: the snapshot is
registered by its Parquet paths, which the executors read themselves (a local path on one machine; a shared
filesystem or object store across machines, docs/scale.md), and Arrow tables in memory go to the executors
through the driver (createDataFrame). A session already running in the process is
reused (getOrCreate: static settings such as spark.jars are those it started with). Closing a SparkBackend
drops its views and leaves the shared session running.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa

from sunshine.engine.dialect import SPARK, Dialect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Source = pa.Table | Path | str

APP_NAME = "sunshine"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def on_this_machine(master: str) -> bool:
    """Local mode, or a cluster whose master listens on the loopback address (scripts/spark-cluster.sh)."""
    host = urlsplit(master).hostname if "://" in master else None
    return master.startswith("local") or host in LOOPBACK


def session(master: str) -> SparkSession:
    """A SparkSession on ``master`` (local[N] or a cluster URL such as spark://127.0.0.1:7077), configured for
    the engine and Splink. On a cluster the executors read the snapshot's Parquet files by their paths (on
    this machine a local path; elsewhere a shared filesystem or object store, docs/scale.md) and receive the
    similarity jar from the driver through spark.jars."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(APP_NAME)
    if on_this_machine(master):
        # On one machine Spark would otherwise bind to the external address; a remote cluster's executors
        # must reach the driver, so there the operator's setting (or Spark's choice) stands. The executors of
        # a loopback cluster run the driver's own interpreter, with the same packages.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.pyspark.python", os.environ.get("PYSPARK_PYTHON", sys.executable))
        # Every executor is on this host and reads the same files: waiting up to 3 s per task for the
        # executor that holds a task's input (Spark's default) only idles the other one.
        builder = builder.config("spark.locality.wait", "0s")
        # Few shuffle partitions suit one machine's cores; a real cluster keeps its own setting
        # (spark-defaults.conf or PYSPARK_SUBMIT_ARGS, docs/scale.md).
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    from splink.backends.spark import similarity_jar_location

    spark = (
        builder
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(_checkpoint_dir())
    return spark


@functools.cache
def _checkpoint_dir() -> str:
    """Where Splink writes its intermediate tables on Spark: SUNSHINE_SPARK_CHECKPOINT_DIR when set (on a
    cluster of several machines it must be storage every executor sees, e.g. hdfs://… or s3a://…), else one
    local directory per process (enough in local mode and on a cluster of this one machine)."""
    return os.environ.get("SUNSHINE_SPARK_CHECKPOINT_DIR") or tempfile.mkdtemp(prefix="sunshine-spark-checkpoints-")


def local_session(master: str = "local[2]") -> SparkSession:
    """A local-mode session (the test fixture's): two cores by default."""
    return session(master)


class SparkBackend:
    """Runs the engine's SQL on a SparkSession. Arrow tables become DataFrames (dates and decimals keep
    their types), Parquet paths are read by Spark itself; each is a temporary view named as registered."""

    dialect: Dialect = SPARK

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self._views: set[str] = set()

    def register(self, name: str, source: Source) -> None:
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        if isinstance(source, pa.Table):
            frame = self.spark.createDataFrame(source)
        else:
            frame = self.spark.read.parquet(str(source))
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def register_all(self, tables: Mapping[str, Source]) -> None:
        for name, source in tables.items():
            self.register(name, source)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def close(self) -> None:
        for name in sorted(self._views):
            self.spark.catalog.dropTempView(name)
        self._views.clear()

    def __enter__(self) -> SparkBackend:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
