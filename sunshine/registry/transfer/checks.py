"""What the importer checks against the database and the acting user before it writes anything.

validate.py has checked the files (and that nobody is in two households); here: the actor's division
scope (every household's village, the village a known 户编号 is registered in now, every village row),
village codes that already name a township or county, changes only a case may make (procedure.py),
and — with --partial — the households that must be skipped together: when a person moves between two
households of the file, both are written or neither, or the person would end up in no household, or two.

A fixed number of queries however large the file: known households and memberships are looked up a
chunk of keys at a time (one bound parameter per chunk, see bulk.any_of)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sunshine.core.choices import DivisionLevel
from sunshine.core.crypto import keyed_hash
from sunshine.core.ids import mask_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.registry import choices as c
from sunshine.registry.models import Household, MemberYear
from sunshine.registry.transfer import bulk
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES, TableSpec
from sunshine.registry.transfer.model import ParsedRegistry, RowError
from sunshine.registry.transfer.procedure import check_procedure

Key = tuple[str, int]
LOOKUP_CHUNK = 20000
OUT_OF_SCOPE = "不在您的管辖范围内,不能导入"


class Source(Protocol):
    """Where the rows of one kind came from (a RawTable qualifies): names errors carry."""

    file: str
    sheet: str
    headers: dict[str, str]


@dataclass(frozen=True)
class SourceInfo:
    file: str
    sheet: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, table: Source) -> SourceInfo:
        """The names only, so that a RawTable's cells can be freed before writing."""
        return cls(table.file, table.sheet, dict(table.headers))


SPECS: dict[str, TableSpec] = {"households": HOUSEHOLDS, "members": MEMBERS, "villages": VILLAGES}


class Errors:
    """Errors found here, at most one per cell, none on a cell validate.py has already reported."""

    def __init__(self, sources: Mapping[str, Source] | None, reported: Iterable[RowError]) -> None:
        self.sources = dict(sources or {})
        self.items: list[RowError] = []
        self._cells = {(e.file, e.sheet, e.row, e.column) for e in reported}

    def add(self, kind: str, row: Mapping[str, Any], field_name: str, message: str, value: Any = None) -> None:
        source = self.sources.get(kind) or SourceInfo(SPECS[kind].title)
        header = source.headers.get(field_name) or SPECS[kind].column(field_name).header
        cell = (source.file, source.sheet, int(row["_row"]), header)
        if cell in self._cells:
            return
        self._cells.add(cell)
        text = row.get(field_name) if value is None else value
        self.items.append(RowError(source.file, source.sheet, int(row["_row"]), header,
                                   "" if text is None else str(text), message))


@dataclass
class Move:
    """A person the file puts in another household than the database does, in the same year."""

    member_id: int
    source: Key
    target: Key
    row: dict[str, Any]          # the member's row in the file


@dataclass
class Plan:
    """The outcome of the checks: what may be written, and what the writer needs to know."""

    errors: list[RowError]
    bad_households: set[Key]
    bad_villages: set[Key]
    # 户编号 → (id, created_at, updated_at, village_id) of households already in the database (times: see sync.loaded)
    households: dict[str, tuple[int, dt.datetime | None, dt.datetime | None, str]]
    village_of: dict[str, str]                 # 户编号 → the village of its latest year written (apply.py)
    file_members: set[Key]                     # (身份证号, 年度) of every member row in the file
    head_resets: dict[int, str] = field(default_factory=dict)   # member id → relation before the import

    def file_member_hashes(self) -> set[tuple[str, int]]:
        """file_members by the keyed hash of the ID number (what the database can be read by undecrypted)."""
        if self._member_hashes is None:
            self._member_hashes = {(keyed_hash(number), year) for number, year in self.file_members}
        return self._member_hashes

    _member_hashes: set[tuple[str, int]] | None = field(default=None, repr=False)


