"""Incremental comparison (sunshine.engine.comparison.incremental) equals a full run.

The base is the full run over the rule tests' scenario (every rule has findings there, with links). For every
rule that reads a dataset, and for each kind of edit of that dataset (insert, delete, alter), an edit that
changes the rule's findings is searched for on DuckDB; then, on each engine, the incremental run from the base
must give the full run's findings over the edited data row for row. A property test does the same over random
edits on DuckDB; other tests cover what makes a run (or a rule) fall back to full.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.comparison.catalogue import BY_KEY, FULL, HEAD, MEMBER, RULES
from sunshine.engine.comparison.incremental import IGNORED_COLUMNS, Base, Inputs, read_columns, run_incremental
from sunshine.engine.comparison.rules import rule_sql
from sunshine.engine.comparison.run import applicable_rules, run_comparison
from sunshine.engine.tests.comparison_builders import PARAMS, YEAR
from sunshine.engine.tests.test_comparison_rules import SCENARIO

TABLES = SCENARIO.tables()
KINDS = SCENARIO.key_kinds()
ALL_RULES = applicable_rules(KINDS)
DATASET_RULES = [code for code in RULES if RULES[code].datasets]
EDITS = ("insert", "delete", "alter")
FRESH = "f" * 64  # a hash nobody in the registry has
Edit = Callable[[pa.Table], pa.Table]


def _full(backend, tables: dict[str, pa.Table], rules=None) -> pa.Table:
    backend.register_all(tables)
    return run_comparison(backend, year=YEAR, params=PARAMS, key_kinds=KINDS, rules=rules)


@cache
def _base() -> pa.Table:
    with DuckDBBackend(threads=1) as duck:
        return _full(duck, TABLES)


@cache
def _people_hashes() -> tuple[str, ...]:
    return tuple(h for h in TABLES["people"].column("id_hash").to_pylist() if h)


def _inputs(tables: dict[str, pa.Table]) -> Inputs:
    return Inputs(people=tables["people"], links=tables["links"],
                  datasets={name[3:]: table for name, table in tables.items() if name.startswith("ds_")})


def _incremental(backend, tables: dict[str, pa.Table], changed: dict[str, pa.Table], **base: object):
    return run_incremental(backend, inputs=_inputs(tables), year=YEAR, params=PARAMS, key_kinds=KINDS,
                           base=Base(**({"findings": _base(), "rules": ALL_RULES, "key_kinds": KINDS,
                                         "changed": changed} | base)))


# --- edits of one dataset table ------------------------------------------------------------------------


def delete(i: int) -> Edit:
    return lambda t: t.filter(pa.array([j != i for j in range(t.num_rows)]))


def insert(i: int, key: str) -> Edit:
    """A copy of row i as a new row (the next source_row) of the person ``key`` (and, on 低保 rows, the head)."""
    def edit(t: pa.Table) -> pa.Table:
        row = t.slice(i, 1).to_pylist()[0]
        row |= {"source_row": max(t.column("source_row").to_pylist()) + 1, "id_hash": key, "id_number": None}
        if "head_id_hash" in row:
            row["head_id_hash"] = key
        return pa.concat_tables([t, pa.Table.from_pylist([row], schema=t.schema)])
    return edit


def alter(i: int, column: str, value: object) -> Edit:
    def edit(t: pa.Table) -> pa.Table:
        values = t.column(column).to_pylist()
        values[i] = value
        return t.set_column(t.schema.get_field_index(column), column, pa.array(values, t.schema.field(column).type))
    return edit


def _flagged(code: str) -> list[str]:
    """The hashes of the persons the base flags under ``code``: inserting a row for them tends to matter."""
    base = _base().filter(pc.equal(_base().column("rule"), code))
    people = dict(zip(TABLES["people"].column("member_key").to_pylist(), TABLES["people"].column("id_hash").to_pylist(),
                      strict=True))
    found = [people.get(m) for m in base.column("member_key").to_pylist()]
    return [h for h in dict.fromkeys([*found, *base.column("id_hash").to_pylist()]) if h]


def _candidates(code: str, name: str, kind: str) -> Iterator[Edit]:
    t = TABLES[f"ds_{name}"]
    n = t.num_rows
    if kind == "delete":
        yield from (delete(i) for i in range(n))
    elif kind == "insert":
        for key in (FRESH, *_flagged(code)[:8], *_people_hashes()[:8]):
            yield from (insert(i, key) for i in range(n))
    else:
        columns = [c for c in t.column_names if c not in ("source_row", *IGNORED_COLUMNS)]
        for i in range(n):
            for column in columns:
                values = t.column(column).to_pylist()
                for other in dict.fromkeys([*values, None]):
                    if other != values[i]:
                        yield alter(i, column, other)


@cache
def _edit(code: str, kind: str) -> Edit:
    """The first edit of ``kind`` of the rule's dataset that changes the rule's findings (found on DuckDB)."""
    (name,) = RULES[code].datasets
    with DuckDBBackend(threads=1) as duck:
        before = _full(duck, TABLES, [code])
        for number, edit in enumerate(_candidates(code, name, kind)):
            if number > 600:
                break
            after = _full(duck, TABLES | {f"ds_{name}": edit(TABLES[f"ds_{name}"])}, [code])
            if not after.equals(before):
                return edit
    raise AssertionError(f"no {kind} of {name} changes {code}")


@cache
def _expected(code: str, kind: str) -> pa.Table:
    (name,) = RULES[code].datasets
    with DuckDBBackend(threads=1) as duck:
        return _full(duck, TABLES | {f"ds_{name}": _edit(code, kind)(TABLES[f"ds_{name}"])})


# --- every rule, every kind of edit, both engines ------------------------------------------------------


@pytest.fixture(scope="module")
def duckdb_backend():
    with DuckDBBackend(threads=1) as b:
        yield b


@pytest.fixture(scope="module")
def spark_backend(spark):
    from sunshine.engine.spark import SparkBackend

    with SparkBackend(spark) as b:
        yield b


def _check_rule(backend, code: str, kind: str) -> None:
    (name,) = RULES[code].datasets
    tables = TABLES | {f"ds_{name}": _edit(code, kind)(TABLES[f"ds_{name}"])}
    outcome = _incremental(backend, tables, {name: TABLES[f"ds_{name}"]})
    expected = _expected(code, kind)
    assert outcome.findings.equals(expected)
    assert not outcome.full
    assert outcome.rules[code] == "by_key"
    assert outcome.changed_rows[name] == 1
    # only the rules reading the dataset were recomputed; on this engine too they equal a full run
    readers = [c for c in ALL_RULES if name in RULES[c].datasets]
    assert {c for c, how in outcome.rules.items() if how != "carried"} == set(readers)
    mine = outcome.findings.filter(pc.is_in(outcome.findings.column("rule"), pa.array(readers)))
    assert mine.equals(_full(backend, tables, readers))


@pytest.mark.parametrize("kind", EDITS)
@pytest.mark.parametrize("code", DATASET_RULES)
def test_incremental_equals_full_for_every_rule(duckdb_backend, code, kind):
    _check_rule(duckdb_backend, code, kind)


# On Spark every rule once, the kinds of edit taking turns: the incremental SQL is the same text on both engines
# (what differs per engine is checked by every rule's own test on both), and Spark costs seconds per run.
SPARK_CASES = [(code, EDITS[i % len(EDITS)]) for i, code in enumerate(DATASET_RULES)]


@pytest.mark.parametrize(("code", "kind"), SPARK_CASES)
def test_incremental_equals_full_for_every_rule_on_spark(spark_backend, code, kind):
    _check_rule(spark_backend, code, kind)


# --- random edits (DuckDB) -------------------------------------------------------------------------------


EDITABLE = sorted(name[3:] for name, t in TABLES.items() if name.startswith("ds_") and t.num_rows)


@st.composite
def random_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    name = draw(st.sampled_from(EDITABLE))
    t = TABLES[f"ds_{name}"]
    columns = [c for c in t.column_names if c not in ("source_row", *IGNORED_COLUMNS)]
    edits: list[Edit] = []
    rows = t.num_rows
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(EDITS))
        if kind == "delete" and rows > 1:
            edits.append(delete(draw(st.integers(0, rows - 1))))
            rows -= 1
        elif kind == "insert":
            key = draw(st.sampled_from((FRESH, None, *_people_hashes())))
            edits.append(insert(draw(st.integers(0, rows - 1)), key))
            rows += 1
        else:
            column = draw(st.sampled_from(columns))
            value = draw(st.sampled_from(list(dict.fromkeys([None, *t.column(column).to_pylist()]))))
            edits.append(alter(draw(st.integers(0, rows - 1)), column, value))
    return name, edits


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_edits())
def test_random_edits_incremental_equals_full(change):
    name, edits = change
    table = TABLES[f"ds_{name}"]
    for edit in edits:
        table = edit(table)
    tables = TABLES | {f"ds_{name}": table}
    with DuckDBBackend(threads=1) as duck:
        expected = _full(duck, tables)
        outcome = _incremental(duck, tables, {name: TABLES[f"ds_{name}"]})
    assert outcome.findings.equals(expected)


# --- what falls back to full -----------------------------------------------------------------------------


def _duck() -> DuckDBBackend:
    return DuckDBBackend(threads=1)


def test_nothing_changed_carries_every_finding():
    with _duck() as duck:
        outcome = _incremental(duck, TABLES, {name: TABLES[f"ds_{name}"] for name in EDITABLE})
    assert outcome.findings.equals(_base())
    assert set(outcome.rules.values()) == {"carried"}
    assert outcome.changed_rows == dict.fromkeys(EDITABLE, 0)


def test_changed_people_make_the_run_full():
    people = TABLES["people"]
    names = people.column("name").to_pylist()
    names[0] = "改名"
    tables = TABLES | {"people": people.set_column(people.schema.get_field_index("name"), "name", pa.array(names))}
    with _duck() as duck:
        expected = _full(duck, tables)
        outcome = _incremental(duck, tables, {}, people=TABLES["people"])
        same = _incremental(duck, TABLES, {}, people=TABLES["people"])
    assert outcome.full and "建档立卡" in outcome.reason
    assert set(outcome.rules.values()) == {"full"}
    assert outcome.findings.equals(expected)
    assert not same.full and same.findings.equals(_base())


def test_changed_links_touch_their_members_even_without_a_changed_row():
    links = TABLES["links"]
    others = [m for m in TABLES["people"].column("member_key").to_pylist()
              if m not in links.column("member_key").to_pylist()]
    moved = links.set_column(links.schema.get_field_index("member_key"), "member_key",
                             pa.array([others[0], *links.column("member_key").to_pylist()[1:]], pa.int64()))
    tables = TABLES | {"links": moved}
    with _duck() as duck:
        expected = _full(duck, tables)
        outcome = _incremental(duck, tables, {}, links=TABLES["links"])
    assert not expected.equals(_base())
    assert outcome.findings.equals(expected)
    dataset = links.column("dataset")[0].as_py()
    assert all(outcome.rules[c] == "by_key" for c in ALL_RULES if dataset in RULES[c].datasets)


def test_a_changed_key_kind_or_a_rule_new_to_the_run_is_computed_whole():
    name = "vehicles"
    tables = TABLES | {f"ds_{name}": delete(0)(TABLES[f"ds_{name}"])}
    with _duck() as duck:
        expected = _full(duck, tables)
        kind = _incremental(duck, tables, {name: TABLES[f"ds_{name}"]}, key_kinds=KINDS | {"deaths": "hashed"})
        new_rule = _incremental(duck, tables, {name: TABLES[f"ds_{name}"]},
                                rules=[c for c in ALL_RULES if c != "C-PAYROLL"])
    assert kind.findings.equals(expected) and kind.rules["C-DEAD"] == "full" and kind.rules["C-CAR"] == "by_key"
    assert new_rule.findings.equals(expected) and new_rule.rules["C-PAYROLL"] == "full"


def test_a_rule_classified_full_is_recomputed_whole(monkeypatch):
    monkeypatch.setitem(RULES, "C-CAR", dataclasses.replace(RULES["C-CAR"], incremental=FULL))
    tables = TABLES | {"ds_vehicles": _edit("C-CAR", "alter")(TABLES["ds_vehicles"])}
    with _duck() as duck:
        outcome = _incremental(duck, tables, {"vehicles": TABLES["ds_vehicles"]})
    assert outcome.rules["C-CAR"] == "full"
    assert outcome.findings.equals(_expected("C-CAR", "alter"))


def test_parquet_sources_and_an_undiffable_version(tmp_path):
    name = "medical_insurance"
    edited = _edit("C-NOMED", "delete")(TABLES[f"ds_{name}"])
    paths = {}
    for key, table in (TABLES | {f"ds_{name}": edited}).items():
        paths[key] = tmp_path / f"{key}.parquet"
        pq.write_table(table, paths[key])
    old = tmp_path / "old.parquet"
    pq.write_table(TABLES[f"ds_{name}"], old)
    odd = tmp_path / "odd.parquet"
    pq.write_table(TABLES[f"ds_{name}"].drop_columns(["scheme"]), odd)
    inputs = Inputs(people=paths["people"], links=paths["links"],
                    datasets={k[3:]: p for k, p in paths.items() if k.startswith("ds_")})
    with _duck() as duck:
        outcome = run_incremental(duck, inputs=inputs, year=YEAR, params=PARAMS, key_kinds=KINDS,
                                  base=Base(findings=_base(), rules=ALL_RULES, key_kinds=KINDS, changed={name: old}))
        whole = run_incremental(duck, inputs=inputs, year=YEAR, params=PARAMS, key_kinds=KINDS,
                                base=Base(findings=_base(), rules=ALL_RULES, key_kinds=KINDS, changed={name: odd}))
    assert outcome.findings.equals(_expected("C-NOMED", "delete")) and outcome.rules["C-NOMED"] == "by_key"
    assert whole.findings.equals(_expected("C-NOMED", "delete")) and whole.rules["C-NOMED"] == "full"


# --- the catalogue's classification ----------------------------------------------------------------------


def test_every_rule_is_classified_and_reads_no_ignored_column():
    for code, rule in RULES.items():
        assert rule.incremental in (BY_KEY, FULL), code
        assert rule.key in (MEMBER, HEAD), code
        if rule.incremental == BY_KEY:
            assert len(rule.datasets) <= 1, code  # the touched keys are those of one dataset's rows
        sql = rule_sql(code, year=YEAR, params=PARAMS, key_kinds=KINDS)  # dataset columns are read as d.<column>
        assert not re.search(rf"\w\.({'|'.join(IGNORED_COLUMNS)})\b", sql), code
    assert RULES["C-DUP"].incremental == FULL
    assert RULES["C-DIBAO-MISSING"].key == HEAD


def test_read_columns_finds_what_each_rule_reads_of_its_dataset():
    read = {code: read_columns(rule_sql(code, year=YEAR, params=PARAMS, key_kinds=KINDS)) for code in RULES}
    # an unqualified name in a scope with the dataset and another table counts for both (member_key here)
    assert read["C-NOMED"]["ds_medical_insurance"] - {"member_key"} == {"source_row", "id_hash", "year",
                                                                         "insured_status"}
    assert read["C-DIBAO-MISSING"]["ds_dibao"] >= {"head_id_hash", "name", "aid_type", "start_date", "end_date"}
    assert read["C-DUP"] == {} and read["C-ID"] == {}
    for code, rule in RULES.items():
        assert set(read[code]) == {f"ds_{name}" for name in rule.datasets}, code
    assert read_columns("SELECT d.* FROM ds_x AS d JOIN people AS p ON p.k = d.k") == {"ds_x": None}
    assert read_columns("SELECT a FROM ds_x") == {"ds_x": {"a"}}


def test_a_change_to_a_column_no_rule_reads_changes_nothing():
    table = TABLES["ds_medical_insurance"]
    schemes = ["employee" if v == "resident" else "resident" for v in table.column("scheme").to_pylist()]
    edited = table.set_column(table.schema.get_field_index("scheme"), "scheme", pa.array(schemes))
    tables = TABLES | {"ds_medical_insurance": edited}
    with _duck() as duck:
        outcome = _incremental(duck, tables, {"medical_insurance": TABLES["ds_medical_insurance"]})
    assert outcome.changed_rows == {"medical_insurance": 0} and set(outcome.rules.values()) == {"carried"}
    assert outcome.findings.equals(_base())
