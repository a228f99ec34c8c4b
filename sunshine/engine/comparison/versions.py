"""What a dataset version keeps beside its Parquet file so that an incremental comparison costs what changed,
not what the file holds (sunshine.engine.comparison.incremental). Written once, when the version is loaded
(the loader has just written the whole file anyway); each names the version file's ``stamp`` (the caller's
fingerprint of it: the sha256 that run snapshots freeze), so a file sealed again or replaced since is never
read with the sidecars of another content.

``<version>.keys.parquet``  one row per row of the version: source_row, id_hash (and head_id_hash for 民政低保特困)
        and row_hash — DuckDB's hash of every column but source_row and the encrypted ID columns (which are
        encrypted afresh on every load and never read by a rule). Small; only the next version's diff reads it.
``<version>.diff.parquet``  the rows changed against the previous version of the dataset: source_row and, for
        each key column, its old and new value (``old_id_hash``, ``new_id_hash`` …), as incremental's own diff
        gives them. An anti-join of two keys files: no data file is read. Written only when both versions have
        the same columns (otherwise there is nothing to diff: the run recomputes the dataset's rules whole).
        Diffs chain: the changed rows between versions 3 and 6 are those of diffs 4, 5 and 6 together (a row
        changed and changed back is recomputed to the same findings: counting too many is never wrong).
``<version>.unlinked.parquet``  the version's rows with neither an ID nor an id_hash (the encrypted columns left
        out: they are empty or not read there): the only rows probabilistic matching reads, which a run would
        otherwise find by reading the ID columns of every row (a province's 50 M department rows: 15 s a run).
``<version>.rows.arrow``  the version's rows (but the encrypted columns) sorted by the 64-bit hash of id_hash,
        the rows without one last in source_row order, uncompressed Arrow IPC: memory-mapped, the rows of the
        keys an incremental run recomputes are gathered with a binary search and a take, reading those rows
        only. Parquet cannot do that: the touched keys of a 1% change are spread over every row group, so any
        filtered read of it decompresses the whole key column.
``people.rows.arrow``  the same for a run's registry snapshot (``prepare_people``, every column kept, rows
        without an id_hash last in member order): the touched members are gathered from it, not scanned for.

Hashes are DuckDB's ``hash`` (64-bit): files written by another DuckDB version are not used (its hash may
differ), and a hash match is confirmed on id_hash itself. Nothing here imports Django."""

# ruff: noqa: S608 - SQL is generated from fixed names and validated identifiers; data never enters the text

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sunshine.engine.comparison.datasets import ID_COLUMNS
from sunshine.engine.dialect import string_literal

KEYS, DIFF, ROWS, UNLINKED = ".keys.parquet", ".diff.parquet", ".rows.arrow", ".unlinked.parquet"
KEY_COLUMNS = ("id_hash", "head_id_hash")
# Encrypted afresh on every load (a changed ciphertext is no changed row) and never read by a rule.
IGNORED_COLUMNS = (*ID_COLUMNS, "id_raw")
METADATA = b"sunshine_version"
FORMAT = 1   # of the sidecars: files of another format (or DuckDB version) are not used
BATCH_ROWS = 1 << 20


@dataclass(frozen=True)
class Sidecars:
    keys: Path
    diff: Path
    rows: Path
    unlinked: Path

    @classmethod
    def of(cls, version: Path) -> Sidecars:
        stem = version.with_suffix("")
        return cls(*(stem.with_name(stem.name + suffix) for suffix in (KEYS, DIFF, ROWS, UNLINKED)))

    def remove(self) -> None:
        for path in (self.keys, self.diff, self.rows, self.unlinked):
            path.unlink(missing_ok=True)


def _meta(**values: object) -> dict[bytes, bytes]:
    return {METADATA: json.dumps({"format": FORMAT, "duckdb": duckdb.__version__, **values}).encode()}


def read_meta(schema: pa.Schema) -> dict:
    raw = (schema.metadata or {}).get(METADATA)
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if found.get("duckdb") == duckdb.__version__ and found.get("format") == FORMAT else {}


