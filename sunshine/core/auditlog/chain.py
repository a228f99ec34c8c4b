"""The access log as a hash chain.

Every row gets the next sequence number ``seq``, the hash of the row before it (``prev_hash``; the first row
follows :data:`GENESIS`) and its own hash ``row_hash`` = sha256(prev_hash + "\\n" + the canonical JSON of its
fields). Editing a row breaks its own hash; deleting one leaves a gap in ``seq`` and a ``prev_hash`` that no
longer matches; inserting or reordering rows breaks the links or the hashes (``seq`` is hashed too). What a
chain alone cannot show — the last rows cut off, or the whole chain recomputed — is caught by the checkpoint
(:mod:`sunshine.core.auditlog.checkpoint`) kept outside the database.

One chain, never forked: the head is read and the row inserted in one transaction that writers take one at a
time — on PostgreSQL by a transaction-level advisory lock taken before the head is read, on SQLite by the
write lock that ``transaction_mode = IMMEDIATE`` (settings) takes at BEGIN.

Verification streams the rows in order of ``seq`` (a server-side cursor on PostgreSQL), so a log of millions
of rows is checked in constant memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from sunshine.core.models import AccessLog

GENESIS = "0" * 64
# Key of the PostgreSQL advisory lock that serialises writers of the chain ("SUNAUD" in ASCII).
LOCK_KEY = 0x53554E415544
# The hashed fields, in this order; the canonical form is a contract: changing it invalidates every chain.
FIELDS = ("seq", "user_id", "username", "division_code", "at", "action", "object_type", "object_ref", "detail",
          "ip_address")
LIMITS = {"username": 150, "division_code": 12, "object_type": 40, "object_ref": 80, "detail": 200}


def _text_of(name: str, value: Any) -> Any:
    if name == "at":
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if name in ("seq", "user_id"):
        return None if value is None else int(value)
    return "" if value is None else str(value)


def canonical(values: Mapping[str, Any]) -> str:
    """The row's hashed fields as compact JSON with sorted keys (time in UTC with microseconds)."""
    return json.dumps({name: _text_of(name, values[name]) for name in FIELDS}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))


def row_digest(prev_hash: str, values: Mapping[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(values)}".encode()).hexdigest()


def normal_ip(value: object) -> str | None:
    """The address as the database stores it, or None when it is not an IP address (a forged header must
    neither fail the insert on PostgreSQL's inet column nor be hashed differently from what is stored)."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _prepare(row: AccessLog) -> None:
    """Fill the actor's username and division from the account, normalise and cut to the column sizes."""
    user = row.user if row.user_id is not None else None
    if user is not None:
        row.username = row.username or user.username
        row.division_code = row.division_code or (user.division_id or "")
    for name, limit in LIMITS.items():
        setattr(row, name, (getattr(row, name) or "")[:limit])
    row.ip_address = normal_ip(row.ip_address)


def _values(row: AccessLog) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def append(row: AccessLog, save: Callable[[], None], *, using: str | None = None) -> None:
    """Give ``row`` the next place in the chain and insert it (``save``), one writer at a time."""
    from sunshine.core.models import AccessLog

    db = using or router.db_for_write(AccessLog, instance=row)
    _prepare(row)
    with transaction.atomic(using=db):
        connection = connections[db]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        head = AccessLog.objects.using(db).order_by("-seq").values_list("seq", "row_hash").first()
        last_seq, prev_hash = head if head is not None else (0, GENESIS)
        row.seq = last_seq + 1
        row.prev_hash = prev_hash
        row.row_hash = row_digest(prev_hash, _values(row))
        save()


def chain_rows(rows: Iterable[dict[str, Any]], start_seq: int = 1,
               prev_hash: str = GENESIS) -> Iterable[dict[str, Any]]:
    """Chain rows that have none yet (the migration of existing rows): sets seq, prev_hash and row_hash."""
    seq = start_seq
    for row in rows:
        row["seq"] = seq
        row["prev_hash"] = prev_hash
        row["row_hash"] = prev_hash = row_digest(prev_hash, row)
        seq += 1
        yield row


@dataclass(frozen=True)
class Anchor:
    """A row known good at an earlier verification: the chain must still reach it, unchanged."""

    seq: int
    row_hash: str


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int  # rows checked
    last_seq: int  # the last intact row (0: none)
    last_hash: str
    broken_seq: int | None = None
    problem: str = ""


def verify(*, using: str = "default", anchor: Anchor | None = None, chunk_size: int = 2000) -> Verdict:
    """Walk the chain from its first row; stop at the first broken row and say what is wrong with it."""
    from sunshine.core.models import AccessLog

    columns = (*FIELDS, "prev_hash", "row_hash")
    rows = (AccessLog.objects.using(using).order_by("seq").values_list(*columns)
            .iterator(chunk_size=chunk_size))
    expected, prev_hash, count = 1, GENESIS, 0

    def broken(seq: int, problem: str) -> Verdict:
        return Verdict(False, count, expected - 1, prev_hash, seq, problem)

    for values in rows:
        row = dict(zip(columns, values, strict=True))
        seq = row["seq"]
        if seq != expected:
            return broken(expected, _("第 %(n)s 条记录不见了(序号从 %(n)s 跳到 %(m)s):记录被删除")
                          % {"n": expected, "m": seq})
        if not row["row_hash"]:
            return broken(seq, _("第 %(n)s 条记录没有哈希:它不是由系统写入的(被直接插入数据库)") % {"n": seq})
        if row["prev_hash"] != prev_hash:
            return broken(seq, _("第 %(n)s 条记录与前一条接不上:它前面的记录被删除、插入或调换了顺序")
                          % {"n": seq})
        if row_digest(prev_hash, row) != row["row_hash"]:
            return broken(seq, _("第 %(n)s 条记录的内容与其哈希不符:记录被修改") % {"n": seq})
        if anchor is not None and seq == anchor.seq and row["row_hash"] != anchor.row_hash:
            return broken(seq, _("第 %(n)s 条记录与上次校验时不同:已校验的记录被整体改写") % {"n": seq})
        prev_hash, expected, count = row["row_hash"], expected + 1, count + 1
    last = expected - 1
    if anchor is not None and last < anchor.seq:
        return Verdict(False, count, last, prev_hash, last + 1,
                       _("日志只到第 %(n)s 条,而上次校验时已有 %(m)s 条:末尾的记录被删除")
                       % {"n": last, "m": anchor.seq})
    return Verdict(True, count, last, prev_hash)
