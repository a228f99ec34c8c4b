"""Keeping the comparison's files under DATA_DIR sealed under the current keys (`sunshine keys rotate|rehash`).

A stored load is encrypted under the data key of the day it was stored and hashed under the hash key of that
day. Before `sunshine keys rotate` retires old data keys, every load is sealed again under the current one
(else its evidence could no longer be read); after `sunshine keys rehash` the hashes of exact loads follow the
new hash key. The same step converts files written before IDs were sealed: plain loads, and run snapshots of
format 1 (people.parquet with plain IDs) and their findings.parquet.

Rewriting a load changes its checksum, which frozen run snapshots check: each manifest that froze the load
gets the new checksum before the file is replaced, keeping the old one as ``earlier_sha256`` (accepted too),
so an interruption at any point leaves every run re-runnable and the step can simply be run again. The plain
content is the same, so a re-run still gives the same findings."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings

from sunshine.comparison.datasets.sealing import SEALED_COLUMNS, hash_key, is_current, seal, stored_schema, unseal
from sunshine.core import crypto
from sunshine.engine.comparison.datasets import ID_COLUMNS
from sunshine.engine.comparison.idhash import keyed_hashes
from sunshine.engine.comparison.prepare import people_table
from sunshine.engine.comparison.snapshot import FINDINGS

Say = Callable[[str], None]
RUNS = Path("comparison") / "runs"


def _sha256(path: Path) -> str:
    from sunshine.comparison.runs.snapshot import sha256_file

    return sha256_file(path)


def _write(table: pa.Table, path: Path) -> Path:
    tmp = path.with_name(path.name + ".new")
    pq.write_table(table, tmp, compression="zstd")
    return tmp


def _key_ids(path: Path) -> set[str]:
    names = [c for c in SEALED_COLUMNS if c in pq.read_schema(path).names]
    if not names:
        return set()
    table = pq.read_table(path, columns=names)
    ids: set[str] = set()
    for name in names:
        prefixes = pc.utf8_slice_codeunits(table.column(name), 0, 8).unique().drop_null()
        ids.update(prefixes.to_pylist())
    return ids


def stale(path: Path, *, hashed: bool) -> bool:
    """Whether a load must be sealed again: written before sealing, hashed (exact) under another hash key, or
    holding a value encrypted under a key that is no longer the current one."""
    if not is_current(path, hashed=hashed):
        return True
    return bool(_key_ids(path) - {crypto.keyring().current_id})


def _manifests(data_dir: Path) -> list[Path]:
    return sorted((data_dir / RUNS).glob("*/manifest.json"))


def _save_manifest(path: Path, manifest: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def _refreeze(data_dir: Path, relative: str, old: str, new: str) -> None:
    """Every manifest that froze ``relative`` at checksum ``old`` now expects ``new`` (and still accepts old)."""
    for path in _manifests(data_dir):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for entry in manifest.get("loads", []):
            frozen = (entry["sha256"], *entry.get("earlier_sha256", []))
            if entry["path"] == relative and old in frozen and entry["sha256"] != new:
                entry.setdefault("earlier_sha256", []).append(entry["sha256"])
                entry["sha256"] = new
                changed = True
        if changed:
            _save_manifest(path, manifest)


def reseal_load(data_dir: Path, relative: str, dataset: str, *, hashed: bool) -> bool:
    """Seal one load again under the current keys, if it needs it; whether it was rewritten."""
    path = data_dir / relative
    if not path.is_file() or not stale(path, hashed=hashed):
        return False
    table = unseal(pq.read_table(path))
    if not hashed:  # computed by us: from the numbers, under the current hash key
        for plain, hashed_column in ID_COLUMNS.items():
            if plain in table.column_names and hashed_column in table.column_names:
                index = table.schema.get_field_index(hashed_column)
                table = table.set_column(index, table.schema.field(index), pa.nulls(table.num_rows, pa.string()))
    tmp = _write(seal(dataset, table).cast(stored_schema(dataset)), path)
    _refreeze(data_dir, relative, _sha256(path), _sha256(tmp))
    os.replace(tmp, path)
    return True


def _convert_snapshot(directory: Path) -> bool:
    """A format-1 run directory: people.parquet and findings.parquet without plain IDs, the manifest updated."""
    from sunshine.comparison.runs.snapshot import FORMAT as SNAPSHOT_FORMAT
    from sunshine.comparison.runs.snapshot import MANIFEST

    changed = False
    findings = directory / "findings.parquet"
    if findings.is_file():
        table = pq.read_table(findings)
        if "id_number" in table.column_names and table.column("id_number").null_count < table.num_rows:
            numbers = table.column("id_number")
            hashes = pc.coalesce(table.column("id_hash"), keyed_hashes(numbers, hash_key()))
            table = table.set_column(FINDINGS.get_field_index("id_hash"), FINDINGS.field("id_hash"), hashes)
            table = table.set_column(FINDINGS.get_field_index("id_number"), FINDINGS.field("id_number"),
                                     pa.nulls(table.num_rows, pa.string()))
            os.replace(_write(table.cast(FINDINGS), findings), findings)
            changed = True
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        return changed
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    people = directory / manifest["people"]["file"]
    if manifest.get("format", 1) >= SNAPSHOT_FORMAT or not people.is_file():
        return changed
    if "id_number" in pq.read_schema(people).names:
        os.replace(_write(people_table(pq.read_table(people), hash_key()), people), people)
    # After the file: an interruption in between leaves a run that refuses to re-run until this runs again.
    manifest["people"]["sha256"] = _sha256(people)
    manifest["format"] = SNAPSHOT_FORMAT
    _save_manifest(manifest_path, manifest)
    return True


def reseal_all(loads: Iterable[tuple[str, str, bool]], *, say: Say | None = None) -> dict[str, int]:
    """Seal every load (``(path, dataset, hashed)``) again where needed and convert format-1 run snapshots;
    the counts of files rewritten."""
    data_dir = Path(settings.DATA_DIR)
    counts = {"loads": 0, "snapshots": 0}
    for relative, dataset, hashed in loads:
        if reseal_load(data_dir, relative, dataset, hashed=hashed):
            counts["loads"] += 1
            if say:
                say(f"  {relative}: 已按当前密钥重新加密")
    for manifest in _manifests(data_dir):
        if _convert_snapshot(manifest.parent):
            counts["snapshots"] += 1
    return counts


def reseal_stored_loads(say: Say | None = None) -> dict[str, int]:
    """reseal_all over every DatasetLoad (for `sunshine keys rotate|rehash`)."""
    from sunshine.comparison.models import DatasetLoad

    return reseal_all(DatasetLoad.objects.order_by("pk").values_list("path", "dataset", "hashed"), say=say)
