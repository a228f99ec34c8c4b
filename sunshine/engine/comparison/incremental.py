"""Incremental comparison: a new run that differs from an earlier one (the base) only by new versions of
department datasets recomputes only the rules that read them, only for the keys their changed rows touch,
and carries every other finding of the base forward. The result equals a full run row for row.

Inputs. The backend gets the new run's tables under the names run_comparison reads (``people``, ``ds_<name>``,
``links``); the base is its findings (FINDINGS, as the engine gave them), the rules it ran, the key kind of
each dataset, the earlier version of every changed dataset and, when they may differ, its people and links.

Steps.
1. People. The registry is what every key hangs on: when the base's people differ from the new ones (or a rule
   did not run in the base) there is nothing safe to carry, and the run is full (``Outcome.reason`` says why).
2. Diff each changed dataset against its earlier version on ``source_row`` (a load's row identity: the row as
   the spreadsheet numbers it): a row only in the new version is inserted, only in the old deleted, in both
   with any compared column distinct altered. Compared are the key columns (id_hash, head_id_hash) and the
   columns the recomputed rules read (``read_columns``: every column of ds_<name> that their SQL references,
   found by sqlglot; all of them when one selects ``*``): a change elsewhere changes no finding, and reading
   only these is most of what an incremental run saves. The encrypted ID columns are never compared
   (IGNORED_COLUMNS: encrypted afresh on every load, never read by a rule, which reads their keyed hashes). A
   dataset whose key kind changed (exact ↔ hashed) changes the ``match`` of every finding, and a dataset whose
   columns changed cannot be diffed: rules reading either are recomputed fully. Rows renumbered in a new
   version (a row inserted at the top of the sheet) count as altered: their findings cite other row numbers.
   When the diff was stored as the versions were loaded (``Base.diffs``, sunshine.engine.comparison.versions:
   every column but the encrypted ones compared, through a hash of each row), it is used as it is and neither
   version is read here: that diff is what makes the run cost the change rather than the file.
3. Links. When the links differ, every link row present in one run and not the other (or with another
   probability) marks its member touched for that row's dataset, even if the dataset itself is unchanged.
4. Touched keys, per by_key rule (catalogue.Rule.incremental, with the proof in catalogue's docstring):
   ``member`` rules — the registry members whose id_hash is the old or new id_hash of a changed row, the
   members the old or new links tie a changed row to, and the members of changed links; ``head`` rules
   (C-DIBAO-MISSING) — the old and new head_id_hash of the changed rows.
5. Recompute each touched rule over the touched keys only: ``people`` (member rules) or ``ds_<name>`` (head
   rules) restricted to them, the dataset restricted to the rows that can belong to them, the rule's own SQL
   unchanged. A member rule reads ``registry``, never ``registry_all`` (only C-DUP and C-DIBAO-MISSING do), so
   narrowing people narrows nothing it needs; a head rule keeps the whole registry. With the rows files of
   the new version and of people (``Inputs.rows``, ``Inputs.people_rows``: sorted by id_hash, memory-mapped)
   the touched members and their rows are gathered by key, reading those rows only; without, both are
   filtered out of the whole files (the same rows, at the cost of a scan of each).
6. Merge: the base's findings of untouched rules as they were; for a touched rule, its base findings about
   untouched keys plus the recomputed ones, sorted in the rule's fixed order (rules.base.ORDER, NULLS LAST: the
   order is total within a rule, one finding per member or head), rules in catalogue order as run_comparison
   concatenates them. Rules classified ``full`` (or that cannot be diffed) are run whole.

Over-counting touched keys never changes the result (a key is recomputed to the same findings); missing one
would, which is why the diff compares every column a rule could read and both versions' keys and links.
Nothing here imports Django.
"""
# ruff: noqa: S608 - SQL is generated from fixed names and validated identifiers; data never enters the text

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sunshine.engine.comparison.catalogue import FULL, HEAD, RULES
from sunshine.engine.comparison.datasets import ID_COLUMNS
from sunshine.engine.comparison.prepare import first_rows
from sunshine.engine.comparison.rules import rule_sql
from sunshine.engine.comparison.rules.base import ORDER
from sunshine.engine.comparison.run import Backend, applicable_rules, conform, run_comparison
from sunshine.engine.comparison.snapshot import FINDINGS, LINKS, PEOPLE
from sunshine.engine.comparison.versions import RowIndex
from sunshine.engine.dialect import DUCKDB, string_literal

Source = Any  # pa.Table, or a Parquet path (str or Path): what a backend registers

