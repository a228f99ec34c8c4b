"""Between plain ID numbers and the engine, which works on hashes only.

The app's snapshot has no plain ID (sunshine.comparison.runs.snapshot): people carry the database's keyed hash
and the facts C-ID needs (``id_facts``), department loads carry id_hash for every keyed row. Tests and the
benchmark build plain tables instead — people and department rows with id_number — and pass them through
``people_table`` and ``dataset_table`` with a key; the findings then name the person by member_key or id_hash,
and ``resolve_ids`` puts plain numbers back and restores the fixed order (household_no, id_number, …) that the
engine can no longer sort by. Nothing here imports Django."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.comparison.datasets import DERIVED, ID_COLUMNS, arrow_schema
from sunshine.engine.comparison.idhash import _fixed_width, civil_days, keyed_hashes, valid_dates
from sunshine.engine.comparison.snapshot import FINDINGS, ID_FACTS, PEOPLE

# People as tests and the benchmark write them (PEOPLE as it was before IDs were hashed): the plain id_number
# beside an id_hash that may be empty, no ID facts. people_table turns it into PEOPLE.
_KEPT = [f for f in PEOPLE if f.name not in ID_FACTS]
_AT = [f.name for f in _KEPT].index("id_hash")
PLAIN_PEOPLE = pa.schema([*_KEPT[:_AT], pa.field("id_number", pa.string()), *_KEPT[_AT:]])
ID_PATTERN = "^[0-9]{17}[0-9X]$"
_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_GENDERS = pa.array(["female", "male"])
# The fixed order of a rule's findings (it was the SQL's ORDER BY while the engine had plain IDs).
ORDER = ("household_no", "id_number", "id_hash", "dataset", "first_row", "member_key")


def _spread(values: pa.Array, where: np.ndarray, length: int) -> pa.Array:
    index = np.full(length, -1, dtype=np.int64)
    index[where] = np.arange(len(where), dtype=np.int64)
    return values.take(pa.array(index, mask=index < 0))


def id_facts(ids: pa.Array | pa.ChunkedArray) -> dict[str, pa.Array]:
    """The ID_FACTS columns of stored ID texts, read as the C-ID rule reads them: the text as it is (no
    trimming), well formed when 17 digits then a digit or X; the birth date when digits 7–14 are a calendar
    date; the check digit by ISO 7064 MOD 11-2; the gender by the parity of the 17th digit."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    ids = ids.cast(pa.string())
    n = len(ids)
    well = pc.fill_null(pc.match_substring_regex(ids, ID_PATTERN), False)
    at = np.flatnonzero(well.to_numpy(zero_copy_only=False))
    matrix = _fixed_width(ids.take(pa.array(at, type=pa.int64())), 18).astype(np.int64) - ord("0")
    digits = matrix[:, :17]
    check = _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11] if len(at) else np.zeros(0, dtype=np.uint8)
    last = matrix[:, 17] + ord("0")
    year = matrix[:, 6] * 1000 + matrix[:, 7] * 100 + matrix[:, 8] * 10 + matrix[:, 9]
    month, day = matrix[:, 10] * 10 + matrix[:, 11], matrix[:, 12] * 10 + matrix[:, 13]
    dated = valid_dates(year, month, day) & (year >= 1)
    days = np.where(dated, civil_days(year, month, day), 0).astype(np.int32)
    birth = pa.array(days, type=pa.int32(), mask=~dated).cast(pa.date32())
    return {
        "id_well_formed": well,
        "id_birth": _spread(birth, at, n),
        "id_check_ok": _spread(pa.array(check == last, type=pa.bool_()), at, n),
        "id_gender": _spread(_GENDERS.take(pa.array(matrix[:, 16] % 2)), at, n),
    }


# The facts of one ID, kept beside its ciphertext when the ID is written (registry.Person.id_facts), so that a
# snapshot reads them instead of decrypting every ID: "-" not well formed (or empty); otherwise the check digit's
# verdict ("1"/"0"), the gender ("m"/"f") and, when digits 7-14 are a date, those eight digits. "" means not
# derived (a row written before the column existed).
NOT_WELL_FORMED = "-"


