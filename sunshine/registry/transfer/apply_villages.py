"""Village rows → townships and villages (Division) and their yearly figures (VillageYear).

A few hundred rows per county, so the ORM with simple-history's bulk helpers is quick enough here:
bulk_create_with_history / bulk_update_with_history write the history rows with the acting user."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division, KeyArea, User
from sunshine.registry.models import VillageYear
from sunshine.registry.transfer import bulk
from sunshine.registry.transfer.sync import REASON, Stamp

VILLAGE_YEAR_FIELDS = ("weak_village", "key_area_id", "collective_income", "two_lane_road", "clinic_ok")


@dataclass
class VillageCounts:
    townships_created: int = 0
    villages_created: int = 0
    villages_renamed: int = 0
    village_years_written: int = 0


def apply_villages(rows: Iterable[dict[str, Any]], *, actor: User, stamp: Stamp) -> VillageCounts:
    """Write the given (already checked) village rows. Townships are created when unknown (never
    renamed); villages are created, or renamed when the file names them differently."""
    rows = list(rows)
    counts = VillageCounts()
    if not rows:
        return counts
    history = {"default_user": actor, "default_date": stamp.now, "default_change_reason": REASON}
    codes = {r["division_code"] for r in rows}
    townships = {code[:9] + "000" for code in codes}
    counties = {code[:6] + "000000" for code in codes}
    existing = {d.code: d for d in Division.objects.filter(code__in=bulk.any_of(codes | townships | counties))}

    new_townships: dict[str, Division] = {}
    for row in rows:
        code = row["division_code"][:9] + "000"
        if code not in existing and code not in new_townships:
            county = existing[code[:6] + "000000"]
            new_townships[code] = Division(
                code=code, name=row["township_name"], level=DivisionLevel.TOWNSHIP, parent_id=county.code,
                is_northern=county.is_northern, is_key_county=False, synthetic=False)
    bulk_create_with_history(list(new_townships.values()), Division, **history)
    counts.townships_created = len(new_townships)

    new_villages: dict[str, Division] = {}
    renamed: dict[str, Division] = {}
    for row in sorted(rows, key=lambda r: r["year"]):  # the latest year's name wins
        code = row["division_code"]
        village = existing.get(code)
        if village is None:
            county = existing[code[:6] + "000000"]
            new_villages[code] = Division(
                code=code, name=row["name"], level=DivisionLevel.VILLAGE, parent_id=code[:9] + "000",
                is_northern=county.is_northern, is_key_county=False, synthetic=False)
        elif village.name != row["name"]:
            village.name = row["name"]
            renamed[code] = village
    bulk_create_with_history(list(new_villages.values()), Division, **history)
    bulk_update_with_history(list(renamed.values()), Division, ["name"], **history)
    counts.villages_created, counts.villages_renamed = len(new_villages), len(renamed)
    counts.village_years_written = _village_years(rows, stamp, history)
    return counts


def _village_years(rows: list[dict[str, Any]], stamp: Stamp, history: dict[str, Any]) -> int:
    key_areas = dict(KeyArea.objects.values_list("slug", "id"))
    current = {(v.village_id, v.year): v for v in VillageYear.objects.filter(
        village_id__in=bulk.any_of({r["division_code"] for r in rows}),
        year__in=sorted({r["year"] for r in rows}))}
    created: list[VillageYear] = []
    changed: list[VillageYear] = []
    for row in rows:
        values = {
            "weak_village": row.get("weak_village"),
            "key_area_id": key_areas[row["key_area"]] if row.get("key_area") else None,
            "collective_income": row.get("collective_income"),
            "two_lane_road": row.get("two_lane_road"),
            "clinic_ok": row.get("clinic_ok"),
        }
        record = current.get((row["division_code"], row["year"]))
        if record is None:
            created.append(VillageYear(village_id=row["division_code"], year=row["year"], **values))
        elif any(getattr(record, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(record, k, v)
            record.updated_at = stamp.now
            changed.append(record)
    bulk_create_with_history(created, VillageYear, **history)
    bulk_update_with_history(changed, VillageYear, [*VILLAGE_YEAR_FIELDS, "updated_at"], **history)
    return len(created) + len(changed)
