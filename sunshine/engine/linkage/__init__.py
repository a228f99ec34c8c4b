"""Probabilistic linkage of department rows without a valid ID to registry members (policy-rules.md §4): Splink
(Fellegi–Sunter, trained without labels) on name, name pinyin, birth date, gender and place, on DuckDB or Spark.

    rows = pa.concat_tables([unmatched_rows(name, table) for name, table in loads.items()])
    links = link(rows, people)                   # LINKS schema of sunshine.engine.comparison.snapshot

The comparison rules treat a linked row as that member's row, with match 'probabilistic'. Nothing here imports
Django.
"""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine.comparison.snapshot import LINKS
from sunshine.engine.linkage.features import department_features, people_features
from sunshine.engine.linkage.model import best_per_row, predict

__all__ = ["DEPARTMENT_ROWS", "link", "unmatched_rows"]

DEPARTMENT_ROWS = pa.schema([
    pa.field("dataset", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("birth_date", pa.date32()),
    pa.field("gender", pa.string()),
    pa.field("division_code", pa.string()),
])

# Seconds spent in each step of the last link() call in this process (read by the benchmark).
timings: dict[str, float] = {}


def unmatched_rows(dataset: str, table: pa.Table) -> pa.Table:
    """The rows of a stored load of ``dataset`` that only probabilistic matching can place: no valid ID and no
    ID hash, but a name. Columns of DEPARTMENT_ROWS."""
    has_name = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(table["name"]), ""), False)
    keep = pc.and_(pc.and_(pc.is_null(table["id_number"]), pc.is_null(table["id_hash"])), has_name)
    rows = table.filter(keep)
    return pa.Table.from_arrays(
        [pa.array([dataset] * rows.num_rows, pa.string()),
         *(rows[c].cast(DEPARTMENT_ROWS.field(c).type) for c in DEPARTMENT_ROWS.names[1:])],
        schema=DEPARTMENT_ROWS,
    )


def link(department: pa.Table, people: pa.Table, *, threshold: float = 0.95, engine: str = "duckdb",
         spark_session: Any = None, seed: int = 1, max_pairs: float = 1e6) -> pa.Table:  # noqa: ANN401
    """For each department row (rows of unmatched_rows, of one or more datasets), the single most probable
    registry member with match probability ≥ ``threshold`` (equal probabilities: the lowest member_key). Rows
    below the threshold are left out. ``people`` needs member_key, name, birth_date, gender and village_code
    (PEOPLE rows; the caller chooses which). The same inputs and seed give the same links.

    ``max_pairs`` random pairs estimate the u probabilities. Spark and DuckDB hash differently, so they sample
    different pairs unless max_pairs ≥ rows × members; probabilities then differ by about 1e-3 and a row close
    to the threshold may be linked on one engine only. Even on the same pairs they differ by about 1e-9,
    because Splink's Jaro-Winkler on Spark (its jar) and DuckDB's jaro_winkler_similarity are not quite the
    same function."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    timings.clear()
    if department.num_rows == 0 or people.num_rows == 0:
        return LINKS.empty_table()
    started = time.perf_counter()
    left, right = department_features(department), people_features(people)
    timings["features"] = time.perf_counter() - started

    started = time.perf_counter()
    # Splink turns the threshold into a match weight, infinite at 1
    pairs = predict(left, right, threshold=min(threshold, 1 - 1e-9), engine=engine, spark_session=spark_session,
                    seed=seed, max_pairs=max_pairs)
    # Splink filters on the match weight; the probability computed from it may fall a rounding below
    best = best_per_row(pairs.filter(pc.greater_equal(pairs["probability"], threshold)))
    timings["linkage"] = time.perf_counter() - started

    rows = best["row"]
    return pa.Table.from_arrays(
        [department["dataset"].take(rows).cast(pa.string()), department["source_row"].take(rows).cast(pa.int64()),
         best["member_key"], best["probability"]],
        schema=LINKS,
    ).sort_by([("dataset", "ascending"), ("source_row", "ascending")])
