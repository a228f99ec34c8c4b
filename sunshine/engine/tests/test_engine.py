"""The engine stands alone: no Django, Arrow or Parquet in, Arrow out; snapshot helpers."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from sunshine.engine import snapshot as s
from sunshine.engine.assessment import assess_households
from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.tests.builders import household, member, params, run_households, tables


def test_engine_imports_no_django():
    code = ("import sys; import sunshine.engine.assessment, sunshine.engine.backend, sunshine.engine.reference, "
            "sunshine.engine.snapshot; bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr


def test_parquet_snapshot_gives_the_same_result(tmp_path):
    hs = [household("H1"), household("H2", wage_income=None)]
    ms = [member("H1"), member("H2")]
    paths = s.write_parquet(tables(hs, ms), tmp_path)
    with DuckDBBackend(threads=1) as backend:
        backend.register_all(paths)
        from_files = assess_households(backend, params(), year=2020).to_pylist()
    assert from_files == run_households(hs, ms)


def test_decimal_from_cents_is_exact():
    cents = np.array([0, 1, -1, 599999, 10**13 - 1, -(10**13) + 1], dtype=np.int64)
    valid = np.array([True, True, True, True, True, False])
    arr = s.decimal_from_cents(cents, valid)
    assert arr.to_pylist() == [Decimal("0.00"), Decimal("0.01"), Decimal("-0.01"), Decimal("5999.99"),
                               Decimal("99999999999.99"), None]


def test_conform_orders_casts_and_checks():
    t = pa.table({"division_code": ["320321000000"], "extra": [1]})
    assert s.conform(t, s.COUNTIES).column_names == ["division_code"]
    with pytest.raises(s.SnapshotError, match="lacks columns"):
        s.conform(pa.table({"year": [2020]}), s.VILLAGES)
    with pytest.raises(s.SnapshotError, match="empty values"):
        s.conform(pa.table({"division_code": pa.array([None], pa.string())}), s.COUNTIES)


def test_parameters_must_be_complete():
    p = params()
    del p["income_line"]
    with pytest.raises(KeyError, match="income_line"):
        run_households([household()], [member()], p)
