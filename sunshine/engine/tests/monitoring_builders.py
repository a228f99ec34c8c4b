"""Two-year registry snapshots, comparison signals and monitored households for the monitoring tests.

Rows are written with plain ID numbers and made into monitoring's inputs (hashes, no plain ID) by
sunshine.engine.monitoring.prepare under KEY; ``h`` gives the hash a row shows for an ID."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.monitoring import run_monitoring
from sunshine.engine.monitoring.prepare import PLAIN_MONITORED, PLAIN_SIGNALS, hashed_tables, id_hasher
from sunshine.engine.monitoring.schema import LOANS_OVERDUE
from sunshine.engine.tests.builders import VILLAGE, YEAR, household, member, params, tables

LAST = YEAR - 1
KEY = "monitoring-test-key"
h = id_hasher(KEY)


def pair(no: str = "H1", *, last: dict[str, Any] | None = None, **now: Any) -> list[dict[str, Any]]:
    """The household in LAST and YEAR: ``now`` overrides YEAR's row, ``last`` LAST's (both meet §1 by default)."""
    return [household(no, year=LAST, **(last or {})), household(no, **now)]


def person(no: str = "H1", name: str = "户主", *, id_number: str, last: dict[str, Any] | None = None,
           **now: Any) -> list[dict[str, Any]]:
    """One person's rows in LAST and YEAR (same ID); ``last=None`` gives the YEAR row only when ``only_now``."""
    rows = [member(no, name, id_number=id_number, year=LAST, **(last or {}))]
    return [*rows, member(no, name, id_number=id_number, **now)]


def signal(rule: str, no: str | None, *, id_number: str | None = None, name: str = "户主",
           explanation: str = "医疗保障数据显示成员户主2020年就诊2次,个人自付合计12000.00元,达到预警线10000元",
           village_code: str | None = None, year: int = YEAR) -> dict[str, Any]:
    return {"rule": rule, "year": year, "household_no": no, "id_number": id_number, "name": name,
            "village_code": village_code, "explanation": explanation}


def monitored(key: int, *, per_capita: str | None, division: str = VILLAGE, head_id: str | None = None,
              year: int = YEAR, number: str | None = None) -> dict[str, Any]:
    return {"monitored_key": key, "number": number or f"M{key:04d}", "year": year, "division_code": division,
            "head_name": f"监测户{key}", "head_id_number": head_id, "members": 3,
            "per_capita_income": None if per_capita is None else Decimal(per_capita)}


def loan(no: str, loan_no: str, *, days: int, outstanding: str = "20000") -> dict[str, Any]:
    """A loan of household ``no`` overdue ``days`` days with ``outstanding`` principal (a loans_overdue row)."""
    return {"household_no": no, "loan_no": loan_no, "days": days, "outstanding": Decimal(outstanding)}


def snapshot(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]],
             signals: Sequence[dict[str, Any]] | None = None,
             watched: Sequence[dict[str, Any]] | None = None,
             loans: Sequence[dict[str, Any]] | None = None) -> dict[str, pa.Table]:
    snap = tables(households, members)
    keys = dict(zip(snap["households"].column("household_no").to_pylist(),
                    snap["households"].column("household_key").to_pylist(), strict=True))
    if loans is not None:
        rows = [{k: val for k, val in row.items() if k != "household_no"} | {"household_key": keys[row["household_no"]]}
                for row in loans]
        snap["loans_overdue"] = pa.Table.from_pylist(rows, schema=LOANS_OVERDUE)
    if signals is not None:
        rows = [{k: val for k, val in s.items() if k != "household_no"}
                | {"household_key": keys.get(s["household_no"]) if s["household_no"] else None} for s in signals]
        snap["signals"] = pa.Table.from_pylist(rows, schema=PLAIN_SIGNALS)
    if watched is not None:
        snap["monitored"] = pa.Table.from_pylist(list(watched), schema=PLAIN_MONITORED)
    return hashed_tables(snap, KEY)


def run(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]],
        signals: Sequence[dict[str, Any]] | None = None, watched: Sequence[dict[str, Any]] | None = None, *,
        p: dict[str, Any] | None = None, year: int = YEAR, prefix: str | None = None,
        loans: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    with DuckDBBackend(threads=1) as backend:
        backend.register_all(snapshot(households, members, signals, watched, loans))
        return run_monitoring(backend, year=year, params=p or params(), division_prefix=prefix).to_pylist()


def one(*args: Any, **kwargs: Any) -> dict[str, Any]:
    (row,) = run(*args, **kwargs)
    return row


def day(month: int, d: int, year: int = YEAR) -> dt.date:
    return dt.date(year, month, d)