# Encrypted afresh on every load (a changed ciphertext is no changed row) and never read by a rule: the rules
# read the keyed hashes beside them (ID_COLUMNS), which are compared. (versions.IGNORED_COLUMNS: the same.)
IGNORED_COLUMNS = (*ID_COLUMNS, "id_raw")
CARRIED, BY_KEY, WHOLE = "carried", "by_key", "full"


@dataclass(frozen=True)
class Base:
    """The earlier run an incremental run starts from."""

    findings: pa.Table                   # its findings (FINDINGS), as the engine gave them
    rules: Sequence[str]                 # the rules it ran
    key_kinds: Mapping[str, str]         # the key kind of each dataset it read
    changed: Mapping[str, Source]        # the earlier version of each dataset whose version differs
    people: Source | None = None         # its people, when they may differ from the new run's (None: the same)
    links: Source | None = None          # its links, when they may differ (None: the same)
    # The changed rows of a dataset as stored when its versions were loaded (versions.chained_diff: source_row,
    # old_/new_ of each key column), used instead of diffing the two versions here.
    diffs: Mapping[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """The new run's tables, registered by run_incremental under the names the rules read."""

    people: Source
    datasets: Mapping[str, Source]
    links: Source | None = None
    # The rows file of a dataset's version (versions.RowIndex): the rows of the recomputed keys are gathered
    # from it instead of filtered out of the whole dataset.
    rows: Mapping[str, RowIndex] = field(default_factory=dict)
    # The rows file of ``people`` (versions.prepare_people): the touched members' rows are gathered from it.
    people_rows: RowIndex | None = None


@dataclass
class Outcome:
    findings: pa.Table
    full: bool = False                   # the whole catalogue ran: reason says why
    reason: str = ""
    rules: dict[str, str] = field(default_factory=dict)          # code → carried · by_key · full
    changed_rows: dict[str, int] = field(default_factory=dict)   # dataset → inserted + deleted + altered rows
    keys: dict[str, int] = field(default_factory=dict)           # by_key code → keys recomputed
    seconds: dict[str, float] = field(default_factory=dict)      # step → seconds
    stored_diffs: list[str] = field(default_factory=list)        # datasets whose diff was stored at load
    indexed: list[str] = field(default_factory=list)             # datasets whose rows were gathered by key


def read_columns(sql: str) -> dict[str, set[str] | None]:
    """ds_<name> → the columns of it that a statement (DuckDB SQL) references, None when it selects ``*`` from it.
    An unqualified column in a scope that reads a dataset among other tables is counted for the dataset (more
    columns compared is never wrong)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    found: dict[str, set[str] | None] = {}
    for scope in traverse_scope(sqlglot.parse_one(sql, read="duckdb")):
        tables = {alias: source.name for alias, source in scope.sources.items()
                  if isinstance(source, exp.Table) and source.name.startswith("ds_")}
        if not tables:
            continue
        for select in scope.expression.selects if isinstance(scope.expression, exp.Select) else ():
            if isinstance(select, exp.Star):
                starred = list(tables.values())
            elif isinstance(select, exp.Column) and isinstance(select.this, exp.Star):
                starred = [tables[select.table]] if select.table in tables else []
            else:
                continue
            found |= dict.fromkeys(starred)
        for column in scope.columns:
            names = [tables[column.table]] if column.table in tables else [] if column.table else list(tables.values())
            for name in names:
                seen = found.setdefault(name, set())
                if seen is not None:
                    seen.add(column.name)
    return found


def _names(backend: Backend, table: str) -> list[str]:
    return backend.query(f"SELECT * FROM {table} WHERE 1 = 0").column_names


def _count(backend: Backend, sql: str) -> int:
    return int(backend.query(sql).column(0)[0].as_py() or 0)


def _differs(backend: Backend, new: str, old: str, columns: Sequence[str]) -> bool:
    """Whether two tables hold other rows (as multisets, over ``columns``)."""
    listed = ", ".join(columns)
    for a, b in ((new, old), (old, new)):
        sql = f"SELECT count(*) AS n FROM (SELECT {listed} FROM {a} EXCEPT ALL SELECT {listed} FROM {b}) AS x"
        if _count(backend, backend.dialect.finish(sql)):
            return True
    return False


def _diff(backend: Backend, name: str, compared: Sequence[str], keys: Sequence[str]) -> pa.Table:
    """The changed rows of ``ds_<name>`` against ``inc_old_<name>``: source_row and, for each key column,
    its old and new value (``old_<key>``, ``new_<key>``)."""
    distinct = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in compared) or "FALSE"
    picked = "".join(f", o.{k} AS old_{k}, n.{k} AS new_{k}" for k in keys)
    sql = f"""SELECT coalesce(n.source_row, o.source_row) AS source_row{picked}
FROM ds_{name} AS n FULL OUTER JOIN inc_old_{name} AS o ON n.source_row = o.source_row
WHERE n.source_row IS NULL OR o.source_row IS NULL OR {distinct}"""
    return backend.query(backend.dialect.finish(sql))


def _values(table: pa.Table, columns: Sequence[str], cast: pa.DataType) -> pa.Array:
    """The distinct non-null values of ``columns`` of ``table``, one array."""
    parts = [table.column(c).cast(cast) for c in columns if c in table.column_names]
    if not parts:
        return pa.array([], cast)
    values = pa.chunked_array([chunk for part in parts for chunk in part.chunks], type=cast)
    return pc.unique(pc.drop_null(values)) if values.length() else pa.array([], cast)


def _sorted(table: pa.Table) -> pa.Table:
    """One rule's findings in the engine's fixed order (rules.base.ORDER, NULLS LAST)."""
    if table.num_rows <= 1:
        return table
    keyed = table.append_column("first_row", first_rows(table.column("source_rows")))
    order = pc.sort_indices(keyed, sort_keys=[(c, "ascending", "at_end") for c in ORDER])
    return table.take(order)


class _Run:
    """One incremental run: the registrations it makes and the steps of the module docstring."""

    def __init__(self, backend: Backend, inputs: Inputs, base: Base, *, year: int, params: Mapping[str, Any],
                 key_kinds: Mapping[str, str], division_prefix: str | None) -> None:
        self.backend, self.inputs, self.base = backend, inputs, base
        self.year, self.params, self.key_kinds, self.division_prefix = year, params, key_kinds, division_prefix
        self.links = inputs.links if inputs.links is not None else LINKS.empty_table()
        self.touched: dict[str, pa.Table] = {}   # dataset → touched_people

    # registration ---------------------------------------------------------------------------------------

    def register_inputs(self) -> None:
        self.backend.register("people", self.inputs.people)
        for name, source in self.inputs.datasets.items():
            self.backend.register(f"ds_{name}", source)
        self.backend.register("links", self.links)

    def keys_table(self, name: str, column: str, values: pa.Array) -> None:
        self.backend.register(name, pa.table({column: values}))

    # step 1 ---------------------------------------------------------------------------------------------

    def people_differ(self) -> bool:
        if self.base.people is None:
            return False
        self.backend.register("inc_old_people", self.base.people)
        return _differs(self.backend, "people", "inc_old_people", PEOPLE.names)

    # step 2 ---------------------------------------------------------------------------------------------

    def read(self, codes: Sequence[str]) -> dict[str, set[str] | None]:
        """ds name → the columns the rules ``codes`` read of it (None: all)."""
        read: dict[str, set[str] | None] = defaultdict(set)
        for code in codes:
            sql = rule_sql(code, year=self.year, params=self.params, key_kinds=self.key_kinds,
                           division_prefix=self.division_prefix, dialect=DUCKDB, links=True)
            for table, columns in read_columns(sql).items():
                name = table.removeprefix("ds_")
                known = read[name]
                read[name] = None if columns is None or known is None else known | columns
        return read

    def diff(self, name: str, read: set[str] | None) -> pa.Table | None:
        """The changed rows of a dataset over the key columns and ``read`` (None: all), or None when it cannot
        be diffed (other columns)."""
        self.backend.register(f"inc_old_{name}", self.base.changed[name])
        new, old = _names(self.backend, f"ds_{name}"), _names(self.backend, f"inc_old_{name}")
        if sorted(new) != sorted(old) or "source_row" not in new:
            return None
        keys = [c for c in ("id_hash", "head_id_hash") if c in new]
        compared = [c for c in new if c != "source_row" and c not in IGNORED_COLUMNS
                    and (read is None or c in read or c in keys)]
        return _diff(self.backend, name, compared, keys)

    # step 3 ---------------------------------------------------------------------------------------------

    def link_changes(self) -> pa.Table:
        """dataset, source_row, member_key of every link in one run and not the other (or with another
        probability): both sides' rows."""
        if self.base.links is None:
            return LINKS.empty_table().select(["dataset", "source_row", "member_key"])
        self.backend.register("inc_old_links", self.base.links)
        sql = """SELECT coalesce(n.dataset, o.dataset) AS dataset, coalesce(n.source_row, o.source_row) AS source_row,
       coalesce(n.member_key, o.member_key) AS member_key
FROM links AS n FULL OUTER JOIN inc_old_links AS o
  ON n.dataset = o.dataset AND n.source_row = o.source_row AND n.member_key = o.member_key
WHERE n.dataset IS NULL OR o.dataset IS NULL OR n.probability IS DISTINCT FROM o.probability"""
        return self.backend.query(self.backend.dialect.finish(sql))

    # step 4 ---------------------------------------------------------------------------------------------

    def touched_people(self, name: str, changes: pa.Table, links: pa.Table) -> pa.Table:
        """The registry rows (PEOPLE) of the members a dataset's changes touch: one read of people, kept for
        the dataset's other rules."""
        if name in self.touched:
            return self.touched[name]
        hashes = _values(changes, ("old_id_hash", "new_id_hash"), pa.string())
        rows = _values(changes, ("source_row",), pa.int64())
        self.keys_table("inc_hashes", "id_hash", hashes)
        self.keys_table("inc_rows", "source_row", rows)
        dataset = string_literal(name)
        linked = [f"SELECT member_key FROM {table} WHERE dataset = {dataset} "
                  "AND source_row IN (SELECT source_row FROM inc_rows)"
                  for table in ("links", *(("inc_old_links",) if self.base.links is not None else ()))]
        found = self.backend.query(self.backend.dialect.finish("\nUNION ALL\n".join(linked))).column(0)
        moved = links.filter(pc.equal(links.column("dataset"), name)).column("member_key")
        keys = pa.chunked_array([*found.cast(pa.int64()).chunks, *moved.cast(pa.int64()).chunks], type=pa.int64())
        linked_keys = pc.unique(pc.drop_null(keys)) if len(keys) else pa.array([], pa.int64())
        if self.inputs.people_rows is not None:  # the same rows, by key from the people's rows file
            people = self.inputs.people_rows.members(hashes, linked_keys)
        else:
            self.keys_table("inc_linked", "member_key", linked_keys)
            people = self.backend.query(self.backend.dialect.finish(
                "SELECT * FROM people WHERE id_hash IN (SELECT id_hash FROM inc_hashes) "
                "OR member_key IN (SELECT member_key FROM inc_linked)"))
        self.touched[name] = people
        return people

    # step 5 ---------------------------------------------------------------------------------------------

    def rule(self, code: str) -> pa.Table:
        sql = rule_sql(code, year=self.year, params=self.params, key_kinds=self.key_kinds,
                       division_prefix=self.division_prefix, dialect=self.backend.dialect, links=True)
        return conform(self.backend.query(sql))

    def recompute_members(self, code: str, name: str, people: pa.Table) -> pa.Table:
        """The findings of member rule ``code`` about the members of ``people`` (rows of PEOPLE) only."""
        self.keys_table("inc_members", "member_key", people.column("member_key"))
        self.backend.register("inc_people", people)
        linked = (f"SELECT source_row FROM links WHERE dataset = {string_literal(name)} "
                  "AND member_key IN (SELECT member_key FROM inc_members)")
        index = self.inputs.rows.get(name)
        if index is not None:
            # the same rows as the filter below, read from the version's rows file by key
            rows = index.gather(people.column("id_hash"),
                                self.backend.query(self.backend.dialect.finish(linked)).column(0))
        else:
            rows = self.backend.query(self.backend.dialect.finish(
                f"""SELECT d.* FROM ds_{name} AS d
WHERE d.id_hash IN (SELECT id_hash FROM inc_people WHERE id_hash IS NOT NULL)
   OR (d.id_hash IS NULL AND d.source_row IN ({linked}))"""))
        try:
            self.backend.register("people", people)
            self.backend.register(f"ds_{name}", rows)
            return self.rule(code)
        finally:
            self.backend.register("people", self.inputs.people)
            self.backend.register(f"ds_{name}", self.inputs.datasets[name])

    def recompute_heads(self, code: str, name: str, heads: pa.Array) -> pa.Table:
        """The findings of head rule ``code`` about ``heads`` only (the registry stays whole)."""
        self.keys_table("inc_heads", "head_id_hash", heads)
        rows = self.backend.query(self.backend.dialect.finish(
            f"SELECT d.* FROM ds_{name} AS d WHERE d.head_id_hash IN (SELECT head_id_hash FROM inc_heads)"))
        try:
            self.backend.register(f"ds_{name}", rows)
            return self.rule(code)
        finally:
            self.backend.register(f"ds_{name}", self.inputs.datasets[name])


def _base_findings(base: Base, code: str) -> pa.Table:
    table = conform(base.findings) if base.findings.schema != FINDINGS else base.findings
    return table.filter(pc.equal(table.column("rule"), code))


def run_incremental(backend: Backend, *, inputs: Inputs, base: Base, year: int, params: Mapping[str, Any],
                    key_kinds: Mapping[str, str], rules: Sequence[str] | None = None,
                    division_prefix: str | None = None,
                    on_rule: Callable[[str, int, float], None] | None = None) -> Outcome:
    """The findings run_comparison would give over ``inputs``, computed from ``base`` (module docstring).
    ``year``, ``params`` and ``division_prefix`` must be the base's: the caller checks that."""
    clock = time.perf_counter()
    run = _Run(backend, inputs, base, year=year, params=params, key_kinds=key_kinds,
               division_prefix=division_prefix)
    run.register_inputs()
    codes = applicable_rules(key_kinds, rules)
    outcome = Outcome(findings=FINDINGS.empty_table())

    def full(reason: str) -> Outcome:
        outcome.full, outcome.reason = True, reason
        outcome.rules = dict.fromkeys(codes, WHOLE)
        outcome.findings = run_comparison(backend, year=year, params=params, key_kinds=key_kinds, rules=codes,
                                          division_prefix=division_prefix, on_rule=on_rule)
        outcome.seconds["total"] = round(time.perf_counter() - clock, 3)
        return outcome

    if run.people_differ():
        return full("建档立卡快照与基准批次不同,全部规则重新比对")
    missing = [code for code in codes if code not in set(base.rules)]
    outcome.seconds["people"] = round(time.perf_counter() - clock, 3)

    # steps 2 and 3: what changed in each dataset
    whole: set[str] = {name for name in key_kinds if base.key_kinds.get(name, key_kinds[name]) != key_kinds[name]}
    changes: dict[str, pa.Table] = {}
    # the columns compared by a diff made here (sqlglot over the rules' SQL: skipped when every diff is stored)
    read = (run.read([code for code in codes if set(RULES[code].datasets) & set(base.changed)])
            if set(base.changed) - set(base.diffs) else {})
    for name in sorted(base.changed):
        if name not in key_kinds or name in whole:
            continue
        stored = base.diffs.get(name)
        if stored is not None:
            diff = stored if isinstance(stored, pa.Table) else pq.read_table(stored)
            outcome.stored_diffs.append(name)
        else:
            diff = run.diff(name, read.get(name, set()))
        if diff is None:
            whole.add(name)
            continue
        outcome.changed_rows[name] = diff.num_rows
        if diff.num_rows:
            changes[name] = diff
    outcome.seconds["diff"] = round(time.perf_counter() - clock, 3)  # cumulative, as the others
    moved = run.link_changes()
    for name in set(moved.column("dataset").to_pylist()) - set(changes) - whole:
        if name in key_kinds:
            changes[name] = pa.table({"source_row": pa.array([], pa.int64())})
            outcome.changed_rows.setdefault(name, 0)

    # steps 4–6, rule by rule in catalogue order
    tables = []
    for code in codes:
        started = time.perf_counter()
        rule = RULES[code]
        touched = [name for name in rule.datasets if name in changes or name in whole]
        if code in missing or any(name in whole for name in rule.datasets) or (touched and rule.incremental == FULL):
            table, how = run.rule(code), WHOLE
        elif not touched:
            table, how = _base_findings(base, code), CARRIED
        else:
            (name,) = touched  # every by_key rule reads one dataset
            kept = _base_findings(base, code)
            if rule.key == HEAD:
                heads = _values(changes[name], ("old_head_id_hash", "new_head_id_hash"), pa.string())
                fresh = run.recompute_heads(code, name, heads) if len(heads) else FINDINGS.empty_table()
                drop = pc.and_(pc.is_null(kept.column("member_key")), pc.is_in(kept.column("id_hash"), heads))
                outcome.keys[code] = len(heads)
            else:
                people = run.touched_people(name, changes[name], moved)
                members = people.column("member_key").cast(pa.int64())
                fresh = run.recompute_members(code, name, people) if len(members) else FINDINGS.empty_table()
                drop = pc.is_in(kept.column("member_key"), members)
                outcome.keys[code] = len(members)
            kept = kept.filter(pc.invert(pc.fill_null(drop, False)))
            table, how = _sorted(pa.concat_tables([kept, fresh])), BY_KEY
        outcome.rules[code] = how
        tables.append(table)
        if on_rule is not None:
            on_rule(code, table.num_rows, time.perf_counter() - started)
    outcome.indexed = sorted(name for name in inputs.rows if name in changes)
    outcome.findings = pa.concat_tables(tables) if tables else FINDINGS.empty_table()
    outcome.seconds["total"] = round(time.perf_counter() - clock, 3)
    return outcome


__all__ = ["IGNORED_COLUMNS", "Base", "Inputs", "Outcome", "read_columns", "run_incremental"]
