"""Storing a monitoring run's warnings: one EarlyWarning per subject and data, never raised twice on the same data.

The signature of an engine row is sha256(subject key, year, signals_text). The subject key is the household
number for a registered household and the keyed hash of the head's ID number for a household outside the
registry, so a 低保 head found by comparison (subject ``outside``) and the monitored household this module makes
for him are one subject. Neither holds a plain ID (the engine signs people by their keyed hash), so a signature
cannot be reversed by trying every ID number of a region without the hash key. For each row:

no warning with the signature       a new EarlyWarning (待核实, deadline = today + verification days, village
                                    level), event 'raised'
a warning with it, still open       last_run moves on; no event (a daily run would flood the history)
a warning with it, closed           nothing: its verification or clearance stands until the data change

Warnings raised before people were signed by their hash had signatures over plain ID numbers; migration 0006
replaced those signatures by ``legacy:<pk>``, and `sunshine keys rehash` does the same (mark_legacy) when the hash
key changes. A row whose signature is unknown is recognised as such a warning
when one of the year has the same subject, codes and explanation (the explanation says everything the signals
say, with names for IDs); the warning then takes the row's signature, so it is matched exactly from then on.

A 低保 head outside the registry gets a MonitoredHousehold (source comparison, number JC<year><6 digits>) unless
one of that year already has his ID; his plain ID is read (decrypted) from his finding for that row only. The
caller wraps the whole store in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from sunshine.comparison.models import Finding
from sunshine.core import bulk
from sunshine.core.models import Division, User
from sunshine.monitoring.choices import OPEN_STATUSES, EscalationLevel, MonitoredSource, WarningStatus
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold, MonitoringRun, WarningEvent
from sunshine.registry.models import Household

BATCH = 1000
RAISED = "raised"
REGISTERED, MONITORED, OUTSIDE = "registered", "monitored", "outside"
OUTSIDE_PREFIX = "JC"
LEGACY = "legacy:"  # the signature of a warning raised before signatures were over ID hashes (migration 0006)


def subject_key(row: dict[str, Any]) -> str:
    if row["subject"] == REGISTERED:
        return f"household:{row.get('household_no') or row['household_key']}"
    if row.get("id_hash"):
        return f"person:{row['id_hash']}"
    if row.get("number"):
        return f"monitored:{row['number']}"
    # A head known only by a hashed ID: told apart by name and division rather than merged with the others.
    return f"outside:{row.get('name') or ''}:{row['division_code']}"


def signature(row: dict[str, Any]) -> str:
    parts = (subject_key(row), str(row["year"]), row["signals_text"])
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# --- the cadre responsible for a household -------------------------------------------------------------


def assigned_cadres(household_ids: Iterable[int]) -> dict[int, int]:
    """household id → the user id of its assistance cadre (帮扶责任人): the cadre of a pairing open today,
    for the households whose cadre has an account (one query, sunshine.assistance.selectors)."""
    from sunshine.assistance.selectors import assigned_users

    return assigned_users(household_ids)


def cadre_for(household: Household) -> User | None:
    """The account of the assistance cadre of one household, or None (no open pairing, or no account)."""
    cadre_id = assigned_cadres([household.pk]).get(household.pk)
    return None if cadre_id is None else User.objects.filter(pk=cadre_id).first()


# --- helpers --------------------------------------------------------------------------------------------


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _existing(model: Any, field_name: str, keys: set[Any], kind: str = "text") -> set[Any]:
    if not keys:
        return set()
    return set(model.objects.filter(**{f"{field_name}__in": bulk.any_of(sorted(keys), kind)})
               .values_list(field_name, flat=True))


def _earlier(signatures: list[str]) -> dict[str, tuple[int, str]]:
    """signature → (pk, status) of the newest warning that has it (one query: the list is one parameter)."""
    found: dict[str, tuple[int, str]] = {}
    if signatures:
        for pk, sig, status in (EarlyWarning.objects.filter(signature__in=bulk.any_of(signatures)).order_by("pk")
                                .values_list("pk", "signature", "status")):
            found[sig] = (pk, status)
    return found


def _next_numbers(year: int) -> Iterator[str]:
    prefix = f"{OUTSIDE_PREFIX}{year}"
    used = MonitoredHousehold.objects.filter(year=year, number__startswith=prefix).values_list("number", flat=True)
    top = max((int(n[len(prefix):]) for n in used if n[len(prefix):].isdigit()), default=0)
    while True:
        top += 1
        yield f"{prefix}{top:06d}"


def known_households(year: int, rows: Iterable[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """subject key → (pk, number) of the monitored households of ``year`` the ``outside`` rows already have: by
    the head's ID hash, or for a head without a plain ID by name and division among those made from comparison."""
    rows = list(rows)
    hashes = sorted({r["id_hash"] for r in rows if r.get("id_hash")})
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(hashes):
        for pk, number, id_hash in (MonitoredHousehold.objects.filter(year=year, head_id_number_hash__in=chunk)
                                    .order_by("pk").values_list("pk", "number", "head_id_number_hash")):
            found.setdefault(f"person:{id_hash}", (pk, number))
    names = sorted({r.get("name") or "" for r in rows if not r.get("id_hash")})
    for chunk in _chunks(names):
        for pk, number, name, division in (
                MonitoredHousehold.objects.filter(year=year, head_id_number="", source=MonitoredSource.COMPARISON,
                                                  head_name__in=chunk)
                .order_by("pk").values_list("pk", "number", "head_name", "division_id")):
            found.setdefault(f"outside:{name}:{division}", (pk, number))
    return found


