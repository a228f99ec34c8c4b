"""ParsedRegistry → database: upsert keyed by 户编号 and 年度, history with the acting user, all or nothing.

- All or nothing by default: any error (in the files, or found by checks.py: scope, moves) and nothing is
  written. With ``partial`` the households without errors are written, each whole with its members.
- Villages first (townships and villages created, VillageYear upserted), then households a chunk at a
  time: Household by 户编号, Person by 身份证号, HouseholdYear by (household, year), MemberYear by
  (person, year). A household-year's members become exactly the file's: rows of people no longer in it
  are deleted (people the file moves to another household are moved, keeping their row).
- Only rows whose values differ are written (compared in memory), each with one history row, so
  importing the same file twice changes nothing the second time.
- One transaction for the whole import; a fixed number of queries per chunk of households. On PostgreSQL
  a year's chunk is read and compared on a second connection while the one before it is written
  (may_prepare_ahead).
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from sunshine.core.ahead import prepared_ahead
from sunshine.core.crypto import hashing_once, keyed_hash
from sunshine.core.encrypted_fields import sealing_once
from sunshine.core.faults import fault_point
from sunshine.core.models import User
from sunshine.core.signals import announce_change
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person
from sunshine.registry.services import HOUSEHOLD_YEAR_FIELDS, MEMBER_YEAR_FIELDS
from sunshine.registry.transfer import bulk
from sunshine.registry.transfer.apply_villages import VillageCounts, apply_villages
from sunshine.registry.transfer.checks import Key, Plan, Source, check
from sunshine.registry.transfer.model import ImportResult, ParsedRegistry, RowError
from sunshine.registry.transfer.sync import Changes, Stamp, Table, loaded

CHUNK_HOUSEHOLDS = 5000
Progress = Callable[[int, int], None]

HOUSEHOLD = Table(Household, ("household_no", "village_id"))
PERSON = Table(Person, ("id_number", "name", "gender", "birth_date"))
HOUSEHOLD_YEAR = Table(HouseholdYear, ("household_id", "year", "head_name", "head_id_number",
                                       *HOUSEHOLD_YEAR_FIELDS))
MEMBER_YEAR = Table(MemberYear, ("household_year_id", "person_id", "year", *MEMBER_YEAR_FIELDS))
RELATION = MEMBER_YEAR.fields.index("relation")
HEAD_ID = 3 + HOUSEHOLD_YEAR.fields.index("head_id_number")   # in a loaded row (id, created_at, updated_at, …)


def _in_years(query: QuerySet, years: list[int]) -> QuerySet:
    """Rows of the given years, the year compared as an expression (``year + 0``) so that no index is searched by
    it: the look-ups search by household or person. With the plain column PostgreSQL searched the (year, …) index,
    which its statistics said held no row of the year being imported, and so read every row of that year written
    so far for every chunk — quadratic, 0.6–1.2 s a chunk by the end of a province's second year."""
    return query.alias(in_year=F("year") + 0).filter(in_year__in=years)


def _hashed(fields: tuple[str, ...]) -> tuple[str, ...]:
    """values_list() names loading an ID number's keyed hash in its place (no decryption)."""
    return tuple(f"{name}_hash" if name in ("id_number", "head_id_number") else name for name in fields)


@dataclass
class ApplyResult(ImportResult):
    """ImportResult with the finer counts the page and the CLI show."""

    members_created: int = 0
    members_updated: int = 0
    members_deleted: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    townships_created: int = 0
    villages_created: int = 0

    def summary(self) -> str:
        """One Chinese sentence: what was written (the CLI prints it; the job page shows it)."""
        if not self.written:
            return f"未写入任何数据:发现 {len(self.errors)} 处错误"
        parts = []
        if self.households_created or self.households_updated or self.households_unchanged:
            parts.append(f"新增 {self.households_created} 户,更新 {self.households_updated} 户,"
                         f"未变 {self.households_unchanged} 户;成员新增 {self.members_created}、"
                         f"更新 {self.members_updated}、删除 {self.members_deleted} 条")
        if self.villages_written or self.villages_created or self.townships_created:
            parts.append(f"村年度信息写入 {self.villages_written} 条(新建村 {self.villages_created} 个、"
                         f"乡镇 {self.townships_created} 个)")
        text = ";".join(parts) or "没有需要写入的内容"
        if self.errors:
            skipped = f",跳过有错误的 {self.households_skipped} 户" if self.households_skipped else ",有错误的行已跳过"
            text += f";发现 {len(self.errors)} 处错误{skipped}"
        return text