def id_fact_codes(ids: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """The fact code of each stored ID text (read as ``id_facts`` reads it)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    ids = ids.cast(pa.string())
    facts = id_facts(ids)
    well = facts["id_well_formed"]
    check = pc.if_else(facts["id_check_ok"], "1", "0")
    gender = pc.if_else(pc.equal(facts["id_gender"], "male"), "m", "f")
    birth = pc.if_else(pc.is_valid(facts["id_birth"]), pc.utf8_slice_codeunits(ids, 6, 14), "")
    code = pc.binary_join_element_wise(check, gender, birth, "")
    return pc.if_else(well, code, NOT_WELL_FORMED)


def facts_from_codes(codes: pa.Array | pa.ChunkedArray) -> dict[str, pa.Array]:
    """The ID_FACTS columns of fact codes: what ``id_facts`` gives for the IDs they were made of. A code "" (not
    derived) reads as not well formed; callers derive those from the ID first."""
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks() if codes.num_chunks != 1 else codes.chunk(0)
    codes = pc.fill_null(codes.cast(pa.string()), "")
    n = len(codes)
    length = pc.utf8_length(codes)
    well = pc.greater_equal(length, 2)
    at = np.flatnonzero(well.to_numpy(zero_copy_only=False))
    head = _fixed_width(pc.utf8_slice_codeunits(codes.take(pa.array(at, type=pa.int64())), 0, 2), 2)
    dated_at = np.flatnonzero(pc.equal(length, 10).to_numpy(zero_copy_only=False))
    digits = _fixed_width(pc.utf8_slice_codeunits(codes.take(pa.array(dated_at, type=pa.int64())), 2, 10),
                          8).astype(np.int64) - ord("0")
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    days = civil_days(year, digits[:, 4] * 10 + digits[:, 5], digits[:, 6] * 10 + digits[:, 7]).astype(np.int32)
    return {
        "id_well_formed": well,
        "id_birth": _spread(pa.array(days, type=pa.int32()).cast(pa.date32()), dated_at, n),
        "id_check_ok": _spread(pa.array(head[:, 0] == ord("1"), type=pa.bool_()), at, n),
        "id_gender": _spread(_GENDERS.take(pa.array((head[:, 1] == ord("m")).astype(np.int8))), at, n),
    }


def people_table(table: pa.Table, key: str | bytes) -> pa.Table:
    """PEOPLE from a people table with plain ``id_number`` (and maybe no id_hash or facts): id_hash is the
    keyed hash of the number under ``key`` (sunshine.core.crypto.keyed_hash), the facts are read from it, and
    the number itself is left out."""
    ids = table.column("id_number")
    columns = {name: table.column(name) for name in table.column_names if name in PEOPLE.names}
    columns["id_hash"] = keyed_hashes(ids, key)
    columns |= id_facts(ids)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in PEOPLE], schema=PEOPLE)


def dataset_table(name: str, table: pa.Table, key: str | bytes) -> pa.Table:
    """A department table in arrow_schema(name) with what the rules read filled from its plain ID columns:
    id_hash (head_id_hash) where missing — the keyed hash, so a test row carrying an invalid ID still matches
    the member registered with it, as plain text did — and the DERIVED columns. The plain columns are kept."""
    schema = arrow_schema(name)
    columns = {f.name: table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema}
    for plain, hashed in ID_COLUMNS.items():
        if plain in columns and hashed in columns:
            columns[hashed] = pc.coalesce(columns[hashed].cast(pa.string()), keyed_hashes(columns[plain], key))
    if "head_id_region" in {f.name for f in DERIVED.get(name, ())}:
        region = pc.utf8_slice_codeunits(pc.cast(columns["head_id_number"], pa.string()), 0, 6)
        columns["head_id_region"] = pc.coalesce(pc.cast(columns["head_id_region"], pa.string()), region)
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


def first_rows(source_rows: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The first (lowest: the lists are ascending) evidence row of each finding; null for an empty list."""
    if isinstance(source_rows, pa.ChunkedArray):
        source_rows = source_rows.combine_chunks()
    n = len(source_rows)
    parents = pc.list_parent_indices(source_rows).to_numpy(zero_copy_only=False)
    values = pc.list_flatten(source_rows).to_numpy(zero_copy_only=False)
    owners, first = np.unique(parents, return_index=True)
    return _spread(pa.array(values[first], type=pa.int64()), owners, n)


def sort_findings(table: pa.Table) -> pa.Table:
    """FINDINGS rows in the fixed order: catalogue order of rules, then ORDER within a rule, NULLs last."""
    rank = {code: i for i, code in enumerate(RULES)}
    keyed = table.append_column("_rank", pa.array([rank[c] for c in table.column("rule").to_pylist()],
                                                  type=pa.int32()))
    keyed = keyed.append_column("first_row", first_rows(table.column("source_rows")))
    order = pc.sort_indices(keyed, sort_keys=[(c, "ascending", "at_end") for c in ("_rank", *ORDER)])
    return table.take(order)


def resolve_ids(findings: pa.Table, members: Mapping[int, str | None],
                hashes: Mapping[str, str] | None = None) -> pa.Table:
    """The findings with plain ID numbers, in the fixed order. A registry member's finding takes
    ``members[member_key]`` (the empty string for an empty ID) and drops its hash, as the rules gave it when
    they read plain IDs; a finding outside the registry takes ``hashes[id_hash]`` when given (an exact load)
    and keeps the hash otherwise (a hashed load). A member missing from ``members`` keeps the hash."""
    hashes = hashes or {}
    numbers: list[str | None] = []
    kept: list[str | None] = []
    for member, hashed in zip(findings.column("member_key").to_pylist(), findings.column("id_hash").to_pylist(),
                              strict=True):
        plain = members.get(member) if member is not None else hashes.get(hashed) if hashed else None
        numbers.append(plain)
        kept.append(None if plain is not None else hashed)
    table = findings.set_column(FINDINGS.get_field_index("id_number"), FINDINGS.field("id_number"),
                                pa.array(numbers, pa.string()))
    table = table.set_column(FINDINGS.get_field_index("id_hash"), FINDINGS.field("id_hash"),
                             pa.array(kept, pa.string()))
    return sort_findings(table)


__all__ = ["ID_FACTS", "ORDER", "PLAIN_PEOPLE", "dataset_table", "first_rows", "id_facts", "people_table",
           "resolve_ids", "sort_findings"]
