"""A household's change history: every historical record of its yearly records, members and people,
turned into readable entries (who, when, which field from what to what), personal data masked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sunshine.core.encrypted_fields import IdFactsField, KeyedHashField
from sunshine.core.models import User
from sunshine.core.scope import show_id_number, show_phone
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person

KIND_LABELS = {"+": "新建", "~": "修改", "-": "删除"}
SKIPPED = {"id", "created_at", "updated_at", "history_id", "history_date", "history_user", "history_type",
           "history_change_reason", "household_year", "household", "person"}
ID_FIELDS = {"id_number", "head_id_number"}
PHONE_FIELDS = {"phone"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    at: datetime
    user: User | None          # shown by name (the ``person`` filter); None: written by the system
    kind: str
    subject: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""           # the case (案件#12) or the administrator's correction (更正:…) behind it


def _display(reader: User, model: type, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name in ID_FIELDS:
        return show_id_number(reader, value)
    if name in PHONE_FIELDS:
        return show_phone(reader, value)
    if name == "birth_date" and not reader.can_see_full_personal_data:
        return "****-**-**"  # the birth date is the masked middle of the ID number
    f = model._meta.get_field(name)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _entries(reader: User, model: type, records: list[Any], subject: Any) -> list[Entry]:
    """Consecutive records of one object compared in memory (no query per record)."""
    by_object: dict[int, list[Any]] = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    # Keyed hashes of ID numbers (sunshine.core.crypto) are bookkeeping, not facts a reader entered.
    fields = [f.name for f in model._meta.concrete_fields
              if f.name not in SKIPPED and not isinstance(f, KeyedHashField | IdFactsField)]
    out: list[Entry] = []
    for chain in by_object.values():
        chain.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in chain:
            entry = Entry(at=record.history_date, user=record.history_user,
                          kind=KIND_LABELS.get(record.history_type, record.history_type),
                          subject=subject(record), reason=record.history_change_reason or "")
            for name in fields:
                new = getattr(record, name)
                old = getattr(previous, name) if previous is not None else None
                if previous is None and new in (None, ""):
                    continue
                if previous is None or old != new:
                    label = str(model._meta.get_field(name).verbose_name)
                    entry.changes.append(Change(label, _display(reader, model, name, old) if previous else "",
                                                _display(reader, model, name, new)))
            if entry.changes or record.history_type != "~":
                out.append(entry)
            previous = record
    return out


def household_history(*, reader: User, household: Household, limit: int = 200) -> list[Entry]:
    year_ids = list(household.years.values_list("id", flat=True))
    member_qs = MemberYear.history.filter(household_year_id__in=year_ids).select_related("history_user")
    members = list(member_qs)
    person_ids = {m.person_id for m in members}
    names = dict(Person.objects.filter(id__in=person_ids).values_list("id", "name"))
    years = dict(household.years.values_list("id", "year"))
    entries: list[Entry] = []
    entries += _entries(reader, Household, list(household.history.select_related("history_user")),
                        lambda r: "农户")
    entries += _entries(
        reader, HouseholdYear,
        list(HouseholdYear.history.filter(household_id=household.pk).select_related("history_user")),
        lambda r: f"{r.year}年度户信息",
    )
    entries += _entries(reader, MemberYear, members,
                        lambda r: f"{years.get(r.household_year_id, '')}年度成员 {names.get(r.person_id, '')}")
    entries += _entries(
        reader, Person, list(Person.history.filter(id__in=person_ids).select_related("history_user")),
        lambda r: f"人员 {r.name}",
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
