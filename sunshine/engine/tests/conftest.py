"""Fixtures of the engine tests: the rule catalogues run once per module on each engine."""

from __future__ import annotations

import pytest

from sunshine.engine.backend import DuckDBBackend


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def backend(request):
    """A backend of each engine: every rule test runs on DuckDB and on Spark (deselect with -k "not spark")."""
    if request.param == "duckdb":
        with DuckDBBackend(threads=1) as b:
            yield b
    else:
        from sunshine.engine.spark import SparkBackend

        with SparkBackend(request.getfixturevalue("spark")) as b:
            yield b
