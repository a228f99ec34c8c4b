"""The import may not do what only an approved case may: for a household-year already in the registry, a
row that would change its status, identification year or exit year, a member's status, or add or remove a
member is refused with a row error naming the case type to open instead (标注脱贫, 返贫, 销户, 纳入,
自然变更). The first import of a household's year (no record yet) sets them as the file says.

The same rule as the registry services (sunshine.registry.services.PROCEDURE_*), which the importer does
not go through (it writes set-based). A fixed number of queries per chunk of keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sunshine.core.crypto import keyed_hash
from sunshine.core.ids import mask_id_number
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear, Person
from sunshine.registry.services import PROCEDURE_HOUSEHOLD_FIELDS, case_type_for
from sunshine.registry.transfer import bulk
from sunshine.registry.transfer.model import ParsedRegistry

Key = tuple[str, int]
LOOKUP_CHUNK = 20000
LABELS = {"status": "状态", "identified_year": "识别年度", "exit_year": "脱贫年度"}


def _chunks(items: list[Any], size: int = LOOKUP_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "空"
    if name == "status":
        return str(c.HouseholdStatus(value).label)
    if name == "member_status":
        return str(c.MemberStatus(value).label)
    return str(value)


def _case_hint(case_type: str) -> str:
    return f"须发起“{case_type}”案件,经审核、审定批准后由系统变更;导入不能修改"


def check_procedure(parsed: ParsedRegistry, known: dict[str, tuple[Any, ...]], errors: Any, bad: set[Key]) -> None:
    """Report (and mark bad) the household-years whose rows would change what only a case may change.
    ``known``: 户编号 → (id, …) of the households already in the database (checks._check_households)."""
    # A member row with an error is not in parsed.members: don't report it as a member left out as well.
    invalid = set(bad)
    rows = {(h["household_no"], h["year"]): h for h in parsed.households if h["household_no"] in known}
    if not rows:
        return
    existing: dict[Key, tuple[int, dict[str, Any]]] = {}
    number_of = {known[no][0]: no for no, _ in rows}
    years = sorted({year for _, year in rows})
    for part in _chunks(sorted(number_of)):
        for pk, household_id, year, *values in HouseholdYear.objects.filter(
                household_id__in=bulk.any_of(part, "int"), year__in=years).values_list(
                "id", "household_id", "year", *PROCEDURE_HOUSEHOLD_FIELDS):
            key = (number_of[household_id], year)
            if key in rows:
                existing[key] = (pk, dict(zip(PROCEDURE_HOUSEHOLD_FIELDS, values, strict=True)))
    if not existing:
        return
    for key, (_, stored) in existing.items():
        row = rows[key]
        for name in PROCEDURE_HOUSEHOLD_FIELDS:
            new = row.get(name)
            if new != stored[name]:
                case_type = case_type_for(name, new if name == "status" else None)
                errors.add("households", row, name,
                           f"{key[1]}年度已建档的农户{LABELS[name]}现为{_shown(name, stored[name])},"
                           f"{_case_hint(case_type)}", _shown(name, new))
                bad.add(key)
    _check_members(parsed, rows, existing, errors, bad, invalid)


def _check_members(parsed: ParsedRegistry, rows: dict[Key, dict[str, Any]],
                   existing: dict[Key, tuple[int, dict[str, Any]]], errors: Any, bad: set[Key],
                   invalid: set[Key]) -> None:
    key_of = {pk: key for key, (pk, _) in existing.items()}
    stored: dict[Key, dict[str, str]] = defaultdict(dict)   # household-year → hash of the ID number → status
    person_of: dict[str, int] = {}
    for part in _chunks(sorted(key_of)):
        for hy, number, status, person in MemberYear.objects.filter(household_year_id__in=bulk.any_of(part, "int")) \
                .values_list("household_year_id", "person__id_number_hash", "member_status", "person_id"):
            stored[key_of[hy]][number] = status   # by the keyed hash of the ID number: nothing is decrypted
            person_of[number] = person
    in_file: dict[Key, set[str]] = defaultdict(set)
    change = case_type_for("member_status")
    for m in parsed.members:
        key = (m["household_no"], m["year"])
        number = m.get("id_number")
        if key not in existing or not number:
            continue
        in_file[key].add(keyed_hash(number))
        before = stored[key].get(keyed_hash(number))
        status = m.get("member_status") or c.MemberStatus.ACTIVE
        if before is None:
            errors.add("members", m, "id_number", f"此人不是该户{key[1]}年度的成员;增加成员{_case_hint(change)}",
                       mask_id_number(number))
            bad.add(key)
        elif status != before:
            errors.add("members", m, "member_status",
                       f"成员状态现为{_shown('member_status', before)},{_case_hint(change)}",
                       _shown("member_status", status))
            bad.add(key)
    missing_of = {key: set(stored[key]) - in_file[key] for key in existing.keys() - invalid}
    wanted = [person_of[h] for missing in missing_of.values() for h in missing]
    numbers = dict(Person.objects.filter(pk__in=bulk.any_of(wanted, "int")).values_list("pk", "id_number")) \
        if wanted else {}
    for key, missing_hashes in missing_of.items():
        missing = sorted(numbers[person_of[h]] for h in missing_hashes)
        if missing:
            shown = "、".join(mask_id_number(n) for n in missing[:3]) + ("等" if len(missing) > 3 else "")
            errors.add("households", rows[key], "household_no",
                       f"文件缺少该户{key[1]}年度的成员 {shown};减少成员{_case_hint(change)}")
            bad.add(key)