def apply_registry(parsed: ParsedRegistry, *, actor: User, partial: bool = False, progress: Progress | None = None,
                   sources: Mapping[str, Source] | None = None) -> ApplyResult:
    """Write a validated import. ``sources`` ({"households": RawTable or SourceInfo, ...}) name the files
    and headers in the errors found here; without them the errors name the kind of file."""
    if not actor.can_edit_registry:
        raise PermissionDenied("您的角色不能修改建档立卡数据")
    with hashing_once(), _heap_frozen():  # the checks, the lookups and the write hash each ID number once
        return _apply(parsed, actor=actor, partial=partial, progress=progress, sources=sources)


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep what exists now (the parsed files: millions of row dicts) out of the cyclic collector's passes while
    writing; at a province's size each full pass over them took over a second, 12 passes a year (15 s)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _apply(parsed: ParsedRegistry, *, actor: User, partial: bool, progress: Progress | None,
           sources: Mapping[str, Source] | None) -> ApplyResult:
    plan = check(parsed, actor=actor, partial=partial, sources=sources)
    errors = sorted([*parsed.errors, *plan.errors], key=lambda e: (e.file, e.sheet, e.row, e.column, e.message))
    result = ApplyResult(errors=errors)
    keys = {(h["household_no"], h["year"]) for h in parsed.households}
    if errors and not partial:
        return result
    result.households_skipped = len(keys & plan.bad_households)
    stamp = Stamp(actor.pk, timezone.now())
    fault_point("import.before_write")
    ahead = may_prepare_ahead(keys)
    with bulk.large_cache(), transaction.atomic():
        villages = [v for v in parsed.villages if (v["division_code"], v["year"]) not in plan.bad_villages]
        counts: VillageCounts = apply_villages(villages, actor=actor, stamp=stamp)
        result.villages_written = counts.village_years_written
        result.townships_created, result.villages_created = counts.townships_created, counts.villages_created
        _write_households(parsed, plan, stamp, result, progress, ahead=ahead)
    fault_point("import.after_write")
    result.written = True
    for year in sorted({year for _, year in keys}):
        announce_change(sender=ApplyResult, year=year, source="registry")
    return result


