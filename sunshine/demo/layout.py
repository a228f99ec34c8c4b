"""Townships and villages of a synthetic region, with their yearly village figures (VillageYear)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division, KeyArea
from sunshine.demo.names import place_names
from sunshine.registry.models import VillageYear

HOUSEHOLDS_PER_VILLAGE = 200 / 3  # ≈ 67: 20,000 registered households in 300 villages
VILLAGES_PER_TOWNSHIP = 15
KEY_AREA_SHARE = 0.4  # share of townships (and so villages) inside the county's key area
WEAK_VILLAGE_SHARE = 0.10


@dataclass(frozen=True)
class Layout:
    township_codes: list[str]
    village_codes: list[str]
    households_per_village: np.ndarray  # aligned with village_codes; sums to the household count


def _township_numbers(count: int, taken: set[int]) -> list[tuple[int, str]]:
    """3-digit township numbers as in 统计用区划代码: 1xx are towns (镇), 2xx townships (乡). x00 is never a
    division, and numbers already used under the county (real townships) are skipped."""
    numbers: list[tuple[int, str]] = []
    for number in range(101, 1000):
        if number % 100 == 0 or number in taken:
            continue
        numbers.append((number, "镇" if number < 200 else "乡"))
        if len(numbers) == count:
            return numbers
    raise ValueError(f"县内乡镇代码不足以容纳 {count} 个乡镇")


def _split(total: int, parts: int, rng: np.random.Generator, *, spread: float) -> np.ndarray:
    """``total`` split into ``parts`` positive integers of unequal size (real villages differ)."""
    if parts > total:
        raise ValueError(f"{total} 无法分成 {parts} 份")
    weights = rng.gamma(spread, size=parts)
    counts = np.ones(parts, dtype=np.int64) + rng.multinomial(total - parts, weights / weights.sum())
    return counts


def build_layout(*, county: Division, households: int, seed: int, years: tuple[int, ...]) -> Layout:
    """Create the synthetic townships and villages under ``county`` (synthetic=True) and their
    VillageYear rows. Bulk inserts: no django-simple-history rows are written for generated data."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    n_villages = max(1, round(households / HOUSEHOLDS_PER_VILLAGE))
    n_townships = max(1, round(n_villages / VILLAGES_PER_TOWNSHIP))
    county6 = county.code[:6]
    taken = {
        int(code[6:9])
        for code in Division.objects.filter(code__startswith=county6).values_list("code", flat=True)
        if code[6:9] != "000"
    }
    numbers = _township_numbers(n_townships, taken)
    town_names: list[str] = []
    for ending in ("镇", "乡"):
        k = sum(1 for _, e in numbers if e == ending)
        town_names += place_names(rng, k, ending=ending, avoid=set(town_names))
    villages_per_town = _split(n_villages, n_townships, rng, spread=12.0)

    divisions: list[Division] = []
    township_codes: list[str] = []
    village_codes: list[str] = []
    township_of_village: list[int] = []
    for t, ((number, _ending), name) in enumerate(zip(numbers, town_names, strict=True)):
        t_code = f"{county6}{number:03d}000"
        township_codes.append(t_code)
        divisions.append(Division(code=t_code, name=name, level=DivisionLevel.TOWNSHIP, parent_id=county.code,
                                  is_northern=county.is_northern, is_key_county=False, synthetic=True))
        k = int(villages_per_town[t])
        if k > 799:
            raise ValueError("一个乡镇最多 799 个村")
        # 2xx: 村民委员会 in the statistical code (001–199 are neighbourhood committees).
        for v, v_name in enumerate(place_names(rng, k, ending="村")):
            v_code = f"{t_code[:9]}{201 + v:03d}"
            village_codes.append(v_code)
            township_of_village.append(t)
            divisions.append(Division(code=v_code, name=v_name, level=DivisionLevel.VILLAGE, parent_id=t_code,
                                      is_northern=county.is_northern, is_key_county=False, synthetic=True))
    Division.objects.bulk_create(divisions, batch_size=2000)

    per_village = _split(households, n_villages, rng, spread=6.0)
    _village_years(
        rng, county=county, village_codes=village_codes, township_of_village=np.array(township_of_village),
        n_townships=n_townships, years=years,
    )
    return Layout(township_codes=township_codes, village_codes=village_codes, households_per_village=per_village)


def _village_years(rng: np.random.Generator, *, county: Division, village_codes: list[str],
                   township_of_village: np.ndarray, n_townships: int, years: tuple[int, ...]) -> None:
    n = len(village_codes)
    area = KeyArea.objects.filter(counties=county).order_by("id").first()
    # Key areas are contiguous stretches of land, so whole townships (the first ones) belong to them.
    in_area = (township_of_village < max(1, round(n_townships * KEY_AREA_SHARE))) if area else np.zeros(n, bool)
    # Weak villages (省定经济薄弱村) are more frequent inside key areas.
    weak = rng.random(n) < np.where(in_area, WEAK_VILLAGE_SHARE * 1.6, WEAK_VILLAGE_SHARE * 0.6)
    base_income = np.where(weak, rng.uniform(80_000, 160_000, n), rng.uniform(150_000, 420_000, n))
    growth = rng.uniform(1.06, 1.22, n)
    road_year = np.where(rng.random(n) < 0.85, years[0], rng.integers(years[0] + 1, years[0] + 4, n))
    clinic_year = np.where(rng.random(n) < 0.90, years[0], rng.integers(years[0] + 1, years[0] + 4, n))
    rows: list[VillageYear] = []
    for i, code in enumerate(village_codes):
        for k, year in enumerate(years):
            income = round(float(base_income[i] * growth[i] ** k), 2)
            rows.append(VillageYear(
                village_id=code, year=year, weak_village=bool(weak[i]),
                key_area=area if in_area[i] else None,
                collective_income=Decimal(f"{income:.2f}"),
                two_lane_road=bool(year >= road_year[i]), clinic_ok=bool(year >= clinic_year[i]),
            ))
    VillageYear.objects.bulk_create(rows, batch_size=2000)