def plain_ids(hashes: Iterable[str]) -> dict[str, str]:
    """ID hash → the plain ID number of the comparison findings that carry it (decrypted for these only)."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(hashes))):
        for id_hash, id_number in (Finding.objects.filter(id_number_hash__in=chunk).exclude(id_number_hash="")
                                   .order_by("pk").values_list("id_number_hash", "id_number")):
            found.setdefault(id_hash, id_number)
    return found


def outside_households(rows: list[dict[str, Any]], run: MonitoringRun, actor: User | None,
                       divisions: set[str]) -> tuple[dict[str, tuple[int, str]], int]:
    """subject key → (pk, number) of the monitored household of each ``outside`` row: the one it already has,
    else a new one (source comparison) in the row's division; and how many were made."""
    wanted = {subject_key(r): r for r in rows if r["subject"] == OUTSIDE}
    found = known_households(run.year, wanted.values())
    keys = [key for key in wanted if key not in found]
    ids = plain_ids(wanted[key]["id_hash"] for key in keys if wanted[key].get("id_hash"))
    numbers = _next_numbers(run.year)
    created = [
        MonitoredHousehold(
            number=next(numbers), year=run.year,
            division_id=wanted[key]["division_code"] if wanted[key]["division_code"] in divisions else run.division_id,
            head_name=(wanted[key].get("name") or "")[:100],
            head_id_number=ids.get(wanted[key].get("id_hash") or "", ""),
            source=MonitoredSource.COMPARISON, created_by=actor,
            note=f"监测批次 #{run.pk} 据数据比对发现(低保户未纳入建档立卡)登记",
        )
        for key in keys
    ]
    if created:
        created = bulk_create_with_history(created, MonitoredHousehold, batch_size=BATCH, default_user=actor)
    found.update({key: (m.pk, m.number) for key, m in zip(keys, created, strict=True)})
    return found, len(created)


def mark_legacy() -> int:
    """Give every warning whose signature may rest on an ID hash — M-SUDDEN (the members' IDs), or a monitored
    household whose head has an ID — the signature ``legacy:<pk>``, so that the next run recognises it by subject,
    codes and explanation (recognise_legacy). For `sunshine keys rehash`: under a new hash key every hash, and so
    every such signature, changes. Returns how many were marked. (Migration 0006 does the same on its models.)"""
    with_id = set(MonitoredHousehold.objects.exclude(head_id_number_hash="").values_list("pk", flat=True))
    marked = [pk for pk, codes, monitored_id in (EarlyWarning.objects.exclude(signature__startswith=LEGACY)
                                                 .order_by("pk").values_list("pk", "codes", "monitored_id").iterator())
              if "M-SUDDEN" in (codes or []) or monitored_id in with_id]
    for chunk in _chunks(marked):
        EarlyWarning.objects.filter(pk__in=chunk).update(
            signature=Concat(Value(LEGACY), Cast("id", CharField()), output_field=CharField()))
    return len(marked)


def recognise_legacy(year: int, pending: list[tuple[dict[str, Any], str]]) -> dict[str, tuple[int, str]]:
    """signature → (pk, status) of the warning with a ``legacy:`` signature that each (row, signature) of
    ``pending`` (rows with an unknown signature) raised before; those warnings take the row's signature."""
    if not pending or not EarlyWarning.objects.filter(signature__startswith=LEGACY).exists():
        return {}
    outside = known_households(year, [row for row, _ in pending if row["subject"] == OUTSIDE])
    subjects: dict[str, tuple[str, int, dict[str, Any]]] = {}
    for row, sig in pending:
        if row["subject"] == REGISTERED:
            subjects[sig] = ("household", row["household_key"], row)
        elif row["subject"] == MONITORED:
            subjects[sig] = ("monitored", row["monitored_key"], row)
        elif subject_key(row) in outside:
            subjects[sig] = ("monitored", outside[subject_key(row)][0], row)
    legacy: dict[tuple[Any, ...], tuple[int, str]] = {}
    for kind in ("household", "monitored"):
        for chunk in _chunks(sorted({fk for k, fk, _ in subjects.values() if k == kind})):
            for pk, fk, explanation, codes, status in (
                    EarlyWarning.objects.filter(year=year, signature__startswith=LEGACY, **{f"{kind}_id__in": chunk})
                    .order_by("pk").values_list("pk", f"{kind}_id", "explanation", "codes", "status")):
                legacy[(kind, fk, explanation, tuple(codes))] = (pk, status)   # the newest wins
    found: dict[str, tuple[int, str]] = {}
    for sig, (kind, fk, row) in subjects.items():
        match = legacy.pop((kind, fk, row["explanation"], tuple(row["codes"])), None)
        if match is not None:
            EarlyWarning.objects.filter(pk=match[0]).update(signature=sig)
            found[sig] = match
    return found