def _columns(path: Path) -> list[str]:
    return pq.read_schema(path).names


def _write_parquet(con: duckdb.DuckDBPyConnection, sql: str, out: Path, meta: dict[bytes, bytes]) -> None:
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    tmp = out.with_name(out.name + ".tmp")
    with pq.ParquetWriter(tmp, reader.schema.with_metadata(meta), compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
    tmp.replace(out)


def write_keys(con: duckdb.DuckDBPyConnection, version: Path, out: Path, *, stamp: str) -> None:
    names = _columns(version)
    keys = [c for c in KEY_COLUMNS if c in names]
    hashed = [c for c in names if c != "source_row" and c not in IGNORED_COLUMNS]
    sql = (f"SELECT source_row, {', '.join(keys)}, hash({', '.join(hashed)}) AS row_hash "
           f"FROM read_parquet({string_literal(str(version))})")
    _write_parquet(con, sql, out, _meta(stamp=stamp, columns=names))


def write_diff(con: duckdb.DuckDBPyConnection, old_keys: Path, new_keys: Path, out: Path) -> bool:
    """The diff of two keys files (module docstring); False (nothing written) when they cannot be diffed."""
    old, new = read_meta(pq.read_schema(old_keys)), read_meta(pq.read_schema(new_keys))
    if not old or not new or old["columns"] != new["columns"]:
        return False
    keys = [c for c in KEY_COLUMNS if c in new["columns"]]
    picked = "".join(f", o.{k} AS old_{k}, n.{k} AS new_{k}" for k in keys)
    sql = f"""SELECT coalesce(n.source_row, o.source_row) AS source_row{picked}
FROM read_parquet({string_literal(str(new_keys))}) AS n
FULL OUTER JOIN read_parquet({string_literal(str(old_keys))}) AS o ON n.source_row = o.source_row
WHERE n.source_row IS NULL OR o.source_row IS NULL OR n.row_hash <> o.row_hash
ORDER BY 1"""
    _write_parquet(con, sql, out, _meta(old=old["stamp"], new=new["stamp"]))
    return True


def write_rows(con: duckdb.DuckDBPyConnection, version: Path, out: Path, *, stamp: str, order: str = "source_row",
               drop: Sequence[str] = IGNORED_COLUMNS) -> None:
    """The rows file of a Parquet file (module docstring): sorted by the hash of id_hash, then ``order``."""
    schema = pq.read_schema(version)
    kept = [c for c in schema.names if c not in drop]
    # hash(NULL) is a number in DuckDB: k stays NULL for the rows without an id_hash (found by ``order``)
    sql = (f"SELECT {', '.join(kept)}, CASE WHEN id_hash IS NOT NULL THEN hash(id_hash) END AS k, "
           "id_hash IS NULL AS unkeyed "
           f"FROM read_parquet({string_literal(str(version))}) ORDER BY unkeyed, k, {order}")
    reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    fields = [f for f in reader.schema if f.name != "unkeyed"]
    meta = _meta(stamp=stamp, schema=base64.b64encode(schema.remove_metadata().serialize().to_pybytes()).decode())
    tmp = out.with_name(out.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, pa.schema(fields, metadata=meta)) as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays([batch.column(f.name) for f in fields],
                                                          schema=pa.schema(fields)))
    tmp.replace(out)


def write_unlinked(con: duckdb.DuckDBPyConnection, version: Path, out: Path, *, stamp: str) -> None:
    names = _columns(version)
    kept = [c for c in names if c not in IGNORED_COLUMNS]
    sql = (f"SELECT {', '.join(kept)} FROM read_parquet({string_literal(str(version))}) "
           "WHERE id_number IS NULL AND id_hash IS NULL ORDER BY source_row")
    _write_parquet(con, sql, out, _meta(stamp=stamp, columns=names))


def read_unlinked(version: Path, *, stamp: str) -> pa.Table | None:
    """The unlinked sidecar of the file stamped ``stamp`` with ``id_number`` back as the empty column it is in
    those rows; None when there is none for that content."""
    try:
        table = pq.read_table(Sidecars.of(version).unlinked)
    except (OSError, pa.ArrowInvalid):
        return None
    if read_meta(table.schema).get("stamp") != stamp:
        return None
    return table.replace_schema_metadata(None).append_column("id_number", pa.nulls(table.num_rows, pa.string()))


