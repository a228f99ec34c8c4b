"""Snapshot rows for engine tests: plain dicts in, Arrow tables to the engine; no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from sunshine.engine import reference
from sunshine.engine import snapshot as s
from sunshine.engine.assessment import assess_counties, assess_households, assess_villages
from sunshine.engine.backend import DuckDBBackend
from sunshine.policy.parameters import StandardParameters

YEAR = 2020
VILLAGE = "320321101001"


def params(**changes: Any) -> dict[str, Any]:
    return StandardParameters().with_changes(**changes).to_dict()


def household(no: str = "H1", **override: Any) -> dict[str, Any]:
    """A household of YEAR meeting every criterion with one active member (per-capita 16600 元)."""
    base: dict[str, Any] = {
        "household_no": no, "year": YEAR, "village_code": VILLAGE, "status": "in_poverty",
        "wage_income": Decimal("12000"), "business_income": Decimal("3000"), "business_expense": Decimal("1000"),
        "property_income": Decimal("200"), "transfer_income": Decimal("2400"), "transfer_expense": Decimal("0"),
        "food_clothing_secure": True, "water_safe": True, "housing_grade": "B", "renovation_status": "not_needed",
    }
    return base | override


def income(total: Decimal | str | int) -> dict[str, Decimal]:
    """Income items adding up to ``total`` (all of it wages)."""
    return {"wage_income": Decimal(total), "business_income": Decimal(0), "business_expense": Decimal(0),
            "property_income": Decimal(0), "transfer_income": Decimal(0), "transfer_expense": Decimal(0)}


_ids = iter(range(10**6))


def member(no: str = "H1", name: str = "户主", birth: dt.date | None = dt.date(1970, 5, 17),
           **override: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "household_no": no, "year": YEAR, "name": name, "id_number": f"320321{next(_ids):012d}",
        "birth_date": birth, "relation": "head", "education_level": "junior", "school_status": "not_in_school",
        "medical_insured": True, "member_status": "active",
    }
    return base | override


def aged(age: int, *, on: dt.date = dt.date(YEAR, 9, 1)) -> dt.date:
    """A birth date giving exactly ``age`` completed years on 1 September (born that very day)."""
    return on.replace(year=on.year - age)


def tables(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]]) -> dict[str, pa.Table]:
    """Arrow tables of the rows, with a household_key per household_no (as the database id would be)."""
    keys: dict[str, int] = {}
    for row in [*households, *members]:
        keys.setdefault(row["household_no"], len(keys) + 1)
    hs = [{"household_key": keys[h["household_no"]], **h} for h in households]
    ms = [{"household_key": keys[m["household_no"]], **m} for m in members]
    return {
        "households": s.conform(pa.Table.from_pylist(hs, schema=s.HOUSEHOLDS), s.HOUSEHOLDS),
        "members": s.conform(pa.Table.from_pylist(ms, schema=s.MEMBERS), s.MEMBERS),
    }


def run_households(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]],
                   p: dict[str, Any] | None = None, *, year: int = YEAR,
                   prefix: str | None = None) -> list[dict[str, Any]]:
    with DuckDBBackend(threads=1) as backend:
        backend.register_all(tables(households, members))
        return assess_households(backend, p or params(), year=year, division_prefix=prefix).to_pylist()


def assess(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]],
           p: dict[str, Any] | None = None, *, year: int = YEAR) -> list[dict[str, Any]]:
    """The engine's rows, after checking that the per-household Python reference agrees on every column."""
    p = p or params()
    rows = run_households(households, members, p, year=year)
    assert rows == reference.assess_households(households, members, p, year)
    return rows


def assess_one(h: dict[str, Any], members: Sequence[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    (row,) = assess([h], members, params(**changes))
    return row


def village(code: str = VILLAGE, **override: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"division_code": code, "year": YEAR, "weak_village": True,
                            "collective_income": Decimal("200000"), "two_lane_road": True, "clinic_ok": True}
    return base | override


def run_villages(villages: Sequence[dict[str, Any]], p: dict[str, Any] | None = None,
                 prefix: str | None = None) -> list[dict[str, Any]]:
    table = s.conform(pa.Table.from_pylist(list(villages), schema=s.VILLAGES), s.VILLAGES)
    with DuckDBBackend(threads=1) as backend:
        backend.register("villages", table)
        return assess_villages(backend, p or params(), year=YEAR, division_prefix=prefix).to_pylist()


def run_counties(households: Sequence[dict[str, Any]], members: Sequence[dict[str, Any]],
                 villages: Sequence[dict[str, Any]], counties: Sequence[str] | None = None,
                 p: dict[str, Any] | None = None, prefix: str | None = None) -> list[dict[str, Any]]:
    with DuckDBBackend(threads=1) as backend:
        backend.register_all(tables(households, members))
        backend.register("villages", s.conform(pa.Table.from_pylist(list(villages), schema=s.VILLAGES), s.VILLAGES))
        if counties is not None:
            backend.register("counties", pa.table({"division_code": pa.array(list(counties), pa.string())}))
        return assess_counties(backend, p or params(), year=YEAR, division_prefix=prefix,
                               counties=counties is not None).to_pylist()