def _chunks(items: list[Any], size: int = LOOKUP_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check(parsed: ParsedRegistry, *, actor: User, partial: bool,
          sources: Mapping[str, Source] | None = None) -> Plan:
    errors = Errors(sources, parsed.errors)
    bad = set(parsed.bad_households)
    bad_villages = set(parsed.bad_villages)
    rejected = _check_villages(parsed, actor, errors, bad_villages)
    households = _check_households(parsed, actor, errors, bad, rejected, partial)
    # Status, years and membership of a household-year already registered change only through a case.
    check_procedure(parsed, households, errors, bad)
    file_members = {(m["id_number"], m["year"]) for m in parsed.members if m.get("id_number")}
    plan = Plan([], bad, bad_villages, households, {}, file_members)
    _check_memberships(parsed, plan, errors, partial)
    plan.errors = errors.items
    return plan


def _check_villages(parsed: ParsedRegistry, actor: User, errors: Errors, bad_villages: set[Key]) -> set[str]:
    """Village rows outside the actor's scope, or whose code names a division of another level.
    Returns the codes of the rejected rows."""
    codes = {v["division_code"] for v in parsed.villages}
    levels = dict(Division.objects.filter(code__in=bulk.any_of(
        codes | {code[:9] + "000" for code in codes})).values_list("code", "level"))
    rejected: set[str] = set()
    for row in parsed.villages:
        code = row["division_code"]
        message = None
        if not division_visible(actor, code):
            message = f"村 {code} {OUT_OF_SCOPE}"
        elif levels.get(code, DivisionLevel.VILLAGE) != DivisionLevel.VILLAGE:
            message = f"代码 {code} 已是{DivisionLevel(levels[code]).label}级区划,不是村"
        elif levels.get(code[:9] + "000", DivisionLevel.TOWNSHIP) != DivisionLevel.TOWNSHIP:
            message = f"代码前9位 {code[:9]} 对应的区划不是乡镇"
        if message:
            errors.add("villages", row, "division_code", message)
            bad_villages.add((code, row["year"]))
            rejected.add(code)
    return rejected


def _check_households(parsed: ParsedRegistry, actor: User, errors: Errors, bad: set[Key], rejected: set[str],
                      partial: bool) -> dict[str, tuple[int, dt.datetime | None, dt.datetime | None, str]]:
    outside: set[Key] = set()
    # Asked once per village (11,210 in a province), not per household (738,137: 7 s of the import's checks).
    visible = functools.cache(lambda code: division_visible(actor, code))
    for row in parsed.households:
        no, year, code = row["household_no"], row["year"], row["division_code"]
        if code and not visible(code):
            errors.add("households", row, "division_code", f"村 {code} {OUT_OF_SCOPE}")
            outside.add((no, year))
    bad |= outside
    known: dict[str, tuple[int, dt.datetime | None, dt.datetime | None, str]] = {}
    numbers = sorted({r["household_no"] for r in parsed.households})
    for part in _chunks(numbers):
        for no, pk, village in Household.objects.filter(household_no__in=bulk.any_of(part)).order_by().values_list(
                "household_no", "id", "village_id"):
            known[no] = (pk, None, None, village)   # times read only for the rows written (sync.loaded)
    for row in parsed.households:
        record = known.get(row["household_no"])
        if record is not None and not visible(record[3]) and \
                (row["household_no"], row["year"]) not in outside:  # one reason is enough
            errors.add("households", row, "household_no", "户编号已被其他村(不在您的管辖范围内)的农户使用")
            bad.add((row["household_no"], row["year"]))
    if partial and rejected:
        villages = set(Division.objects.filter(code__in=bulk.any_of(rejected), level=DivisionLevel.VILLAGE)
                       .values_list("code", flat=True))
        for row in parsed.households:
            if row["division_code"] in rejected - villages:
                errors.add("households", row, "division_code", "该村在村信息文件中的记录有错误,无法引入;请先改正村信息")
                bad.add((row["household_no"], row["year"]))
    return known


def _check_memberships(parsed: ParsedRegistry, plan: Plan, errors: Errors, partial: bool) -> None:
    """Find the people the file moves between households and the heads who stop being heads; with
    --partial, skip the two households of a move together."""
    years = sorted({m["year"] for m in parsed.members if m.get("id_number")})
    if not MemberYear.objects.filter(year__in=years).exists():
        # A year not registered yet (a province's new year): nobody can move or stop being head. Hashing its 2.3 M
        # ID numbers here, and looking each up, took ≈ 10 s before the write; the write's look-ups hash them in
        # the thread that prepares its chunks.
        return
    # By the keyed hash of the ID number: the database's rows are matched without decrypting them.
    by_person = {(keyed_hash(m["id_number"]), m["year"]): m for m in parsed.members if m.get("id_number")}
    in_file = {(h["household_no"], h["year"]) for h in parsed.households}
    moves: list[Move] = []
    heads: list[tuple[int, Key]] = []   # (member id, household) of heads who stay but stop being head
    for part in _chunks(sorted({number_hash for number_hash, _ in by_person})):
        rows = MemberYear.objects.filter(year__in=years, person__id_number_hash__in=bulk.any_of(part)).values_list(
            "id", "person__id_number_hash", "year", "relation", "household_year__household__household_no")
        for member_id, number_hash, year, relation, source_no in rows:
            row = by_person.get((number_hash, year))
            if row is None:
                continue
            source, target = (source_no, year), (row["household_no"], year)
            if source != target:
                if source not in in_file:
                    continue  # validate.py has reported it: this person is in a household the file lacks
                moves.append(Move(member_id, source, target, row))
                if relation == c.Relation.HEAD:
                    plan.head_resets[member_id] = relation
            elif relation == c.Relation.HEAD and row["relation"] != c.Relation.HEAD:
                heads.append((member_id, target))
                plan.head_resets[member_id] = relation
    if partial:
        _skip_together(moves, plan.bad_households, parsed, errors)
    for move in moves:
        if move.member_id in plan.head_resets and (move.source in plan.bad_households
                                                   or move.target in plan.bad_households):
            del plan.head_resets[move.member_id]
    for member_id, key in heads:
        if key in plan.bad_households:
            plan.head_resets.pop(member_id, None)


def _skip_together(moves: list[Move], bad: set[Key], parsed: ParsedRegistry, errors: Errors) -> None:
    household_rows = {(h["household_no"], h["year"]): h for h in parsed.households}
    changed = True
    while changed:
        changed = False
        for move in moves:
            if move.source in bad and move.target not in bad:
                bad.add(move.target)
                errors.add("members", move.row, "id_number",
                           f"此人{move.source[1]}年度原属户{move.source[0]},该户有错误未能导入;"
                           "为保证一人只在一户中,本户一并跳过")
                changed = True
            elif move.target in bad and move.source not in bad:
                bad.add(move.source)
                errors.add("households", household_rows[move.source], "household_no",
                           f"成员{mask_id_number(move.row['id_number'])}在文件中已移入户{move.target[0]},"
                           "该户有错误未能导入;为保证一人只在一户中,本户一并跳过")
                changed = True