def may_prepare_ahead(keys: set[Key]) -> bool:
    """Whether chunks may be read and compared ahead on a second connection (core.ahead), which sees only what
    is committed: on PostgreSQL (SQLite's in-memory test databases share one cache, whose writer locks a reader
    out), in a transaction of our own (an outer one may hold rows that the second connection cannot see), and for
    one year's rows — then every 户编号, household-year, person and membership is in one chunk only, so no chunk
    needs to see what an earlier chunk of this import wrote; each chunk's household rows are decided from the
    plan in memory, and a head's lost title (written before the chunks) is compared as it was anyway."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block and len(
        {year for _, year in keys}) == 1


def _write_households(parsed: ParsedRegistry, plan: Plan, stamp: Stamp, result: ApplyResult,
                      progress: Progress | None, *, ahead: bool = False) -> None:
    rows = [h for h in parsed.households if (h["household_no"], h["year"]) not in plan.bad_households]
    rows.sort(key=lambda h: h["year"])  # stable: file order within a year; a later year's values win
    plan.village_of = {h["household_no"]: h["division_code"] for h in rows}  # the latest written year's
    members: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for m in parsed.members:
        members[(m["household_no"], m["year"])].append(m)
    # Heads who stop being heads (or move) lose the title first, so that no household has two heads
    # at any moment; their rows are then written with the file's values like any other.
    bulk.set_value(MemberYear, "relation", "other", sorted(plan.head_resets))
    writer = _ChunkWriter(plan, stamp, result)
    total = len(rows)
    chunks = [rows[start:start + CHUNK_HOUSEHOLDS] for start in range(0, total, CHUNK_HOUSEHOLDS)]

    def prepare(chunk: list[dict[str, Any]]) -> list[Changes]:
        return writer.prepare(chunk, members)

    with _checked_per_statement(ahead):
        prepared = prepared_ahead(prepare, chunks) if ahead else map(prepare, chunks)
        done = 0
        for chunk, changes in zip(chunks, prepared, strict=True):
            writer.flush(changes)
            fault_point("import.mid_write")
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    writer.statistics.finish()   # the year's rows in the statistics before anything reads them


@contextlib.contextmanager
def _checked_per_statement(on: bool) -> Iterator[None]:
    """While chunks are prepared ahead, check the foreign keys of each chunk's rows as it is written instead of
    all at commit: the same work for the server (a look-up per reference, 5.3 M for a province's year, ≈ 50 s),
    but done while the next chunk is compared rather than after the last one, when nothing else is left to do.
    Each chunk writes households, people, household-years, then members, so every reference is already there."""
    if not on:
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL DEFERRED")


class _ChunkWriter:
    def __init__(self, plan: Plan, stamp: Stamp, result: ApplyResult) -> None:
        self.plan, self.stamp, self.result = plan, stamp, result
        self.ids = {t.model: bulk.IdAllocator(t.model) for t in (HOUSEHOLD, PERSON, HOUSEHOLD_YEAR, MEMBER_YEAR)}
        self.statistics = bulk.Statistics(list(self.ids))   # the chunks' look-ups stay planned for the tables' size
        self.hy_values = HOUSEHOLD_YEAR.normaliser()
        self.my_values = MEMBER_YEAR.normaliser()

    def _new_ids(self, table: Table, n: int) -> Callable[[], int]:
        taken = iter(self.ids[table.model].take(n))
        return lambda: next(taken)

    def prepare(self, chunk: list[dict[str, Any]], members: Mapping[Key, list[dict[str, Any]]]) -> list[Changes]:
        """Read what the chunk's rows are now and compare: what must be written (no write yet)."""
        changed: set[Key] = set()
        keys = [(h["household_no"], h["year"]) for h in chunk]
        years = sorted({year for _, year in keys})
        rows = [m for key in keys for m in members.get(key, ())]

        household_ids, households = self._households(chunk, keys, changed)
        person_ids, persons = self._persons(rows, changed)
        hy_ids, created, household_years = self._household_years(chunk, household_ids, years, changed)
        member_years = self._member_years(rows, keys, hy_ids, created, person_ids, years, changed)
        r = self.result
        r.households_created += len(created)
        r.households_updated += len(changed - created)
        r.households_unchanged += len(set(keys) - changed - created)
        changes = [households, persons, household_years, member_years]   # in the order they must be written
        with sealing_once():  # a head's ID number sealed once for the person and the household-year
            for c in changes:
                c.seal(self.stamp)
        return changes

    def flush(self, changes: list[Changes]) -> None:
        with sealing_once():  # the updates' values: a head's ID number sealed once (the inserts are, by prepare)
            inserted = {c.table.model: len(c.inserts) for c in changes}
            for c in changes:
                c.flush(self.stamp)
        self.statistics.grew(inserted)

    def _households(self, chunk: list[dict[str, Any]], keys: list[Key],
                    changed: set[Key]) -> tuple[dict[str, int], Changes]:
        changes = Changes(HOUSEHOLD)
        known = self.plan.households
        numbers = list(dict.fromkeys(no for no, _ in keys))
        new_id = self._new_ids(HOUSEHOLD, sum(no not in known for no in numbers))
        ids: dict[str, int] = {}
        for no in numbers:
            record = known.get(no)
            existing = (record[0], record[1], record[2], no, record[3]) if record else None
            pk = changes.sync(existing, (no, self.plan.village_of[no]), new_id)
            ids[no] = pk
            if existing is None or existing[4] != self.plan.village_of[no]:
                # Later chunks (other years of this household) see it as it is now.
                known[no] = (pk, record[1] if record else self.stamp.now, self.stamp.now, self.plan.village_of[no])
        touched = {r[0] for r in changes.inserts} | {r[0] for r in changes.updates}
        changed.update(k for k in keys if ids[k[0]] in touched)
        return ids, changes

    def _persons(self, rows: list[dict[str, Any]], changed: set[Key]) -> tuple[dict[str, int], Changes]:
        changes = Changes(PERSON)
        wanted: dict[str, dict[str, Any]] = {}
        for m in rows:  # in year order: a person's latest year gives the name
            wanted[m["id_number"]] = m
        # Found by the hash of the ID number, so the stored ID number is the file's: it is not decrypted (millions
        # of people in a province's year), only the other fields are compared.
        number_of = {keyed_hash(n): n for n in wanted}
        existing = {number_of[r[1]]: loaded((r[0], number_of[r[1]], *r[2:])) for r in Person.objects.filter(
            id_number_hash__in=bulk.any_of(number_of)).values_list("id", *_hashed(PERSON.fields))}
        new_id = self._new_ids(PERSON, len(wanted.keys() - existing.keys()))
        ids = {number: changes.sync(existing.get(number), (number, m["name"], m.get("gender") or "",
                                                           m.get("birth_date")), new_id)
               for number, m in wanted.items()}
        self.result.persons_created += len(changes.inserts)
        self.result.persons_updated += len(changes.updates)
        touched = {r[0] for r in changes.inserts} | {r[0] for r in changes.updates}
        if touched:
            changed.update((m["household_no"], m["year"]) for m in rows if ids[m["id_number"]] in touched)
        return ids, changes

    def _household_years(self, chunk: list[dict[str, Any]], household_ids: dict[str, int], years: list[int],
                         changed: set[Key]) -> tuple[dict[Key, int], set[Key], Changes]:
        changes = Changes(HOUSEHOLD_YEAR)
        # The head's ID number is compared by its hash (no decryption); a row whose hash differs is written.
        existing = {(r[1], r[2]): loaded(r) for r in _in_years(HouseholdYear.objects.filter(
            household_id__in=bulk.any_of(household_ids.values(), "int")), years,
        ).order_by().values_list("id", *_hashed(HOUSEHOLD_YEAR.fields))}
        new_id = self._new_ids(HOUSEHOLD_YEAR, sum((household_ids[h["household_no"]], h["year"]) not in existing
                                                   for h in chunk))
        ids: dict[Key, int] = {}
        created: set[Key] = set()
        for h in chunk:
            key = (h["household_no"], h["year"])
            record = existing.get((household_ids[key[0]], key[1]))
            values = self.hy_values({**h, "household_id": household_ids[key[0]]})
            if record is not None and record[HEAD_ID] == keyed_hash(values[HEAD_ID - 3]):
                record = (*record[:HEAD_ID], values[HEAD_ID - 3], *record[HEAD_ID + 1:])
            before = len(changes.updates)
            ids[key] = changes.sync(record, values, new_id)
            if record is None:
                created.add(key)
            elif len(changes.updates) > before:
                changed.add(key)
        return ids, created, changes

    def _member_years(self, rows: list[dict[str, Any]], keys: list[Key], hy_ids: dict[Key, int], created: set[Key],
                      person_ids: dict[str, int], years: list[int], changed: set[Key]) -> Changes:
        changes = Changes(MEMBER_YEAR)
        # The members of these household-years, and these people's rows in these years: two queries, each
        # searching its index. As one query with OR, PostgreSQL scanned the whole member table for every chunk
        # (hashed subplans cannot be combined into a bitmap), minutes a year once a province is registered.
        # Household-years created by this chunk have no members yet: a new year's import asks for none (it asked
        # for 738,137 in a province's year, 10 s of the server's work for no row).
        columns = (*MEMBER_YEAR.select(), "person__id_number_hash")
        registered = [pk for key, pk in hy_ids.items() if key not in created]
        found = {r[0]: r for r in MemberYear.objects.filter(household_year_id__in=bulk.any_of(
            registered, "int")).order_by().values_list(*columns)} if registered else {}
        found.update((r[0], r) for r in _in_years(MemberYear.objects.filter(
            person_id__in=bulk.any_of(person_ids.values(), "int")), years).order_by().values_list(*columns))
        existing: dict[tuple[int, int], tuple[Any, ...]] = {}
        resets = self.plan.head_resets
        key_of_hy = {pk: key for key, pk in hy_ids.items()}
        in_file = self.plan.file_member_hashes() if found else set()   # none to compare: not hashed (a new year)
        for r in sorted(found.values(), key=lambda r: (r[1], r[0])):  # the model's order: household-year, id
            *row, number_hash = loaded(r)
            if row[0] in resets:  # compare with the relation the row had before the import
                row[3 + RELATION] = resets[row[0]]
            row = tuple(row)
            hy = row[3]
            if hy in key_of_hy and (number_hash, row[5]) not in in_file:
                changes.deletes.append(row)  # no longer a member of this household-year
                changed.add(key_of_hy[hy])
            else:
                existing[(row[4], row[5])] = row
        new_id = self._new_ids(MEMBER_YEAR, sum((person_ids[m["id_number"]], m["year"]) not in existing
                                                for m in rows))
        for m in rows:
            key = (m["household_no"], m["year"])
            values = self.my_values({**m, "household_year_id": hy_ids[key], "person_id": person_ids[m["id_number"]]})
            record = existing.get((values[1], values[2]))
            before = len(changes.updates)
            changes.sync(record, values, new_id)
            if record is None or len(changes.updates) > before:
                changed.add(key)
                if record is not None and record[3] in key_of_hy:
                    changed.add(key_of_hy[record[3]])  # moved out of another household of this chunk
        r = self.result
        r.members_created += len(changes.inserts)
        r.members_updated += len(changes.updates)
        r.members_deleted += len(changes.deletes)
        r.members_written += len(changes.inserts) + len(changes.updates)
        return changes


def error_rows(errors: list[RowError]) -> list[tuple[str, str, int, str, str, str]]:
    """Errors as the rows of the error report (ID numbers masked, as write_errors writes them)."""
    from sunshine.core.ids import mask_text

    return [(e.file, e.sheet, e.row, e.column, mask_text(e.value), mask_text(e.message)) for e in errors]
