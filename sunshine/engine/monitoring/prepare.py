"""Tables with plain ID numbers made into monitoring's inputs (sunshine.engine.monitoring.schema), which hold none.

For callers that build tables themselves (the engine tests, benchmarks/monitor.py): ``members`` gets ``id_hash``
and loses its ID numbers, ``signals`` (with ``id_number`` in place of id_hash, id_order and region_code) gets those
three, ``monitored`` (with ``head_id_number``) gets ``head_id_hash``. The hash is the database's keyed hash
(sunshine.core.crypto.keyed_hash) under ``key``: HMAC-SHA256 of the normalised ID, of the text as it is when it is
no valid ID, NULL for no ID. The app extracts these columns from the database (sunshine.monitoring.runs.snapshot)
without decrypting a member's or a monitored head's ID. Nothing here imports Django."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from sunshine.core.ids import InvalidIdNumber, normalize_id_number
from sunshine.engine.comparison.idhash import hmac_hex
from sunshine.engine.monitoring.schema import MEMBER_ID_HASH, MONITORED, SIGNALS

DERIVED = ("id_hash", "id_order", "region_code")
# The plain forms of SIGNALS and MONITORED: the ID number in place of what is derived from it.
PLAIN_SIGNALS = pa.schema([pa.field("id_number", pa.string()) if f.name == "id_hash" else f
                           for f in SIGNALS if f.name not in DERIVED[1:]])
PLAIN_MONITORED = pa.schema([pa.field("head_id_number", pa.string()) if f.name == "head_id_hash" else f
                             for f in MONITORED])


_ID18 = re.compile(r"^\d{17}[\dX]$")


def id_hasher(key: str | bytes) -> Callable[[str | None], str | None]:
    """The function ID number → its keyed hash (crypto.keyed_hash's rules; None for None and '')."""
    digest = hmac_hex(key)

    def hashed(value: str | None) -> str | None:
        if not value:
            return None
        text = value
        if not _ID18.match(value):   # a well-formed 18-character ID is its own normal form (as in crypto)
            try:
                text = normalize_id_number(value)
            except (InvalidIdNumber, ValueError):
                text = value
        return digest(text.encode("utf-8"))

    return hashed


def _hashes(column: pa.ChunkedArray | pa.Array, hashed: Callable[[str | None], str | None]) -> pa.Array:
    """The hash of every value, each distinct value hashed once (a person is in every year's members)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(array)
    digests = pa.array([hashed(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return digests.take(encoded.indices)


def order_and_region(ids: list[str | None]) -> dict[str, pa.Array]:
    """id_order (the rank of each ID in the order of the plain numbers) and region_code of ``ids``."""
    ranks = {value: rank for rank, value in enumerate(sorted({i for i in ids if i}))}
    return {"id_order": pa.array([ranks.get(i) if i else None for i in ids], pa.int64()),
            "region_code": pa.array([i[:6] + "000000" if i else None for i in ids], pa.string())}


def hashed_members(members: pa.Table, hashed: Callable[[str | None], str | None]) -> pa.Table:
    position = members.column_names.index("id_number")
    out = members.append_column(MEMBER_ID_HASH, _hashes(members.column("id_number"), hashed))
    return out.set_column(position, members.schema.field(position), pa.nulls(members.num_rows, pa.string()))


def hashed_signals(signals: pa.Table, hashed: Callable[[str | None], str | None]) -> pa.Table:
    ids = signals.column("id_number")
    derived = order_and_region(ids.to_pylist()) | {"id_hash": _hashes(ids, hashed)}
    return pa.table({f.name: derived[f.name] if f.name in derived else signals.column(f.name) for f in SIGNALS},
                    schema=SIGNALS)


def hashed_monitored(monitored: pa.Table, hashed: Callable[[str | None], str | None]) -> pa.Table:
    heads = _hashes(monitored.column("head_id_number"), hashed)
    return pa.table({f.name: heads if f.name == "head_id_hash" else monitored.column(f.name) for f in MONITORED},
                    schema=MONITORED)


def hashed_tables(tables: Mapping[str, pa.Table], key: str | bytes) -> dict[str, pa.Table]:
    """``tables`` with plain ID numbers → the same tables as monitoring reads them (no plain ID left)."""
    hashed = id_hasher(key)
    out = dict(tables)
    if "members" in out and "id_number" in out["members"].column_names \
            and MEMBER_ID_HASH.name not in out["members"].column_names:
        out["members"] = hashed_members(out["members"], hashed)
    if "signals" in out and "id_number" in out["signals"].column_names:
        out["signals"] = hashed_signals(out["signals"], hashed)
    if "monitored" in out and "head_id_number" in out["monitored"].column_names:
        out["monitored"] = hashed_monitored(out["monitored"], hashed)
    return out
