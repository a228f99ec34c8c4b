"""ID numbers in stored loads: hashed for matching, encrypted for evidence (issue 12).

A load is written with id_hash (head_id_hash) for every row that has a valid ID — sent by the department, or
the keyed hash of the plain number computed here — and with id_number, head_id_number and id_raw encrypted
(sunshine.core.crypto), so no Parquet file under DATA_DIR holds a plain ID. Dataset 民政低保特困 also keeps
head_id_region (the county digits C-DIBAO-MISSING scopes on). The file's schema metadata says so, with the
fingerprint of the hash key used.

Files written before (plain numbers, no id_hash on exact rows) and files hashed under another key are still
read: ``readable`` gives the engine an in-memory table with the hashes computed from the (decrypted) numbers;
nothing on disk changes, so the checksums frozen in run snapshots still hold."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings

from sunshine.core.crypto import decrypt_many, encrypt_many
from sunshine.engine.comparison.datasets import ID_COLUMNS, arrow_schema
from sunshine.engine.comparison.idhash import key_fingerprint
from sunshine.engine.comparison.prepare import dataset_table

METADATA_KEY = b"sunshine"
FORMAT = "sealed-ids-1"
# Stored columns holding an ID (or what was written for one) that are kept encrypted.
SEALED_COLUMNS = ("id_number", "head_id_number", "id_raw")


def hash_key() -> str:
    return settings.SUNSHINE_ID_HASH_KEY


def stored_schema(name: str) -> pa.Schema:
    """arrow_schema(name) with the metadata of a sealed load under the current hash key."""
    marker = {"ids": FORMAT, "hash_key": key_fingerprint(hash_key())}
    return arrow_schema(name).with_metadata({METADATA_KEY: json.dumps(marker).encode("ascii")})


def _replace(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, table.schema.field(index), values)


def seal(name: str, table: pa.Table) -> pa.Table:
    """A table in arrow_schema(name) with plain ID columns → as stored: hashes and derived columns filled,
    the ID columns encrypted."""
    table = dataset_table(name, table, hash_key())
    for column in SEALED_COLUMNS:
        if column in table.column_names and table.column(column).null_count < table.num_rows:
            table = _replace(table, column, pa.array(encrypt_many(table.column(column).to_pylist()), pa.string()))
    return table


def unseal(table: pa.Table) -> pa.Table:
    """The ID columns of a stored table decrypted (a value written plain, before encryption, stays as it is).
    In memory only: for evidence shown to a reader, and for hashing an old load again."""
    for column in SEALED_COLUMNS:
        if column in table.column_names and table.column(column).null_count < table.num_rows:
            table = _replace(table, column, pa.array(decrypt_many(table.column(column).to_pylist()), pa.string()))
    return table


def marker(path: Path) -> dict[str, str]:
    raw = (pq.read_schema(path).metadata or {}).get(METADATA_KEY)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def is_current(path: Path, *, hashed: bool = False) -> bool:
    """Whether a stored load is sealed and (unless the department sent the hashes) hashed under the current
    key, so the engine can read it as it is."""
    found = marker(path)
    return found.get("ids") == FORMAT and (hashed or found.get("hash_key") == key_fingerprint(hash_key()))


def readable(name: str, path: Path, *, hashed: bool) -> Path | pa.Table:
    """What the engine registers for a load: its file when current, else the load in memory with the hashes
    the rules match on computed now — from the plain numbers of a file written before encryption, or from the
    decrypted ones of a file hashed under an earlier key. A hashed load's hashes came from the department and
    are kept as they are."""
    if is_current(path, hashed=hashed):
        return path
    table = pq.read_table(path)
    if not hashed:
        table = unseal(table)
        for plain, hashed_column in ID_COLUMNS.items():
            if plain in table.column_names and hashed_column in table.column_names:
                table = _replace(table, hashed_column, pa.nulls(table.num_rows, pa.string()))
    table = dataset_table(name, table, hash_key())
    for column in SEALED_COLUMNS:  # the engine never reads them: nothing plain is handed over
        if column in table.column_names:
            table = _replace(table, column, pa.nulls(table.num_rows, pa.string()))
    return table


def plain_head_numbers(path: Path, source_rows: list[int]) -> dict[int, str]:
    """source_row → the decrypted 户主身份证号 of those rows of a 民政低保特困 load (for findings outside the
    registry, which the engine names by the head's hash)."""
    if not source_rows:
        return {}
    dataset = pq.ParquetFile(path)
    table = dataset.read(columns=["source_row", "head_id_number"])
    table = table.filter(pc.is_in(table["source_row"], value_set=pa.array(sorted(set(source_rows)), pa.int64())))
    table = unseal(table)
    return {row: number for row, number in zip(table["source_row"].to_pylist(),
                                                table["head_id_number"].to_pylist(), strict=True) if number}


def read_plain(path: Path) -> pa.Table:
    """A stored load with its ID columns decrypted, without the file's metadata (tests, and tools that show a
    load to a reader allowed to see it)."""
    return unseal(pq.read_table(path)).replace_schema_metadata(None)
