"""Synthetic province for benchmarks/compare.py: one registry year and the 13 department datasets as Parquet,
with planted anomalies (the truth precision and recall are measured against) and near misses.

Vectorised with numpy and pyarrow (no Python loop per row). At scale 1.0: 2,500,000 registry members in
750,000 households of 2020 across 13 cities × 4 counties × 15 townships × 20 villages, and 50,000,000
department rows. Registry IDs use sequence numbers below 500 and everyone outside the registry (the rest of a
province of ~80M people) 500 and above, so no outsider matches a member by chance.

Most members are clean for the anti-join rules (insured, enrolled, on the 低保 roll when 享受低保 ...); the
members that carry a planted anomaly or a near miss are drawn without replacement (registry.Picker), so each
plays one part and the truth of every rule is known by construction. One cross-rule effect is intended and
counted: a member whose registry ID is invalid (C-ID) matches no department row (departments hold the
person's valid ID), so C-NOMED and C-NOPENSION flag them too.

Files in the work directory: people.parquet (PLAIN_PEOPLE, plain IDs: compare.py prepares the engine's
copy), ds_<dataset>.parquet (arrow_schema(dataset)),
truth.parquet (rule, key, kind: the expected findings; key = ID, household_no for C-HOUSING, the head's ID for
C-DIBAO-MISSING), near.parquet (the same for rows that must not be flagged) and manifest.json (parameters and
counts: a later run with the same parameters reuses the files).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .rows import YEAR, frame

VERSION = 1
FULL_MEMBERS, FULL_HOUSEHOLDS, FULL_PLANTS, FULL_NEAR = 2_500_000, 750_000, 2000, 500
FULL_ROWS = {  # 50,000,000 in all
    "deaths": 1_000_000, "students": 8_000_000, "medical_insurance": 20_000_000, "pension_insurance": 15_000_000,
    "medical_claims": 1_000_000, "dibao": 600_000, "disability": 500_000, "housing_renovation": 400_000,
    "businesses": 800_000, "vehicles": 1_000_000, "real_estate": 900_000, "public_payroll": 500_000,
    "disasters": 300_000,
}
__all__ = ["FULL_ROWS", "YEAR", "generate"]


def generate(directory: Path, scale: float, seed: int, log: Callable[[str], None] = print) -> dict:
    """Write the province to ``directory``, or keep the files there when manifest.json has the same
    parameters; returns the manifest."""
    params = {"version": VERSION, "scale": scale, "seed": seed}
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params and all((directory / f).exists() for f in manifest["files"]):
            manifest["reused"] = True
            return manifest
    from .outside import outsider_table
    from .parts import core_tables, truth_tables
    from .registry import Province

    directory.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    province = Province(rng, round(FULL_MEMBERS * scale), round(FULL_HOUSEHOLDS * scale),
                        max(20, round(FULL_PLANTS * scale)), max(10, round(FULL_NEAR * scale)))
    pq.write_table(province.people, directory / "people.parquet")
    log(f"people: {province.people.num_rows:,} members of {province.H:,} households "
        f"({time.perf_counter() - started:.0f} s)")
    counts = {}
    for name, core in core_tables(rng, province):
        counts[name] = write_dataset(directory / f"ds_{name}.parquet", name, core, round(FULL_ROWS[name] * scale),
                                     rng, outsider_table)
        log(f"ds_{name}: {counts[name]:,} rows, {core.num_rows:,} about registry members or planted "
            f"({time.perf_counter() - started:.0f} s)")
    truth, near = truth_tables(province)
    pq.write_table(truth, directory / "truth.parquet")
    pq.write_table(near, directory / "near.parquet")
    manifest = {"params": params, "people": province.people.num_rows, "households": province.H, "rows": counts,
                "planted": truth.num_rows, "near_misses": near.num_rows,
                "files": ["people.parquet", "truth.parquet", "near.parquet", *(f"ds_{d}.parquet" for d in counts)],
                "seconds": round(time.perf_counter() - started, 1)}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    manifest["reused"] = False
    return manifest


def write_dataset(path: Path, name: str, core: pa.Table, total: int, rng: np.random.Generator,
                  outsiders: Callable[[np.random.Generator, str, int], pa.Table], chunk: int = 2_000_000) -> int:
    """The core rows mixed into ``total - len(core)`` outsiders' rows, shuffled chunk by chunk, and numbered
    from 2 as a spreadsheet would (source_row). Returns the number of rows written."""
    n_out = max(0, total - core.num_rows)
    parts = max(1, -(-n_out // chunk))
    core = core.take(pa.array(rng.permutation(core.num_rows)))
    core_cut = np.linspace(0, core.num_rows, parts + 1).astype(np.int64)
    out_cut = np.linspace(0, n_out, parts + 1).astype(np.int64)
    written = 0
    with pq.ParquetWriter(path, frame(name, {}, 0).schema) as writer:
        for i in range(parts):
            table = pa.concat_tables([outsiders(rng, name, int(out_cut[i + 1] - out_cut[i])),
                                      core.slice(int(core_cut[i]), int(core_cut[i + 1] - core_cut[i]))])
            table = table.take(pa.array(rng.permutation(table.num_rows)))
            numbers = pa.array(np.arange(written + 2, written + 2 + table.num_rows))
            table = table.set_column(0, table.schema.field(0), numbers)
            writer.write_table(table)
            written += table.num_rows
    return written
