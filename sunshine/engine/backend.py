"""The thin backend that runs generated SQL: tables in (Arrow or Parquet), Arrow out."""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from sunshine.engine.dialect import DUCKDB, Dialect, string_literal

Source = pa.Table | Path | str


class DuckDBBackend:
    """An in-memory DuckDB connection. Arrow tables are registered without copying; a Parquet path
    becomes a view over read_parquet, so DuckDB reads only the columns the SQL uses."""

    dialect: Dialect = DUCKDB

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None,
                 temp_directory: str | None = None) -> None:
        config: dict[str, str | int] = {}
        if threads is not None:
            config["threads"] = threads
        if memory_limit is not None:
            config["memory_limit"] = memory_limit
        if temp_directory is not None:
            config["temp_directory"] = temp_directory
        self.connection = duckdb.connect(":memory:", config=config)

    def register(self, name: str, source: Source) -> None:
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        if isinstance(source, pa.Table):
            self.connection.register(name, source)
            return
        path = str(source)
        # An Arrow table registered under this name earlier is a temporary view that would hide the new one.
        self.connection.unregister(name)
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({string_literal(path)})"
        )

    def register_all(self, tables: Mapping[str, Source]) -> None:
        for name, source in tables.items():
            self.register(name, source)

    def query(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> DuckDBBackend:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
