"""Department rows about people outside the registry: most of every dataset (the province has ~80M people,
the registry 2.5M). None of them can match a member (their ID sequence numbers are ≥ 500), and the 低保 roll
holds only people who left it before the check date, so that C-DIBAO-MISSING flags only the planted heads."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import rows as r
from .parts import POOLS, TYPES, _cents

STAGES = np.array(["primary"] * 6 + ["junior"] * 3 + ["senior"] * 3 + ["college"] * 5)  # ages 6 … 22
AGES = {"deaths": (40, 100), "students": (6, 22), "pension_insurance": (16, 95), "housing_renovation": (30, 90),
        "businesses": (25, 75), "vehicles": (20, 80), "real_estate": (25, 90), "public_payroll": (22, 60)}


def _pick(rng: np.random.Generator, values: list[str], n: int, p: list[float] | None = None) -> pa.Array:
    return r.cat(values, rng.choice(len(values), n, p=p))


def outsider_table(rng: np.random.Generator, name: str, n: int) -> pa.Table:  # noqa: PLR0911
    lo, hi = AGES.get(name, (0, 95))
    if name == "deaths":
        died = r.day("2000-01-01") + rng.integers(0, 7852, n)  # to mid-2021
        return r.frame(name, r.outsiders(rng, n, lo, hi, ref=died), n, death_date=died)
    if name == "dibao":
        size = rng.integers(1, 4, max(n, 1))
        hh = np.repeat(np.arange(len(size)), size)[:n]
        first = (np.cumsum(size) - size)[hh]
        persons = r.outsiders(rng, n, 0, 90, invalid_share=0.0)
        start = (r.day("2008-01-01") + rng.integers(0, 4000, len(size)))[hh]
        end = np.minimum(start + rng.integers(180, 3000, len(size))[hh], r.day("2020-06-30"))
        return r.frame(name, persons, n, aid_type=_pick(rng, ["dibao", "tekun"], n, [0.85, 0.15]),
                       head_id_number=pc.take(persons["id_number"], pa.array(first)), start_date=start,
                       end_date=end, monthly_amount=_cents(rng, 300, 800, n))
    persons = r.outsiders(rng, n, lo, hi)
    if name == "students":
        age = r.YEAR - r.ymd(np.asarray(persons["birth_date"].cast(pa.int32())))[0]
        return r.frame(name, persons, n, stage=pa.array(STAGES[np.clip(age - 6, 0, 16)]),
                       enrolment_status=_pick(rng, ["enrolled", "suspended", "dropped_out", "home_taught"], n,
                                              [0.96, 0.01, 0.01, 0.02]),
                       term=_pick(rng, ["2019-2020学年第二学期", "2020-2021学年第一学期"], n),
                       school=_pick(rng, POOLS["school"], n))
    if name == "medical_insurance":
        return r.frame(name, persons, n, scheme=_pick(rng, ["resident", "employee"], n, [0.8, 0.2]),
                       year=rng.integers(r.YEAR - 2, r.YEAR + 1, n).astype(np.int32),
                       insured_status=_pick(rng, ["insured", "stopped"], n, [0.97, 0.03]))
    if name == "pension_insurance":
        return r.frame(name, persons, n, scheme=_pick(rng, ["resident", "employee"], n, [0.7, 0.3]),
                       insured_status=_pick(rng, ["insured", "stopped"], n, [0.95, 0.05]))
    if name == "medical_claims":
        paid = np.exp(rng.normal(np.log(80000), 1.2, n)).astype(np.int64)
        return r.frame(name, persons, n, visit_date=r.day("2019-01-01") + rng.integers(0, 820, n), self_paid=paid,
                       total_cost=(paid * rng.uniform(1.2, 4, n)).astype(np.int64))
    if name == "disability":
        level = rng.choice(4, n, p=[0.1, 0.15, 0.35, 0.4])
        return r.frame(name, persons, n, disability_type=_pick(rng, TYPES, n), disability_level=r.cat(
            ["level1", "level2", "level3", "level4"], level), living_subsidy=rng.random(n) < 0.5,
            care_subsidy=rng.random(n) < np.where(level < 2, 0.7, 0.3))
    if name == "housing_renovation":
        return r.frame(name, persons, n, year=rng.integers(2016, 2021, n).astype(np.int32),
                       status=_pick(rng, ["done", "in_progress"], n, [0.7, 0.3]))
    if name == "businesses":
        return r.frame(name, persons, n, company=_pick(rng, POOLS["company"], n),
                       role=_pick(rng, ["legal_representative", "shareholder"], n),
                       registered_capital=np.exp(rng.normal(np.log(5e7), 1.5, n)).astype(np.int64))
    if name == "vehicles":
        return r.frame(name, persons, n, vehicle_type=_pick(rng, ["small_car", "truck", "farm_vehicle", "motorcycle"],
                                                            n, [0.55, 0.1, 0.1, 0.25]),
                       registered_date=r.day("2005-01-01") + rng.integers(0, 5800, n),
                       plate=pc.binary_join_element_wise("苏", _pick(rng, list("ABCDEFGHJKLMN"), n),
                                                         pa.array(rng.integers(10000, 99999, n)).cast(pa.string()), ""))
    if name == "real_estate":
        return r.frame(name, persons, n, location=_pick(rng, POOLS["location"], n), area_m2=rng.uniform(30, 250, n),
                       property_kind=_pick(rng, ["commercial", "self_built", "other"], n, [0.6, 0.35, 0.05]))
    if name == "public_payroll":
        return r.frame(name, persons, n, employer=_pick(rng, POOLS["employer"], n))
    if name == "disasters":
        return r.frame(name, persons, n, disaster_type=_pick(rng, POOLS["disaster_type"], n),
                       date=r.day("2018-01-01") + rng.integers(0, 1460, n), loss=_cents(rng, 100, 80000, n))
    raise KeyError(name)