def prepare(version: Path, *, stamp: str, previous: Path | None = None, rows: bool = True) -> Sidecars:
    """Write the sidecars of ``version`` (``stamp``: its fingerprint), with its diff against ``previous``
    (the dataset's previous version file, whose keys sidecar must exist) when given."""
    sidecars = Sidecars.of(version)
    sidecars.remove()
    con = duckdb.connect()
    try:
        if "id_hash" not in _columns(version) or "source_row" not in _columns(version):
            return sidecars
        write_keys(con, version, sidecars.keys, stamp=stamp)
        if previous is not None and Sidecars.of(previous).keys.is_file():
            write_diff(con, Sidecars.of(previous).keys, sidecars.keys, sidecars.diff)
        if rows:
            write_rows(con, version, sidecars.rows, stamp=stamp)
        if "id_number" in _columns(version):
            write_unlinked(con, version, sidecars.unlinked, stamp=stamp)
    finally:
        con.close()
    return sidecars


def prepare_people(people: Path, *, stamp: str) -> Sidecars:
    """The rows file of a run's people (PEOPLE, every column: the rules read them): a member rule recomputed
    for a few members gathers their rows from it instead of reading the whole registry. Written once per
    registry snapshot (an incremental run's people are its base's, or the run is full)."""
    sidecars = Sidecars.of(people)
    con = duckdb.connect()
    try:
        write_rows(con, people, sidecars.rows, stamp=stamp, order="member_key", drop=())
    finally:
        con.close()
    return sidecars


def chained_diff(versions: Sequence[Path], first: str, last: str) -> pa.Table | None:
    """The rows changed from ``versions[0]`` to ``versions[-1]`` (consecutive versions of one dataset; ``first``
    and ``last``: the stamps of those two files): the union of the diffs of versions[1:], or None when one is
    missing or the diffs do not chain from ``first`` to ``last`` (a file replaced or sealed again since)."""
    tables, stamp = [], first
    for version in versions[1:]:
        path = Sidecars.of(version).diff
        if not path.is_file():
            return None
        table = pq.read_table(path)
        meta = read_meta(table.schema)
        if meta.get("old") != stamp:
            return None
        stamp = meta["new"]
        tables.append(table.replace_schema_metadata(None))
    if not tables or stamp != last:
        return None
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


