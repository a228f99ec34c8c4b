"""Loads the shipped reference divisions of Jiangsu (GB/T 2260) and the six key areas (seed §二(一))."""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).parent / "data"
NORTHERN_CITIES = {"3203", "3207", "3208", "3209", "3213"}  # city prefixes
KEY_COUNTIES = {
    "320321", "320324", "320723", "320724", "320803", "320804",
    "320826", "320921", "320922", "321322", "321323", "321324",
}


def load_reference_divisions(division_model, key_area_model) -> None:  # noqa: ANN001 - historical models
    from sunshine.core.divisions import level_of_code

    with (DATA / "jiangsu_divisions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:  # parents precede children in the file
        code = row["code"]
        division_model.objects.update_or_create(
            code=code,
            defaults={
                "name": row["name"],
                "level": level_of_code(code).value,
                "parent_id": row["parent"] or None,
                "is_northern": code[:4] in NORTHERN_CITIES,
                "is_key_county": code[:6] in KEY_COUNTIES and code[6:] == "000000",
            },
        )
    with (DATA / "key_areas.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            area, _ = key_area_model.objects.update_or_create(slug=row["slug"], defaults={"name": row["name"]})
            area.counties.set([c.ljust(12, "0") for c in row["counties"].split()])
