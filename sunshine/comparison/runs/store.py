"""Storing a run's findings: one Finding per problem, linked across runs by its fingerprint.

For each FINDINGS row the fingerprint is sha256(rule, year, household_no or '', id_number or id_hash, dataset);
what an earlier finding with that fingerprint does to it (linked, reopened, new) is the one workflow's rule,
sunshine.comparison.linking.raise_findings. Here: owners, persons, households and the department evidence.
The caller wraps the whole store in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sunshine.comparison.datasets.sealing import unseal
from sunshine.comparison.linking import raise_findings
from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.runs.snapshot import Snapshot
from sunshine.core import bulk
from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.engine.comparison.datasets import (
    DATASETS,
    DERIVED,
    ENUM,
    FILE_COMMON,
    ID_COLUMNS,
    YES_NO,
    arrow_schema,
    labels,
)
from sunshine.engine.dialect import string_literal
from sunshine.registry.models import Household, Person

ROW_LABEL, LOAD_LABEL = "行号", "部门数据批次"
_EXTRA_LABELS = {"source_row": ROW_LABEL, "id_raw": "原始身份证号"}


def fingerprint(row: dict[str, Any]) -> str:
    """The identity of a problem across runs. A person known by neither ID nor hash (never the case for the
    engine's rules today) is told apart by name rather than merged with every other such person."""
    person = row.get("id_number") or row.get("id_hash") or (f"name:{row['name']}" if row.get("name") else "")
    parts = (row["rule"], str(row["year"]), row.get("household_no") or "", person, row.get("dataset") or "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# --- evidence ------------------------------------------------------------------------------------------


def _columns(dataset: str, *, hashed: bool = False) -> list[tuple[str, str, Any]]:
    """(field, Chinese label, converter) for each stored column of the dataset shown as evidence, in file
    order: not the derived ones, nor, for an exact load, the hashes computed when it was stored (the file the
    department sent had none)."""
    declared = {c.field: c for c in (*FILE_COMMON, *DATASETS[dataset].columns)}
    hidden = {f.name for f in DERIVED.get(dataset, ())} | (set() if hashed else set(ID_COLUMNS.values()))
    out = []
    for f in arrow_schema(dataset):
        if f.name in hidden:
            continue
        column = declared.get(f.name)
        label = _EXTRA_LABELS.get(f.name) or (column.header if column else f.name)
        if column is not None and column.kind == ENUM:
            words = labels(dataset, f.name)
            convert: Any = lambda v, words=words: words.get(v, v)  # noqa: E731
        elif column is not None and column.kind == YES_NO:
            convert = lambda v: "是" if v else "否"  # noqa: E731
        else:
            convert = _plain
        out.append((f.name, label, convert))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def evidence_rows(dataset: str, path: str, source_rows: Iterable[int], version: int, *,
                  hashed: bool = False) -> dict[int, dict[str, Any]]:
    """The department rows (by source_row) of one load, as {Chinese label: value} with enum words; one query.
    Empty values are left out. ID numbers are decrypted (the finding keeps its evidence encrypted, and the
    pages mask them for their reader)."""
    wanted = pa.table({"source_row": pa.array(sorted(set(source_rows)), pa.int64())})
    if wanted.num_rows == 0:
        return {}
    con = duckdb.connect(":memory:")
    try:
        con.register("wanted", wanted)
        table = con.sql(f"SELECT d.* FROM read_parquet({string_literal(path)}) AS d "  # noqa: S608
                        "JOIN wanted USING (source_row) ORDER BY d.source_row").to_arrow_table()
    finally:
        con.close()
    table = unseal(table)
    columns = [c for c in _columns(dataset, hashed=hashed) if c[0] in table.column_names]
    out: dict[int, dict[str, Any]] = {}
    for record in table.to_pylist():
        row = {label: convert(record[name]) for name, label, convert in columns if record[name] is not None}
        row[LOAD_LABEL] = f"第{version}版"
        out[record["source_row"]] = row
    return out


def _evidence(rows: list[dict[str, Any]], snap: Snapshot) -> dict[str, dict[int, dict[str, Any]]]:
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if row.get("dataset") and row.get("source_rows"):
            wanted.setdefault(row["dataset"], set()).update(row["source_rows"])
    loads = {entry["dataset"]: entry for entry in snap.manifest["loads"]}
    paths = snap.dataset_paths()
    return {name: evidence_rows(name, str(paths[name]), keys, loads[name]["version"], hashed=loads[name]["hashed"])
            for name, keys in wanted.items() if name in loads}


# --- owners and references -----------------------------------------------------------------------------


def _existing(model: Any, field: str, keys: set[Any], **filters: Any) -> set[Any]:
    if not keys:
        return set()
    # one query whatever the number of keys (a province's run asks after 150,000 households)
    kind = "int" if all(type(k) is int for k in keys) else "text"
    return set(model.objects.filter(**{f"{field}__in": bulk.any_of(sorted(keys), kind)}, **filters)
               .values_list(field, flat=True))


def _counties(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id_number"][:6] + "000000" for row in rows
            if not row.get("village_code") and row.get("id_number") and len(row["id_number"]) == 18}


def owner_divisions(rows: list[dict[str, Any]], scope: Division) -> list[str]:
    """The division each finding goes to: the household's village; outside the registry the county of the
    ID's first 6 digits when it exists and lies in the run's scope; else the run's division."""
    villages = _existing(Division, "code", {r["village_code"] for r in rows if r.get("village_code")})
    counties = {code for code in _existing(Division, "code", _counties(rows), level=DivisionLevel.COUNTY)
                if code.startswith(scope.prefix)}
    owners = []
    for row in rows:
        village = row.get("village_code")
        county = (row.get("id_number") or "")[:6] + "000000"
        owners.append(village if village in villages else county if county in counties else scope.code)
    return owners


def _person_keys(rows: list[dict[str, Any]], snap: Snapshot) -> dict[int, int]:
    members = [r["member_key"] for r in rows if r.get("member_key") is not None]
    if not members:
        return {}
    people = pq.read_table(snap.people_path, columns=["member_key", "person_key"])
    people = people.filter(pc.is_in(people["member_key"], value_set=pa.array(members, pa.int64())))
    pairs = dict(zip(people["member_key"].to_pylist(), people["person_key"].to_pylist(), strict=True))
    # A re-run long after may meet a person the registry has since removed; the finding keeps the ID.
    alive = _existing(Person, "pk", set(pairs.values()))
    return {member: person for member, person in pairs.items() if person in alive}


# --- storing --------------------------------------------------------------------------------------------


def store_findings(run: ComparisonRun, table: pa.Table, snap: Snapshot, *, verification_days: int,
                   today: dt.date | None = None) -> dict[str, Any]:
    """Write the findings of ``run`` (FINDINGS rows) and return the counts; call inside a transaction."""
    rows: list[dict[str, Any]] = []
    prints: list[str] = []
    seen: set[str] = set()
    for row in table.to_pylist():
        fp = fingerprint(row)
        if fp not in seen:  # one problem once per run, with its first (engine-ordered) evidence
            seen.add(fp)
            rows.append(row)
            prints.append(fp)
    owners = owner_divisions(rows, run.division)
    persons = _person_keys(rows, snap)
    households = _existing(Household, "pk", {r["household_key"] for r in rows if r.get("household_key") is not None})
    evidence = _evidence(rows, snap)
    candidates = []
    for row, fp, owner in zip(rows, prints, owners, strict=True):
        rows_of = evidence.get(row.get("dataset") or "", {})
        candidates.append(Finding(
            rule=row["rule"], severity=row["severity"], year=row["year"],
            household_id=row["household_key"] if row.get("household_key") in households else None,
            person_id=persons.get(row.get("member_key")), division_id=owner,
            id_number=(row.get("id_number") or "")[:18], id_hash=row.get("id_hash") or "", name=row.get("name") or "",
            dataset=row.get("dataset") or "", match=row.get("match") or "", probability=row.get("probability"),
            evidence=[rows_of[r] for r in row.get("source_rows") or () if r in rows_of],
            explanation=row["explanation"], fingerprint=fp,
        ))
    return raise_findings(run, candidates, verification_days=verification_days, today=today)

