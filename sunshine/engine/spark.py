"""Apache Spark as a backend of the engine: the same generated SQL (translated by the Spark dialect) and the
same interface as DuckDBBackend — tables in as Arrow or Parquet, Arrow out.

``session(master)`` builds (or returns the running) SparkSession configured for the engine and for Splink's
Spark backend, which shares it: the similarity UDF jar, few shuffle partitions, UTC, no UI, a checkpoint
directory, quiet logs. ``local_session()`` is the local-mode session the tests use; a cluster master URL
(spark://host:7077) works the same way through ``session``. A session already running in the process is
reused (getOrCreate: static settings such as spark.jars are those it started with). Closing a SparkBackend
drops its views and leaves the shared session running.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pyarrow as pa

from sunshine.engine.dialect import SPARK, Dialect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Source = pa.Table | Path | str

APP_NAME = "sunshine"


def session(master: str) -> SparkSession:
    """A SparkSession on ``master`` (local[N] or a cluster URL), configured for the engine and Splink."""
    if master.startswith("local"):
        # On one machine Spark would otherwise bind to the external address; a cluster's executors must
        # reach the driver, so there the operator's setting (or Spark's choice) stands.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(master).appName(APP_NAME)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
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
    """One directory per process (Splink checkpoints intermediate tables on Spark)."""
    return tempfile.mkdtemp(prefix="sunshine-spark-checkpoints-")


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