# --- storing --------------------------------------------------------------------------------------------


@dataclass
class Stored:
    counts: dict[str, Any]
    # subject key → the number an outside subject is known by now (its monitored household's), for exports
    outside_numbers: dict[str, str] = field(default_factory=dict)


def store_warnings(run: MonitoringRun, table: pa.Table, *, verification_days: int, actor: User | None,
                   today: dt.date | None = None) -> Stored:
    """Write the warnings of ``run`` (WARNINGS rows); call inside a transaction."""
    rows: list[dict[str, Any]] = []
    prints: list[str] = []
    seen: set[str] = set()
    for row in table.to_pylist():
        sig = signature(row)
        if sig not in seen:
            seen.add(sig)
            rows.append(row)
            prints.append(sig)
    divisions = _existing(Division, "code", {r["division_code"] for r in rows})
    earlier = _earlier(prints)
    earlier.update(recognise_legacy(run.year, [(row, sig) for row, sig in zip(rows, prints, strict=True)
                                               if sig not in earlier]))
    fresh = [(row, sig) for row, sig in zip(rows, prints, strict=True) if sig not in earlier]
    outside, made = outside_households([row for row, _ in fresh], run, actor, divisions)
    households = _existing(Household, "pk", {r["household_key"] for r, _ in fresh if r["subject"] == REGISTERED},
                           "int")
    cadres = assigned_cadres(sorted(households))
    deadline = (today or timezone.localdate()) + dt.timedelta(days=int(verification_days))

    created = []
    for row, sig in fresh:
        household_id = row["household_key"] if row["subject"] == REGISTERED else None
        if row["subject"] == REGISTERED and household_id not in households:
            continue  # removed from the registry since the snapshot: nothing to attach a warning to
        monitored_id = row.get("monitored_key") if row["subject"] == MONITORED else None
        if row["subject"] == OUTSIDE:
            monitored_id = outside[subject_key(row)][0]
        created.append(EarlyWarning(
            year=row["year"], household_id=household_id,
            monitored_id=monitored_id,
            division_id=row["division_code"] if row["division_code"] in divisions else run.division_id,
            codes=list(row["codes"]), score=row["score"],
            contributions={c["signal"]: c["points"] for c in row["contributions"]},
            explanation=row["explanation"], signature=sig, status=WarningStatus.PENDING, deadline=deadline,
            escalation=EscalationLevel.VILLAGE, assigned_to_id=cadres.get(household_id), first_run=run, last_run=run,
        ))
    # Set-based (COPY on PostgreSQL): a province's run raises tens of thousands of warnings.
    bulk.insert_objects(EarlyWarning, created)
    new_ids = list(EarlyWarning.objects.filter(first_run=run).values_list("pk", flat=True))
    bulk.insert_objects(WarningEvent, [
        WarningEvent(warning_id=pk, user=actor, action=RAISED, to_status=WarningStatus.PENDING, run=run,
                     note=f"监测批次 #{run.pk} 预警") for pk in new_ids])
    still_open = sorted(pk for pk, status in earlier.values() if status in OPEN_STATUSES)
    if still_open:
        EarlyWarning.objects.filter(pk__in=bulk.any_of(still_open, "int"), last_run_id__lt=run.pk).update(
            last_run=run, updated_at=timezone.now())

    by_code = Counter(code for row in rows for code in row["codes"])
    counts = {"total": len(rows), "by_code": dict(sorted(by_code.items())), "new": len(created),
              "repeated": len(rows) - len(fresh),
              "outside_households": made}
    numbers = {key: number for key, (_, number) in outside.items()}
    # Outside subjects seen again already have their household: name it in exports too.
    again = [r for r, sig in zip(rows, prints, strict=True) if sig in earlier and r["subject"] == OUTSIDE]
    if again:
        numbers.update({key: number for key, (_, number) in known_households(run.year, again).items()})
    return Stored(counts=counts, outside_numbers=numbers)
