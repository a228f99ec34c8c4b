"""`load_dataset`: one department file read, validated batch by batch and stored as the next version of its
dataset — the one procedure behind `sunshine dataset load` and the upload page.

Nothing is half-loaded: with any row error (and without ``partial``) no Parquet file and no DatasetLoad are
left; with ``partial`` the good rows are loaded and the others counted in rejected_rows. An error in the
file's columns (a required column missing …) refuses the file whole, even with ``partial``. Progress:
reading and validating 0–95, storing 95–100."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.core.exceptions import PermissionDenied

from sunshine.comparison.datasets import storage
from sunshine.comparison.datasets.sources import FastPathUnavailable, Source, open_source
from sunshine.comparison.datasets.spec import DatasetSpec
from sunshine.comparison.datasets.validate import BatchChecker
from sunshine.comparison.models import DatasetLoad
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, Role
from sunshine.core.models import User
from sunshine.registry.transfer.model import RowError

logger = logging.getLogger(__name__)
Percent = Callable[[int, str], None]   # (0–100, what is being done)
ROLES_THAT_LOAD_DATASETS = frozenset({Role.ADMIN, Role.PROVINCIAL_ANALYST, Role.COUNTY_MANAGER})
ERRORS_KEPT = 100_000   # error rows kept for the report; the rest are counted (a wrong column errs on every row)


def can_load_datasets(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role_set & ROLES_THAT_LOAD_DATASETS)


@dataclass
class LoadOutcome:
    dataset: str
    load: DatasetLoad | None = None      # None when nothing was loaded
    rows: int = 0                        # rows loaded
    invalid_ids: int = 0                 # of those, rows without a valid ID (or hash)
    rejected_rows: int = 0               # rows with an error (not loaded)
    error_count: int = 0                 # every error found (``errors`` keeps the first ERRORS_KEPT)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hashed: bool = False

    @property
    def written(self) -> bool:
        return self.load is not None

    def summary(self, with_code: bool = True) -> str:
        """One line on the load; ``with_code`` adds the dataset's code (for the command line, where it is
        typed; pages name the dataset in Chinese only)."""
        from sunshine.engine.comparison.datasets import DATASETS

        label = DATASETS[self.dataset].label
        if self.load is None:
            return f"{label}:发现 {self.error_count} 处错误,未导入任何数据"
        code = f"({self.dataset})" if with_code else ""
        text = (f"{label}{code}第 {self.load.version} 版:导入 {self.rows} 行,"
                f"其中身份证号{'哈希' if self.hashed else ''}缺失或无效 {self.invalid_ids} 行")
        if self.rejected_rows:
            text += f";有错误未导入的行 {self.rejected_rows} 行"
        return text


def _noop(percent: int, stage: str) -> None:
    return None


def load_dataset(name: str, path: str | Path, *, actor: User, as_of: dt.date | None = None, partial: bool = False,
                 display_name: str | None = None, progress: Percent | None = None) -> LoadOutcome:
    """Load the file at ``path`` as the next version of dataset ``name``.

    Raises PermissionDenied for a role that may not load, ValueError for an unknown dataset, and
    TransferFileError (Chinese message) for a file that cannot be read at all; every other problem is in the
    outcome's errors."""
    if not can_load_datasets(actor):
        raise PermissionDenied("您的角色不能导入部门数据")
    spec = DatasetSpec.of(name)
    path = Path(path)
    file_name = display_name or path.name
    report = progress or _noop
    report(0, "读取文件")
    outcome = _read_and_load(spec, path, file_name, actor=actor, as_of=as_of, partial=partial, report=report)
    if outcome.load is not None:
        log_access(user=actor, action=AccessAction.IMPORT, object_type="dataset_load",
                   object_ref=str(outcome.load), detail=f"{file_name} {outcome.rows} 行")
    report(100, "完成")
    return outcome


def _read_and_load(spec: DatasetSpec, path: Path, file_name: str, **kw: Any) -> LoadOutcome:
    """pyarrow first (CSV, Parquet); a CSV it cannot read as the registry's reader would is read again in its
    real encoding, or by the registry's reader (which never gives up this way)."""
    options: dict[str, Any] = {}
    while True:
        try:
            return _load(spec, open_source(path, spec, file_name, **options), path, **kw)
        except FastPathUnavailable as exc:
            if exc.encoding is not None and "encoding" not in options:
                options = {"encoding": exc.encoding}
            else:
                options = {"fast": False}
            logger.info("dataset file %s read again (%s): %s", file_name, options, exc)


def _warnings(source: Source) -> list[str]:
    return [f"{source.file}: 未知列“{h}”已忽略" for h in source.unknown]


def _load(spec: DatasetSpec, source: Source, path: Path, *, actor: User, as_of: dt.date | None, partial: bool,
          report: Percent) -> LoadOutcome:
    outcome = LoadOutcome(spec.name, warnings=_warnings(source))
    header_errors = spec.header_errors(file=source.file, sheet=source.sheet, header_row=source.header_row,
                                       headers=source.headers, duplicates=source.duplicates)
    if header_errors:
        outcome.errors, outcome.error_count = header_errors, len(header_errors)
        return outcome
    checker = BatchChecker(spec, source)
    outcome.hashed = checker.hashed
    invalid_heads = mangled = seen = 0
    with storage.draft(spec.name) as d:
        for number, batch in enumerate(source.batches, start=1):
            checked = checker.check(batch, ERRORS_KEPT - len(outcome.errors))
            outcome.errors.extend(checked.errors)
            outcome.error_count += checked.error_count
            good = ~checked.bad
            outcome.rejected_rows += int(checked.bad.sum())
            outcome.invalid_ids += int((checked.invalid_ids & good).sum())
            invalid_heads += checked.invalid_heads
            mangled += checked.mangled_ids
            seen += len(batch)
            if partial or not outcome.error_count:
                d.write(checked.batch if good.all() else checked.batch.filter(pa.array(good)))
            report(int(95 * source.fraction(seen, number)), "校验数据")
        if mangled:
            outcome.warnings.append(f"{source.file}: {mangled} 行的身份证号被保存为数值,后几位已丢失"
                                    "(按无效身份证号导入);请将该列设为文本格式后重新导出")
        if invalid_heads:
            outcome.warnings.append(f"{source.file}: 户主身份证号无效的 {invalid_heads} 行,该列已留空")
        if not seen:
            outcome.errors.append(RowError(source.file, source.sheet, source.header_row, "", "", "文件中没有数据行"))
            outcome.error_count += 1
        if (outcome.error_count and not partial) or not d.rows:
            outcome.rows = outcome.invalid_ids = 0
            return outcome
        report(95, "保存数据")
        outcome.rows = d.rows
        outcome.load = storage.commit(
            d, actor=actor, as_of=as_of, hashed=checker.hashed, file_name=source.file,
            sha256=storage.file_sha256(path), invalid_ids=outcome.invalid_ids, rejected_rows=outcome.rejected_rows,
            note="\n".join(outcome.warnings)[:2000])
    return outcome
