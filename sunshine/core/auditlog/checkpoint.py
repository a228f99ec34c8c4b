"""The result of the last verification, kept in the data directory, outside the database.

It says up to which row the chain was found intact (and that row's hash) and what the last verification
found. The next verification starts from it as an :class:`~sunshine.core.auditlog.chain.Anchor`: someone able
to change the database could cut the last rows off or recompute the whole chain, and the chain alone would
still look whole; the anchored row then no longer matches, or is missing. After a restore of an older backup
the data directory comes back with the database, so the two still agree."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from sunshine.core.auditlog.chain import Anchor, Verdict, verify


@dataclass(frozen=True)
class Checkpoint:
    checked_at: str  # ISO time of the verification
    ok: bool
    rows: int
    problem: str
    broken_seq: int | None
    # The last row found intact by a successful verification (kept when a later one fails).
    anchor_seq: int
    anchor_hash: str

    @property
    def anchor(self) -> Anchor | None:
        return Anchor(self.anchor_seq, self.anchor_hash) if self.anchor_seq else None

    @property
    def checked(self) -> object:
        from django.utils.dateparse import parse_datetime

        return parse_datetime(self.checked_at)


def path() -> Path:
    return Path(settings.DATA_DIR) / "audit" / "chain-checkpoint.json"


def load() -> Checkpoint | None:
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
        return Checkpoint(**data)
    except (OSError, ValueError, TypeError):
        return None


def _save(checkpoint: Checkpoint) -> None:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(checkpoint), ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(target)  # atomic: a reader never sees half a file


def verify_and_record(*, using: str = DEFAULT_DB_ALIAS, chunk_size: int = 2000, forget: bool = False) -> Verdict:
    """Verify the whole chain against the last checkpoint and record the outcome. ``forget``: without the last
    checkpoint (after the database was deliberately replaced: a new installation in the same data directory)."""
    previous = None if forget else load()
    verdict = verify(using=using, anchor=previous.anchor if previous else None, chunk_size=chunk_size)
    if verdict.ok:
        anchor_seq, anchor_hash = verdict.last_seq, verdict.last_hash
    else:
        anchor_seq, anchor_hash = (previous.anchor_seq, previous.anchor_hash) if previous else (0, "")
    _save(Checkpoint(checked_at=timezone.now().isoformat(), ok=verdict.ok, rows=verdict.rows,
                     problem=verdict.problem, broken_seq=verdict.broken_seq, anchor_seq=anchor_seq,
                     anchor_hash=anchor_hash))
    return verdict
