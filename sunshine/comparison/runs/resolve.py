"""Plain ID numbers back into a run's findings, for the store and the exports (which show them to readers
allowed to see them, masked for the others).

The engine names a person by member_key or, outside the registry, by the head's hash
(sunshine.engine.comparison.prepare). Only the persons that have findings are decrypted: a registry member's
number comes from the Person row (or, when the person was changed or removed since the snapshot, from the
history row with the snapshot's hash); a head outside the registry from the 民政低保特困 row of the evidence
(an exact load; a hashed load's head stays a hash, as before). Snapshots of format 1 still hold the plain
numbers, which are then used as they are."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sunshine.comparison.datasets.sealing import plain_head_numbers
from sunshine.comparison.runs.snapshot import FORMAT, Snapshot
from sunshine.core import bulk
from sunshine.core.arrow_extract import fetch_arrow
from sunshine.engine.comparison.prepare import resolve_ids
from sunshine.registry.models import Person

_PERSONS = pa.schema([pa.field("pk", pa.int64()), pa.field("id_number", pa.string()),
                      pa.field("id_number_hash", pa.string())])


def _people(snap: Snapshot, members: list[int], columns: list[str]) -> pa.Table:
    people = pq.read_table(snap.people_path, columns=columns)
    return people.filter(pc.is_in(people["member_key"], value_set=pa.array(members, pa.int64())))


def member_numbers(snap: Snapshot, members: set[int]) -> dict[int, str | None]:
    """member_key → the member's ID as the snapshot saw it ('' for an empty one)."""
    wanted = sorted(members)
    if not wanted:
        return {}
    if snap.manifest.get("format", 1) < FORMAT:
        rows = _people(snap, wanted, ["member_key", "id_number"])
        return dict(zip(rows["member_key"].to_pylist(), rows["id_number"].to_pylist(), strict=True))
    rows = _people(snap, wanted, ["member_key", "person_key", "id_hash"]).to_pylist()
    # one query, the numbers decrypted column-wise (a province's run names 150,000 members)
    persons = fetch_arrow(Person.objects.filter(pk__in=bulk.any_of(sorted({r["person_key"] for r in rows}), "int"))
                          .order_by().values_list("pk", "id_number", "id_number_hash"), _PERSONS)
    current = dict(zip(persons["pk"].to_pylist(),
                       zip(persons["id_number"].to_pylist(), persons["id_number_hash"].to_pylist(), strict=True),
                       strict=True))
    out: dict[int, str | None] = {}
    stale: dict[int, str] = {}
    for r in rows:
        if r["id_hash"] is None:
            out[r["member_key"]] = ""
            continue
        number, hashed = current.get(r["person_key"], (None, None))
        if hashed == r["id_hash"]:
            out[r["member_key"]] = number
        else:
            stale[r["member_key"]] = r["id_hash"]
    if stale:
        earlier = _from_history(set(stale.values()))
        out |= {member: earlier[h] for member, h in stale.items() if h in earlier}
    return out


def _from_history(hashes: set[str]) -> dict[str, str]:
    """hash → the number a person had under it (the newest history row): a person since changed or removed."""
    found: dict[str, str] = {}
    for hashed, number in (Person.history.filter(id_number_hash__in=bulk.any_of(sorted(hashes)))
                           .order_by("history_date").values_list("id_number_hash", "id_number")):
        found[hashed] = number
    return found


def head_numbers(table: pa.Table, snap: Snapshot) -> dict[str, str]:
    """hash → plain number of the heads outside the registry found on an exact 民政低保特困 load."""
    paths = snap.dataset_paths()
    if "dibao" not in paths or "dibao" in snap.hashed_datasets():
        return {}
    first: dict[str, int] = {}
    for member, hashed, rows in zip(table.column("member_key").to_pylist(), table.column("id_hash").to_pylist(),
                                    table.column("source_rows").to_pylist(), strict=True):
        if member is None and hashed and rows:
            first.setdefault(hashed, rows[0])
    plain = plain_head_numbers(paths["dibao"], list(first.values()))
    return {hashed: plain[row] for hashed, row in first.items() if row in plain}


def resolve(table: pa.Table, snap: Snapshot) -> pa.Table:
    """The engine's findings with plain ID numbers, in the fixed order."""
    members = {m for m in table.column("member_key").to_pylist() if m is not None}
    return resolve_ids(table, member_numbers(snap, members), head_numbers(table, snap))
