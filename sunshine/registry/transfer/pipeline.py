"""Files → read → validate → apply: the one import procedure the CLI and the background task share.

Progress is reported as a percentage over the whole run: reading 0–15, validating 15–30, writing 30–100
(writing dominates on a county file)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied

from sunshine.core.apart import apart
from sunshine.core.models import User
from sunshine.core.signals import announce_change
from sunshine.registry.transfer.apply import ApplyResult, apply_registry
from sunshine.registry.transfer.apply_villages import apply_villages
from sunshine.registry.transfer.checks import SourceInfo, check
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES
from sunshine.registry.transfer.model import RawTable, TransferFileError
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.transfer.validate import TypedSheet, typed_households, validate_registry, validate_villages

# A household file this large is read and typed in a process of its own (_households_read): below it, starting
# the process (≈ 1.5 s) costs more than the second core saves (≈ 0.4 s per 10,000 households).
APART_BYTES = 16 << 20

Percent = Callable[[int, str], None]   # (0–100, what is being done)


@dataclass
class ImportFiles:
    """Paths to read, and the names errors should carry (an upload's original name)."""

    households: Path | None = None
    members: Path | None = None
    villages: Path | None = None
    names: dict[str, str] = field(default_factory=dict)

    def name(self, kind: str) -> str | None:
        return self.names.get(kind)


@dataclass
class Outcome:
    result: ApplyResult
    warnings: list[str]


def _noop(percent: int, stage: str) -> None:
    return None


def import_registry(files: ImportFiles, *, actor: User, year: int | None = None, partial: bool = False,
                    progress: Percent | None = None) -> Outcome:
    """Import households and members (and optionally villages). Raises TransferFileError for a file
    that cannot be read at all."""
    report = progress or _noop
    if files.households is None or files.members is None:
        raise TransferFileError("请同时提供户信息文件和成员信息文件")
    report(0, "读取文件")
    with _households_read(files, year) as households:
        try:
            raw_members = read_table(files.members, MEMBERS, display_name=files.name("members"))
        except TransferFileError:
            households()   # the household file's own error first, as when it is read first
            raise
        report(7, "读取文件")
        raw_villages = None
        if files.villages is not None:
            raw_villages = read_table(files.villages, VILLAGES, display_name=files.name("villages"))
        report(15, "校验数据")
        parsed = validate_registry(households=households, members=raw_members, villages=raw_villages, year=year)
        raw_households = _raw(households())
    sources = {"households": SourceInfo.of(raw_households), "members": SourceInfo.of(raw_members)}
    if raw_villages is not None:
        sources["villages"] = SourceInfo.of(raw_villages)
    del raw_households, raw_members, raw_villages   # the cells are no longer needed: free them before writing
    report(30, "写入数据库")

    def step(done: int, total: int) -> None:
        report(30 + int(70 * done / max(total, 1)), "写入数据库")

    result = apply_registry(parsed, actor=actor, partial=partial, progress=step, sources=sources)
    report(100, "完成")
    return Outcome(result, parsed.warnings)


@contextmanager
def _households_read(files: ImportFiles, year: int | None) -> Iterator[Callable[[], RawTable | TypedSheet]]:
    """The household file read (and, when large, typed too) while the caller reads the member file: a large one in a
    process of its own (core.apart), where its Python work runs on the second core — a province's 738,137
    households took 25–30 s of the import's reading and validation, one file after the other on one core."""
    path = files.households
    assert path is not None
    name = files.name("households")
    if not path.is_file() or path.stat().st_size < APART_BYTES:   # read_table reports a missing file
        read = functools.cache(lambda: read_table(path, HOUSEHOLDS, display_name=name))
        read()   # first, as before: its read error comes before the member file's
        yield read
        return
    with apart(typed_households, path, name, year) as running:
        yield functools.cache(running.result)


def _raw(households: RawTable | TypedSheet) -> RawTable:
    return households.raw if isinstance(households, TypedSheet) else households


def import_villages(path: Path, *, actor: User, year: int | None = None, partial: bool = False,
                    name: str | None = None, progress: Percent | None = None) -> Outcome:
    """A village file alone (`sunshine import villages FILE`)."""
    from django.db import transaction
    from django.utils import timezone

    from sunshine.registry.transfer.sync import Stamp

    if not actor.can_edit_registry:
        raise PermissionDenied("您的角色不能修改建档立卡数据")
    report = progress or _noop
    report(0, "读取文件")
    raw = read_table(path, VILLAGES, display_name=name)
    report(30, "校验数据")
    parsed = validate_villages(raw, year=year)
    plan = check(parsed, actor=actor, partial=partial, sources={"villages": SourceInfo.of(raw)})
    errors = sorted([*parsed.errors, *plan.errors], key=lambda e: (e.file, e.sheet, e.row, e.column, e.message))
    result = ApplyResult(errors=errors)
    if not errors or partial:
        report(60, "写入数据库")
        rows = [v for v in parsed.villages if (v["division_code"], v["year"]) not in plan.bad_villages]
        with transaction.atomic():
            counts = apply_villages(rows, actor=actor, stamp=Stamp(actor.pk, timezone.now()))
        result.villages_written = counts.village_years_written
        result.townships_created, result.villages_created = counts.townships_created, counts.villages_created
        result.written = True
        for village_year in sorted({v["year"] for v in rows}):
            announce_change(sender=ApplyResult, year=village_year, source="registry")
    report(100, "完成")
    return Outcome(result, parsed.warnings)