class RowIndex:
    """A rows file, memory-mapped: the rows of given keys without reading the others."""

    def __init__(self, path: Path, table: pa.Table, schema: pa.Schema) -> None:
        self.path, self.table, self.schema = path, table, schema
        keys = table.column("k")
        self.unkeyed = keys.null_count
        self.keyed = table.num_rows - self.unkeyed
        # per batch, views of the memory-mapped file (no copy: a search touches a few pages of it)
        self.k: list[tuple[int, np.ndarray]] = []
        offset = 0
        for chunk in keys.chunks:
            usable = max(0, min(len(chunk), self.keyed - offset))
            if usable:
                self.k.append((offset, chunk.slice(0, usable).to_numpy()))
            offset += len(chunk)

    @classmethod
    def open(cls, path: Path, *, stamp: str) -> RowIndex | None:
        """The index of ``path`` when it is the rows file of the file stamped ``stamp``, else None."""
        try:
            reader = pa.ipc.open_file(pa.memory_map(str(path), "r"))
        except (OSError, pa.ArrowInvalid):
            return None
        meta = read_meta(reader.schema)
        if meta.get("stamp") != stamp:
            return None
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(meta["schema"])))
        return cls(path, reader.read_all(), schema)

    def _keyed(self, hashes: pa.Array) -> tuple[np.ndarray, pa.Array]:
        """Positions of the rows whose hash of id_hash is one of ``hashes``' (a superset: confirmed on
        id_hash after the take), and the distinct hashes."""
        wanted = pc.unique(pc.drop_null(hashes.cast(pa.string())))
        con = duckdb.connect()
        try:
            con.register("wanted", pa.table({"h": wanted}))
            k = con.sql("SELECT DISTINCT hash(h) AS k FROM wanted ORDER BY k").to_arrow_table().column("k")
        finally:
            con.close()
        k = k.to_numpy() if k.num_chunks <= 1 else np.concatenate([c.to_numpy() for c in k.chunks])
        found_at = [offset + _ranges(np.searchsorted(values, k, side="left"),
                                     np.searchsorted(values, k, side="right")) for offset, values in self.k]
        return (np.concatenate(found_at) if found_at else np.array([], np.int64)), wanted

    def _where_in(self, column: str, values: pa.Array, start: int = 0) -> np.ndarray:
        """Positions (from ``start`` on) of the rows whose ``column`` is one of ``values``: a scan of that
        column only (for the few rows without an id_hash, or the members a few links name)."""
        wanted = pc.drop_null(values.cast(pa.int64())).to_numpy(zero_copy_only=False)
        if not len(wanted) or start >= self.table.num_rows:
            return np.array([], np.int64)
        found, offset = [], 0
        for chunk in self.table.column(column).chunks:
            if offset + len(chunk) > start:
                skip = max(0, start - offset)
                hit = np.nonzero(np.isin(chunk.slice(skip).to_numpy(zero_copy_only=False), wanted))[0]
                found.append(hit + offset + skip)
            offset += len(chunk)
        return np.concatenate(found) if found else np.array([], np.int64)

    def _rows(self, picked: np.ndarray, keep: pa.ChunkedArray | None = None) -> pa.Table:
        found = self._take(np.unique(picked))
        columns = [found.column(f.name).cast(f.type) if f.name in found.column_names
                   else pa.nulls(found.num_rows, f.type) for f in self.schema]
        table = pa.Table.from_arrays(columns, schema=self.schema)
        return table if keep is None else table.filter(keep)

    def gather(self, hashes: pa.Array, source_rows: pa.Array) -> pa.Table:
        """The rows whose id_hash is one of ``hashes`` and the rows without an id_hash whose source_row is one
        of ``source_rows``, in the version's schema (encrypted columns NULL), in file order."""
        picked, wanted = self._keyed(hashes)
        if self.unkeyed and len(source_rows):
            picked = np.concatenate([picked, self._where_in("source_row", source_rows, self.keyed)])
        found = self._rows(picked)
        keyed = pc.fill_null(pc.is_in(found.column("id_hash"), value_set=wanted), False)
        return found.filter(pc.or_(keyed, pc.is_null(found.column("id_hash"))))

    def members(self, hashes: pa.Array, member_keys: pa.Array) -> pa.Table:
        """The people whose id_hash is one of ``hashes`` or whose member_key is one of ``member_keys``."""
        picked, wanted = self._keyed(hashes)
        picked = np.concatenate([picked, self._where_in("member_key", member_keys)])
        found = self._rows(picked)
        keys = pc.unique(pc.drop_null(member_keys.cast(pa.int64())))
        return found.filter(pc.or_(pc.fill_null(pc.is_in(found.column("id_hash"), value_set=wanted), False),
                                   pc.is_in(found.column("member_key"), value_set=keys)))

    def _take(self, picked: np.ndarray) -> pa.Table:
        """Rows at sorted positions, batch by batch: a take over the whole (chunked) table would first
        concatenate its chunks, copying the file into memory."""
        parts, offset = [], 0
        for batch in self.table.to_batches():
            lo, hi = np.searchsorted(picked, [offset, offset + batch.num_rows])
            if hi > lo:
                parts.append(batch.take(pa.array(picked[lo:hi] - offset, pa.int64())))
            offset += batch.num_rows
        return pa.Table.from_batches(parts, schema=self.table.schema)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of range(s, e) for each pair."""
    lengths = ends - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    if not len(starts):
        return np.array([], np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return (offsets + np.arange(lengths.sum())).astype(np.int64)


__all__ = ["IGNORED_COLUMNS", "RowIndex", "Sidecars", "chained_diff", "prepare", "prepare_people", "read_meta"]
