"""What a dataset version keeps beside it (sunshine.engine.comparison.versions) and the incremental run that
uses it: the diff stored at load and the rows gathered by key (the dataset's and the people's) give the full
run's findings without reading the changed dataset, its earlier version or the registry at all (all three are
replaced here by empty tables: a run that read any of them would give other findings)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.comparison.catalogue import HEAD, RULES
from sunshine.engine.comparison.incremental import Base, Inputs, run_incremental
from sunshine.engine.comparison.versions import RowIndex, Sidecars, chained_diff, prepare, prepare_people
from sunshine.engine.tests.comparison_builders import PARAMS, YEAR
from sunshine.engine.tests.test_comparison_incremental import (
    ALL_RULES,
    DATASET_RULES,
    EDITS,
    KINDS,
    TABLES,
    _base,
    _edit,
    _expected,
    _inputs,
    alter,
    delete,
)


def _versions(tmp_path: Path, name: str, tables: list[pa.Table]) -> tuple[list[Path], list[str]]:
    """The tables written as consecutive versions of ``name`` with their sidecars, as a load writes them."""
    paths, stamps = [], []
    for number, table in enumerate(tables, start=1):
        path = tmp_path / name / f"v{number}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        prepare(path, stamp=f"stamp-{number}", previous=paths[-1] if paths else None)
        paths.append(path)
        stamps.append(f"stamp-{number}")
    return paths, stamps


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize("code", DATASET_RULES)
def test_the_stored_diff_and_rows_give_the_full_run_without_reading_the_dataset(tmp_path, code, kind):
    _check_stored(tmp_path, code, kind)


def test_the_gathered_rows_serve_on_both_engines(tmp_path, backend):
    _check_stored(tmp_path, "C-NOMED", "insert", backend)


def _check_stored(tmp_path: Path, code: str, kind: str, engine=None) -> None:
    (name,) = RULES[code].datasets
    old = TABLES[f"ds_{name}"]
    new = _edit(code, kind)(old)
    paths, stamps = _versions(tmp_path, name, [old, new])
    diff = chained_diff(paths, stamps[0], stamps[-1])
    index = RowIndex.open(Sidecars.of(paths[-1]).rows, stamp=stamps[-1])
    assert diff is not None and index is not None
    empty = old.schema.empty_table()
    # a head rule (C-DIBAO-MISSING) filters the dataset itself: only the earlier version is left out for it
    heads = any(RULES[c].key == HEAD for c in ALL_RULES if name in RULES[c].datasets)
    people = tmp_path / "people.parquet"
    pq.write_table(TABLES["people"], people)
    prepare_people(people, stamp="people")
    people_rows = RowIndex.open(Sidecars.of(people).rows, stamp="people")
    assert people_rows is not None
    tables = TABLES | ({f"ds_{name}": new} if heads else
                       {f"ds_{name}": empty, "people": TABLES["people"].schema.empty_table()})
    with DuckDBBackend(threads=1) as duck:
        outcome = run_incremental(engine or duck, inputs=_inputs(tables) if heads else
                                  Inputs(**(vars(_inputs(tables)) | {"rows": {name: index},
                                                                      "people_rows": people_rows})),
                                  year=YEAR, params=PARAMS, key_kinds=KINDS,
                                  base=Base(findings=_base(), rules=ALL_RULES, key_kinds=KINDS,
                                            changed={name: empty}, diffs={name: diff}))
    assert outcome.findings.equals(_expected(code, kind))
    assert outcome.stored_diffs == [name] and outcome.changed_rows[name] == 1
    assert outcome.indexed == ([] if heads else [name])
    assert outcome.rules[code] == "by_key"


def test_diffs_chain_over_versions_and_refuse_other_contents(tmp_path):
    name = "medical_insurance"
    one = TABLES[f"ds_{name}"]
    two = delete(0)(one)
    three = alter(1, "insured_status", "stopped")(two)
    paths, stamps = _versions(tmp_path, name, [one, two, three])
    chained = chained_diff(paths, stamps[0], stamps[-1])
    assert chained is not None and chained.num_rows == 2
    assert sorted(chained.column("source_row").to_pylist()) == sorted(
        [one.column("source_row")[0].as_py(), two.column("source_row")[1].as_py()])
    assert chained.column_names == ["source_row", "old_id_hash", "new_id_hash"]
    assert chained_diff(paths, "another file", stamps[-1]) is None      # the first version was replaced
    assert chained_diff(paths, stamps[0], "another file") is None       # so was the last
    assert chained_diff(paths[:1], stamps[0], stamps[0]) is None        # no diff between a version and itself
    Sidecars.of(paths[1]).diff.unlink()
    assert chained_diff(paths, stamps[0], stamps[-1]) is None           # a link of the chain is gone
    assert RowIndex.open(Sidecars.of(paths[-1]).rows, stamp="another file") is None
    assert RowIndex.open(tmp_path / "missing.arrow", stamp=stamps[-1]) is None


def test_gather_finds_every_row_of_a_key_and_the_rows_without_one_by_source_row(tmp_path):
    name = "medical_insurance"
    table = TABLES[f"ds_{name}"]
    rows = table.num_rows
    (path,), (stamp,) = _versions(tmp_path, name, [table])
    index = RowIndex.open(Sidecars.of(path).rows, stamp=stamp)
    assert index is not None and index.keyed + index.unkeyed == rows
    hashes = pc.unique(pc.drop_null(table.column("id_hash")))
    unkeyed = table.filter(pc.is_null(table.column("id_hash"))).column("source_row")
    assert unkeyed.length() and index.unkeyed == unkeyed.length()
    every = index.gather(hashes, unkeyed.combine_chunks())
    assert every.schema.names == table.schema.names
    assert sorted(every.column("source_row").to_pylist()) == sorted(table.column("source_row").to_pylist())
    one = hashes[0].as_py()
    got = index.gather(pa.array([one, "f" * 64]), pa.array([], pa.int64()))
    assert got.column("id_hash").to_pylist() == [one] * table.filter(pc.equal(table.column("id_hash"), one)).num_rows
    # the encrypted columns are not in the rows file: NULL, as a run must never read them
    assert got.column("id_number").null_count == got.num_rows


def test_members_gathers_people_by_hash_and_by_member_key(tmp_path):
    people = TABLES["people"]
    path = tmp_path / "people.parquet"
    pq.write_table(people, path)
    prepare_people(path, stamp="s")
    index = RowIndex.open(Sidecars.of(path).rows, stamp="s")
    assert index is not None and index.keyed + index.unkeyed == people.num_rows
    unhashed = people.filter(pc.is_null(people.column("id_hash"))).column("member_key").to_pylist()
    hashes = pc.drop_null(people.column("id_hash"))
    every = index.members(hashes, pa.array(unhashed, pa.int64()))
    assert every.schema == people.schema
    assert sorted(every.column("member_key").to_pylist()) == sorted(people.column("member_key").to_pylist())
    first = people.slice(0, 1)
    one = index.members(first.column("id_hash").combine_chunks(), pa.array([], pa.int64()))
    same = people.filter(pc.equal(people.column("id_hash"), first.column("id_hash")[0]))
    assert sorted(one.column("member_key").to_pylist()) == sorted(same.column("member_key").to_pylist())
