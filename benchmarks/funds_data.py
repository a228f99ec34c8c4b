"""Synthetic province-sized funds year for benchmarks/funds.py: the tables of sunshine.engine.funds.tables as
Parquet, with planted anomalies of every F-/P- rule (the truth precision and recall are measured against) and
near misses that must not be flagged.

Vectorised with numpy and pyarrow. At scale 1.0: 12 key counties, 2,500,000 registry members of 2020 in about
830,000 households, 20,000 projects, 60,000 funds with one allocation each, 10,000,000 payments. Payees are
named by made-up id_hash values (64 hex digits), as the Django layer hands them to the engine.

The background is clean by construction: every payment fills a distinct (person, item, period) or (household,
item, period) slot of an active member of a registered household, at most the item's standard; loans and
dividends have their computed standard in ``standards``; funds are fully allocated; projects spend exactly
what they were allocated (by 1 December), within a budget of 1.2 × that, after a ten-day approval
announcement; accepted projects have a result announcement and registered beneficiaries; the households of
village cadres receive nothing. The planted records are drawn without replacement, so each plays one part.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

VERSION = 2
YEAR = 2020
T = dt.date(YEAR, 12, 31)
FULL = {"members": 2_500_000, "projects": 20_000, "funds": 60_000, "payments": 10_000_000}
COUNTIES = 12
EPOCH = dt.date(1970, 1, 1)
PERSON_ITEMS = ("medical_premium", "education_aid", "employment_subsidy")   # yearly; then public_job × 12
HOUSEHOLD_ITEMS = ("industry_award", "temporary_relief", "housing_renovation", "dividend")
STANDARD = {"education_aid": 2000, "medical_premium": 280, "housing_renovation": 30000, "industry_award": 5000,
            "employment_subsidy": 3000, "public_job": 800, "temporary_relief": 5000}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红文玉春海")


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.int32()).cast(pa.date32())


def money(fen: np.ndarray) -> pa.Array:
    from sunshine.engine.snapshot import decimal_from_cents

    return decimal_from_cents(np.asarray(fen, dtype=np.int64))


def codes(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """prefix + zero-padded numbers, built as one byte matrix (no Python string per row)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    matrix = np.empty((len(numbers), len(head) + width), dtype=np.uint8)
    matrix[:, :len(head)] = head
    for k in range(width):
        matrix[:, len(head) + width - 1 - k] = (numbers // 10**k) % 10 + 48
    return _strings(matrix)


def _strings(matrix: np.ndarray) -> pa.Array:
    n, w = matrix.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix)))


def hashes(rng: np.random.Generator, n: int) -> pa.Array:
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = hexdigits[raw >> 4]
    out[:, 1::2] = hexdigits[raw & 15]
    return _strings(out)


def names(rng: np.random.Generator, n: int) -> pa.Array:
    first = pa.array(SURNAMES).take(pa.array(rng.integers(0, len(SURNAMES), n)))
    second = pa.array(GIVEN).take(pa.array(rng.integers(0, len(GIVEN), n)))
    third = pa.array([*GIVEN, ""]).take(pa.array(np.where(rng.random(n) < 0.6, rng.integers(0, len(GIVEN), n),
                                                          len(GIVEN))))
    return pc.binary_join_element_wise(first, second, third, "")


def random_days(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    return rng.integers(day(start), day(end) + 1, n)


class Picker:
    """Draws indices of a population without replacement, so that each plays one part."""

    def __init__(self, rng: np.random.Generator, population: np.ndarray) -> None:
        self.pool = rng.permutation(population)
        self.at = 0

    def take(self, k: int) -> np.ndarray:
        if self.at + k > len(self.pool):
            raise ValueError("population too small for the planted records")
        out = self.pool[self.at:self.at + k]
        self.at += k
        return out


class Truth:
    def __init__(self) -> None:
        self.rows: dict[str, list] = {"rule": [], "key": [], "kind": []}
        self.near: dict[str, list] = {"rule": [], "key": [], "kind": []}

    def add(self, rule: str, keys: list[str] | pa.Array, kind: str, *, near: bool = False) -> None:
        keys = keys.to_pylist() if isinstance(keys, pa.Array) else list(keys)
        target = self.near if near else self.rows
        target["rule"] += [rule] * len(keys)
        target["key"] += keys
        target["kind"] += [kind] * len(keys)


def generate(directory: Path, scale: float, seed: int, log: Callable[[str], None] = print) -> dict:
    """Write the year to ``directory`` (or keep it when manifest.json has the same parameters)."""
    params = {"version": VERSION, "scale": scale, "seed": seed}
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params:
            manifest["reused"] = True
            return manifest
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    truth = Truth()
    plant = max(3, round(500 * scale))        # planted payment anomalies per kind
    plant_small = max(3, round(100 * scale))  # planted fund and project anomalies per kind
    counts: dict[str, int] = {}

    # --- registry -------------------------------------------------------------------------------------------
    n_members = max(1000, round(FULL["members"] * scale))
    sizes = rng.integers(1, 6, n_members)                     # household sizes 1–5
    household_of = np.repeat(np.arange(n_members), sizes)[:n_members]
    n_households = int(household_of[-1]) + 1
    villages_per_county = max(3, round(200 * scale))
    n_villages = COUNTIES * villages_per_county
    village_codes = np.array([f"32{c + 1:02d}21{1 + v // 20:03d}{1 + v % 20:03d}"
                              for c in range(COUNTIES) for v in range(villages_per_county)])
    village_of_household = rng.integers(0, n_villages, n_households)
    status_draw = rng.random(n_households)
    household_status = np.where(status_draw < 0.35, "in_poverty", np.where(status_draw < 0.98, "exited",
                                np.where(status_draw < 0.99, "returned", "closed")))
    member_draw = rng.random(n_members)
    member_status = np.where(member_draw < 0.97, "active", np.where(member_draw < 0.98, "moved_out", "deceased"))
    change_day = np.where(member_status == "active", -1, random_days(rng, n_members, dt.date(YEAR, 2, 1),
                                                                       dt.date(YEAR, 11, 30)))
    member_hash = hashes(rng, n_members)
    member_name = names(rng, n_members)
    household_no = codes("H", np.arange(n_households), 9)
    registered_household = household_status != "closed"
    active = member_status == "active"
    log(f"registry: {n_members:,} members in {n_households:,} households, {n_villages} villages")

    # Cadres: five per village, members of registered households (one cadre per household); their households
    # receive no background payments.
    eligible_member = active & registered_household[household_of]
    n_cadres = n_villages * 5
    candidates = Picker(rng, np.flatnonzero(eligible_member)).take(min(3 * n_cadres, int(eligible_member.sum())))
    first = np.sort(np.unique(household_of[candidates], return_index=True)[1])
    cadre_member = candidates[first][:n_cadres]
    n_cadres = len(cadre_member)
    cadre_household = np.zeros(n_households, dtype=bool)
    cadre_household[household_of[cadre_member]] = True
    ordinary = ~cadre_household[household_of]
    payee_ok = eligible_member & ordinary
    # Per household: its first member that may be paid (the head), -1 if none.
    head = np.full(n_households, -1, dtype=np.int64)
    ok_idx = np.flatnonzero(payee_ok)
    firsts = np.unique(household_of[ok_idx], return_index=True)
    head[firsts[0]] = ok_idx[firsts[1]]

    # --- background payments: distinct slots, each within its standard ------------------------------------
    item_names = [*PERSON_ITEMS, "public_job", *HOUSEHOLD_ITEMS, "loan_interest_subsidy"]
    item_code = {name: k for k, name in enumerate(item_names)}
    period_names = [str(YEAR), *(f"{YEAR}-{m:02d}" for m in range(1, 13)), str(YEAR - 1), str(YEAR - 2)]
    standard_fen = np.array([STANDARD.get(i, 1000) * 100 for i in item_names], dtype=np.int64)
    n_payments = max(2000, round(FULL["payments"] * scale))
    person_pool = np.flatnonzero(payee_ok)
    household_pool = np.flatnonzero(head >= 0)
    person_slots, household_slots = len(person_pool) * 15, len(household_pool) * 4
    n_loans = max(20, round(100_000 * scale))
    n_background = n_payments - n_loans - 13 * plant
    slots = np.sort(rng.choice(person_slots + household_slots, size=n_background, replace=False))
    is_person = slots < person_slots
    p_slot, h_slot = slots[is_person], slots[~is_person] - person_slots
    payee = np.concatenate([person_pool[p_slot // 15], head[household_pool[h_slot // 4]]])
    p_kind, h_kind = p_slot % 15, h_slot % 4
    item = np.concatenate([np.minimum(p_kind, 3), 4 + h_kind])
    period = np.concatenate([np.where(p_kind >= 3, p_kind - 2, 0), np.zeros(len(h_slot), dtype=np.int64)])
    fen = (standard_fen[item] * rng.uniform(0.5, 1.0, n_background)).astype(np.int64) // 100 * 100
    paid = random_days(rng, n_background, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 20))
    monthly = period > 0
    paid[monthly] = np.array([day(dt.date(YEAR, m, 15)) for m in range(1, 13)])[period[monthly] - 1]
    dividend = item == item_code["dividend"]
    standards_parts = [{"item": np.full(int(dividend.sum()), "dividend"),
                        "key": household_no.take(pa.array(household_of[payee[dividend]])), "fen": fen[dividend]}]
    # Loans: one interest subsidy each, the standard at or above what was paid, but for the plants.
    loan_payee = person_pool[rng.integers(0, len(person_pool), n_loans)]
    loan_fen = rng.integers(5000, 200000, n_loans)
    loan_standard = loan_fen + rng.integers(0, 1001, n_loans)
    near_loans = max(1, plant // 5)
    loan_standard[:near_loans] = loan_fen[:near_loans] - 1          # paid = standard + 0.01: not flagged
    over_loans = slice(near_loans, near_loans + plant)
    loan_standard[over_loans] = loan_fen[over_loans] - 100          # paid 1.00 above the standard: F-OVER
    loan_no = codes("DK", np.arange(n_loans), 8)
    standards_parts.append({"item": np.full(n_loans, "loan_interest_subsidy"), "key": loan_no,
                            "fen": loan_standard})
    truth.add("F-OVER", [f"P{i:09d}" for i in range(n_background + near_loans, n_background + near_loans + plant)],
              "loan interest subsidy 1.00 above the computed standard")
    truth.add("F-OVER", [f"P{i:09d}" for i in range(n_background, n_background + near_loans)],
              "loan interest subsidy exactly 0.01 above the computed standard", near=True)
    payee = np.concatenate([payee, loan_payee])
    item = np.concatenate([item, np.full(n_loans, item_code["loan_interest_subsidy"])])
    period = np.concatenate([period, np.zeros(n_loans, dtype=np.int64)])
    fen = np.concatenate([fen, loan_fen])
    paid = np.concatenate([paid, random_days(rng, n_loans, dt.date(YEAR, 3, 1), dt.date(YEAR, 12, 20))])
    n_base = len(payee)

    # Planted changes to background payments (yearly person items; drawn without replacement).
    pick = Picker(rng, np.flatnonzero(item[:n_background] < len(PERSON_ITEMS)))
    dups, overs, at_standard = pick.take(plant), pick.take(plant), pick.take(plant)
    fen[overs] = standard_fen[item[overs]] + 10000
    truth.add("F-OVER", [f"P{i:09d}" for i in overs], "one payment 100 元 above the standard")
    fen[at_standard] = standard_fen[item[at_standard]]
    truth.add("F-OVER", [f"P{i:09d}" for i in at_standard], "paid exactly the standard", near=True)
    last_year = pick.take(plant)

    extra: dict[str, list] = {"payee": [], "item": [], "period": [], "fen": [], "paid": [], "household": [],
                              "hash": [], "name": []}

    def add_payment(payee_index: int, item_name: str, amount_fen: int, paid_day: int, *, period_index: int = 0,
                    household: str | None = None, hash_text: str | None = None, name: str | None = None) -> str:
        number = n_base + len(extra["payee"])
        for key, value in (("payee", payee_index), ("item", item_code[item_name]), ("period", period_index),
                           ("fen", amount_fen), ("paid", paid_day), ("household", household), ("hash", hash_text),
                           ("name", name)):
            extra[key].append(value)
        return f"P{number:09d}"

    # F-DUP: a second payment for the same person, item and period; the two together stay within the standard.
    for i in dups:
        half = fen[i] // 2
        second = add_payment(int(payee[i]), item_names[item[i]], int(fen[i] - half), int(paid[i]))
        fen[i] = half
        truth.add("F-DUP", [f"P{i:09d};{second}"], "the same person, item and period paid twice")
    for i in last_year:   # the same person and item for last year: a different period, and not this run's
        other = add_payment(int(payee[i]), item_names[item[i]], int(fen[i]), day(dt.date(YEAR - 1, 6, 1)),
                            period_index=len(period_names) - 2)
        truth.add("F-DUP", [f"P{i:09d};{other}"], "the same person and item, last year's period", near=True)
    # F-DUP and F-OVER: a once-ever item (危房改造) paid to two members of one household, or in two years.
    renovated = np.zeros(n_households, dtype=bool)
    renovated[household_of[payee[item == item_code["housing_renovation"]]]] = True
    members_per_household = np.bincount(household_of[payee_ok], minlength=n_households)
    hh_pick = Picker(rng, np.flatnonzero((members_per_household >= 2) & ~renovated))
    for h in hh_pick.take(plant):
        members = np.flatnonzero((household_of == h) & payee_ok)[:2]
        first = add_payment(int(members[0]), "housing_renovation", 3000000, day(dt.date(YEAR, 4, 1)))
        second = add_payment(int(members[1]), "housing_renovation", 3000000, day(dt.date(YEAR, 9, 1)))
        for rule in ("F-DUP", "F-OVER"):
            truth.add(rule, [f"{first};{second}"], "once-ever household item paid to two members")
    for h in hh_pick.take(plant):
        member = int(np.flatnonzero((household_of == h) & payee_ok)[0])
        first = add_payment(member, "housing_renovation", 2000000, day(dt.date(YEAR - 2, 5, 1)),
                            period_index=len(period_names) - 1, household=household_no[int(h)].as_py())
        second = add_payment(member, "housing_renovation", 1500000, day(dt.date(YEAR, 5, 1)))
        for rule in ("F-DUP", "F-OVER"):
            truth.add(rule, [f"{first};{second}"], "once-ever household item paid again two years later")

    # F-INELIGIBLE
    outsiders = hashes(rng, 4 * plant).to_pylist()
    outsider_names = names(rng, 4 * plant).to_pylist()
    deaths_hash, deaths_day = [], []
    for k in range(plant):
        no = add_payment(-1, "education_aid", 100000, day(dt.date(YEAR, 6, 1)), hash_text=outsiders[k],
                         name=outsider_names[k])
        truth.add("F-INELIGIBLE", [no], "item for registered households paid to someone outside the registry")
        no = add_payment(-1, "temporary_relief", 200000, day(dt.date(YEAR, 6, 1)), hash_text=outsiders[plant + k],
                         name=outsider_names[plant + k])
        truth.add("F-INELIGIBLE", [no], "temporary relief (no registration needed) to someone outside", near=True)
        died = outsiders[2 * plant + k]
        deaths_hash.append(died)
        deaths_day.append(day(dt.date(YEAR, 3, 1)))
        no = add_payment(-1, "temporary_relief", 200000, day(dt.date(YEAR, 3, 2)), hash_text=died,
                         name=outsider_names[2 * plant + k])
        truth.add("F-INELIGIBLE", [no], "paid the day after a death known only to the deaths dataset")
        alive = outsiders[3 * plant + k]
        deaths_hash.append(alive)
        deaths_day.append(day(dt.date(YEAR, 7, 1)))
        no = add_payment(-1, "temporary_relief", 200000, day(dt.date(YEAR, 7, 1)), hash_text=alive,
                         name=outsider_names[3 * plant + k])
        truth.add("F-INELIGIBLE", [no], "paid on the day of the death", near=True)
    for m in Picker(rng, np.flatnonzero(active & ~registered_household[household_of])).take(plant):
        no = add_payment(int(m), "medical_premium", 28000, day(dt.date(YEAR, 5, 1)))
        truth.add("F-INELIGIBLE", [no], "paid to a member of a closed (已销户) household")
    registered_ordinary = registered_household[household_of] & ordinary
    for m in Picker(rng, np.flatnonzero((member_status == "deceased") & registered_ordinary)).take(plant):
        no = add_payment(int(m), "medical_premium", 28000, int(change_day[m]) + 1)
        truth.add("F-INELIGIBLE", [no], "paid after the registry's 死亡 change date")
    for m in Picker(rng, np.flatnonzero((member_status == "moved_out") & registered_ordinary)).take(plant):
        no = add_payment(int(m), "medical_premium", 28000, int(change_day[m]))
        truth.add("F-INELIGIBLE", [no], "paid to a member on the day they moved out", near=True)

    # F-CADRE: cadre households get one payment each; inside the term it is flagged, after it or for a cadre of
    # another village it is not.
    cadre_start = np.full(n_cadres, day(dt.date(2018, 1, 1)))
    cadre_end = np.full(n_cadres, -1)
    cadre_village = village_of_household[household_of[cadre_member]].copy()
    roles = Picker(rng, np.arange(n_cadres))
    inside, ended, elsewhere = roles.take(plant), roles.take(plant), roles.take(plant)
    cadre_end[ended] = day(dt.date(YEAR, 3, 31))
    cadre_village[elsewhere] = (cadre_village[elsewhere] + 1) % n_villages
    for group, flagged, kind in [(inside, True, "paid to a cadre's household during the term"),
                                 (ended, False, "paid after the cadre's term ended"),
                                 (elsewhere, False, "the cadre serves another village")]:
        for c in group:
            h = household_of[cadre_member[c]]
            member = int(np.flatnonzero((household_of == h) & eligible_member)[0])
            no = add_payment(member, "industry_award", 300000, day(dt.date(YEAR, 6, 1)))
            truth.add("F-CADRE", [no], kind, near=not flagged)

    # --- the payments table -----------------------------------------------------------------------------------
    payee = np.concatenate([payee, np.array(extra["payee"], dtype=np.int64)])
    n_all = len(payee)
    known = pa.array(payee >= 0)
    safe = pa.array(np.maximum(payee, 0))
    outside = [None] * n_base
    loan_index = np.full(n_all, -1, dtype=np.int64)
    loan_index[n_background:n_base] = np.arange(n_loans)

    def dictionary(indices: np.ndarray, values: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), pa.array(values)).cast(pa.string())

    payments_table = pa.table({
        "payment_no": codes("P", np.arange(n_all), 9),
        "id_hash": pc.if_else(known, member_hash.take(safe), pa.array(outside + extra["hash"], type=pa.string())),
        "name": pc.if_else(known, member_name.take(safe), pa.array(outside + extra["name"], type=pa.string())),
        "household_no": pa.array(outside + extra["household"], type=pa.string()),
        "item": dictionary(np.concatenate([item, extra["item"]]), item_names),
        "period": dictionary(np.concatenate([period, extra["period"]]), period_names),
        "amount": money(np.concatenate([fen, extra["fen"]])),
        "paid_date": dates(np.concatenate([paid, extra["paid"]])),
        "fund_no": pa.nulls(n_all, pa.string()), "project_no": pa.nulls(n_all, pa.string()),
        "loan_no": pc.if_else(pa.array(loan_index >= 0), loan_no.take(pa.array(np.maximum(loan_index, 0))),
                              pa.nulls(n_all, pa.string())),
    })
    counts["payments"] = n_all

    standards_table = pa.table({
        "item": pa.array(np.concatenate([p["item"] for p in standards_parts]).astype(str)),
        "key": pa.concat_arrays([p["key"] for p in standards_parts]),
        "year": pa.array(np.full(sum(len(p["fen"]) for p in standards_parts), YEAR, dtype=np.int32)),
        "amount": money(np.concatenate([p["fen"] for p in standards_parts])),
    })
    members_table = pa.table({
        "id_hash": member_hash, "name": member_name, "household_no": household_no.take(pa.array(household_of)),
        "village_code": pa.array(village_codes[village_of_household[household_of]]),
        "year": pa.array(np.full(n_members, YEAR, dtype=np.int32)),
        "household_status": pa.array(household_status[household_of]),
        "member_status": pa.array(member_status),
        "change_date": pc.if_else(pa.array(change_day >= 0), dates(np.maximum(change_day, 0)),
                                  pa.nulls(n_members, pa.date32())),
    })
    deaths_table = pa.table({"id_hash": pa.array(deaths_hash, type=pa.string()), "death_date": dates(deaths_day)})
    cadres_table = pa.table({
        "id_hash": member_hash.take(pa.array(cadre_member)), "name": member_name.take(pa.array(cadre_member)),
        "division_code": pa.array(village_codes[cadre_village]), "position": pa.array(["director"] * n_cadres),
        "start_date": dates(cadre_start),
        "end_date": pc.if_else(pa.array(cadre_end >= 0), dates(np.maximum(cadre_end, 0)),
                               pa.nulls(n_cadres, pa.date32())),
    })

    tables = {"payments": payments_table, "standards": standards_table, "members": members_table,
              "deaths": deaths_table, "village_cadres": cadres_table}
    tables |= _projects_and_funds(rng, scale, truth, plant_small, village_codes, household_no,
                                  np.flatnonzero(registered_household), np.flatnonzero(~registered_household),
                                  np.flatnonzero(household_status == "exited"))
    for name, table in tables.items():
        table = _conform(name, table)
        pq.write_table(table, directory / f"{name}.parquet")
        counts[name] = table.num_rows
    pq.write_table(pa.table(truth.rows), directory / "truth.parquet")
    pq.write_table(pa.table(truth.near, schema=pa.schema([("rule", pa.string()), ("key", pa.string()),
                                                          ("kind", pa.string())])), directory / "near.parquet")
    manifest = {"params": params, "counts": counts, "households": n_households, "villages": n_villages,
                "seconds": round(time.perf_counter() - started, 1), "reused": False}
    manifest_path.write_text(json.dumps(manifest))
    log(f"generated in {manifest['seconds']} s: {counts}")
    return manifest


def _projects_and_funds(rng: np.random.Generator, scale: float, truth: Truth, plant: int, village_codes: np.ndarray,
                        household_no: pa.Array, registered: np.ndarray, closed: np.ndarray,
                        exited: np.ndarray) -> dict[str, pa.Table]:
    n_projects = max(200, round(FULL["projects"] * scale))
    n_funds = max(600, round(FULL["funds"] * scale))
    project_no = [f"XM{i:07d}" for i in range(n_projects)]
    fund_no = [f"ZJ{i:07d}" for i in range(n_funds)]
    status_draw = rng.random(n_projects)
    status = np.where(status_draw < 0.2, "approved", np.where(status_draw < 0.6, "implementing",
                      np.where(status_draw < 0.8, "completed", "accepted")))
    categories = np.array(["industry", "employment", "infrastructure", "housing", "education", "health",
                           "finance", "asset_income", "other"])
    category = categories[rng.integers(0, len(categories), n_projects)]
    county_of_project = rng.integers(0, COUNTIES, n_projects)
    division = np.array([f"32{c + 1:02d}21000000" for c in range(COUNTIES)])
    planned_end = np.full(n_projects, day(dt.date(YEAR + 1, 6, 30)))
    accepted_day = np.where(status == "accepted", random_days(rng, n_projects, dt.date(YEAR, 3, 1),
                                                              dt.date(YEAR, 11, 30)), -1)

    # Funds: issued Jan–Aug to a county, allocated in full to one project within 60 days (by 1 October = T − 91).
    project_of_fund = rng.integers(0, n_projects, n_funds)
    fund_fen = rng.integers(10_000, 5_000_000, n_funds) * 100
    issued = random_days(rng, n_funds, dt.date(YEAR, 1, 1), dt.date(YEAR, 8, 1))
    allocated_day = np.minimum(issued + rng.integers(0, 61, n_funds), day(dt.date(YEAR, 10, 1)))
    allocated_fen = fund_fen.copy()
    fund_pick = Picker(rng, np.arange(n_funds))
    delayed = fund_pick.take(plant)
    allocated_fen[delayed] = fund_fen[delayed] * 6 // 10
    truth.add("F-DELAY", [fund_no[i] for i in delayed], "fund issued long ago, 40% not allocated")
    recent = fund_pick.take(plant)
    issued[recent] = day(T) - 89
    allocated_day[recent] = day(T) - 80
    allocated_fen[recent] = fund_fen[recent] // 2
    truth.add("F-DELAY", [fund_no[i] for i in recent], "issued 89 days before T, half allocated", near=True)
    exact = fund_pick.take(plant)
    issued[exact] = day(T) - 90
    allocated_day[exact] = day(T) - 85
    allocated_fen[exact] = fund_fen[exact] // 2
    truth.add("F-DELAY", [fund_no[i] for i in exact], "issued exactly 90 days before T, half allocated")

    # F-IDLE near misses: approved projects whose every allocation is 89 days old, nothing spent yet.
    plain = np.setdiff1d(np.arange(n_funds), np.concatenate([delayed, recent, exact]))
    fresh = np.unique(project_of_fund[plain])
    fresh = fresh[(status[fresh] == "approved") & ~np.isin(fresh, project_of_fund[np.concatenate([delayed, recent,
                                                                                                  exact])])]
    fresh = rng.permutation(fresh)[:plant]
    allocated_day[np.isin(project_of_fund, fresh)] = day(T) - 89
    truth.add("F-IDLE", [project_no[i] for i in fresh], "allocated 89 days before T, nothing spent", near=True)

    # Project spending = what was allocated to it by T − 90; budget 1.2 × allocations.
    old = allocated_day <= day(T) - 90
    spent = np.bincount(project_of_fund[old], weights=allocated_fen[old], minlength=n_projects).astype(np.int64)
    total = np.bincount(project_of_fund, weights=allocated_fen, minlength=n_projects).astype(np.int64)
    budget = total * 12 // 10
    project_pick = Picker(rng, np.arange(n_projects))
    with_money = np.flatnonzero((spent > 0) & (status == "approved"))
    money_pick = Picker(rng, with_money)
    idle = money_pick.take(min(plant, len(with_money) // 3))
    spent[idle] = spent[idle] // 2
    truth.add("F-IDLE", [project_no[i] for i in idle], "half of what was allocated 90+ days ago is unspent")
    over = money_pick.take(min(plant, len(with_money) // 3))
    budget[over] = spent[over] - 100_000
    truth.add("F-OVERSPEND", [project_no[i] for i in over], "spent 1000 元 more than the budget")
    level = money_pick.take(min(plant, len(with_money) // 3))
    budget[level] = spent[level]
    truth.add("F-OVERSPEND", [project_no[i] for i in level], "spent exactly the budget", near=True)
    taken = set(idle) | set(over) | set(level)
    project_pick.pool = np.array([p for p in project_pick.pool if p not in taken])

    implementing = Picker(rng, np.array([p for p in project_pick.take(len(project_pick.pool) // 2)
                                         if status[p] == "implementing"]))
    late = implementing.take(plant)
    planned_end[late] = day(T) - rng.integers(1, 200, len(late))
    truth.add("P-OVERDUE", [project_no[i] for i in late], "implementing past its planned end")
    on_time = implementing.take(plant)
    planned_end[on_time] = day(T)
    truth.add("P-OVERDUE", [project_no[i] for i in on_time], "planned end is the check date", near=True)

    # Announcements: approval 1–10 January for every started project; result the day after acceptance.
    started = np.isin(status, ("implementing", "completed", "accepted"))
    no_approval = implementing.take(plant)
    short = implementing.take(plant)
    approval_end = np.full(n_projects, day(dt.date(YEAR, 1, 10)))
    approval_end[short] = day(dt.date(YEAR, 1, 9))
    truth.add("P-NOANNOUNCE", [project_no[i] for i in no_approval], "started without an approval announcement")
    truth.add("P-NOANNOUNCE", [project_no[i] for i in short], "approval announcement ran only 9 days")
    rest = project_pick.pool[project_pick.at:]
    accepted_infra = Picker(rng, np.array([p for p in rest if status[p] == "accepted"
                                           and category[p] not in ("industry", "employment", "asset_income")]))
    silent = accepted_infra.take(plant)
    accepted_day[silent] = day(T) - 11
    truth.add("P-NOANNOUNCE", [project_no[i] for i in silent], "accepted 11 days before T, no result announcement")
    just = accepted_infra.take(plant)
    accepted_day[just] = day(T) - 10
    truth.add("P-NOANNOUNCE", [project_no[i] for i in just], "accepted 10 days before T, no result announcement",
              near=True)
    approvals = np.flatnonzero(started & ~np.isin(np.arange(n_projects), no_approval))
    results = np.flatnonzero((status == "accepted") & ~np.isin(np.arange(n_projects), np.concatenate([silent, just])))
    announcements = pa.table({
        "project_no": pa.array([project_no[i] for i in approvals] + [project_no[i] for i in results]),
        "kind": pa.array(["approval"] * len(approvals) + ["result"] * len(results)),
        "start_date": dates(np.concatenate([np.full(len(approvals), day(dt.date(YEAR, 1, 1))),
                                            accepted_day[results] + 1])),
        "end_date": pc.if_else(pa.array(np.arange(len(approvals) + len(results)) < len(approvals)),
                               dates(np.concatenate([approval_end[approvals], accepted_day[results] + 10])),
                               pa.nulls(len(approvals) + len(results), pa.date32())),
        "days": pa.array([None] * len(approvals) + [10] * len(results), type=pa.int32()),
    })

    # Beneficiaries: 1–5 registered households for every project; P-NOBENEFIT plants have closed ones only.
    per_project = rng.integers(1, 6, n_projects)
    owner = np.repeat(np.arange(n_projects), per_project)
    beneficiary = registered[rng.integers(0, len(registered), len(owner))]
    benefit = np.flatnonzero((status == "accepted") & np.isin(category, ("industry", "employment", "asset_income")))
    rest_set = set(rest.tolist())
    benefit = np.array([p for p in benefit if p in rest_set])
    chosen = Picker(rng, benefit)
    share = min(plant, len(benefit) // 2)
    no_benefit, exited_only = chosen.take(share), chosen.take(share)
    replace = np.isin(owner, no_benefit)
    beneficiary[replace] = closed[rng.integers(0, len(closed), int(replace.sum()))]
    replace = np.isin(owner, exited_only)
    beneficiary[replace] = exited[rng.integers(0, len(exited), int(replace.sum()))]
    truth.add("P-NOBENEFIT", [project_no[i] for i in no_benefit], "beneficiaries are closed households only")
    truth.add("P-NOBENEFIT", [project_no[i] for i in exited_only], "beneficiaries are exited households only",
              near=True)

    spending = np.flatnonzero(spent > 0)
    tables = {
        "projects": pa.table({
            "project_no": pa.array(project_no), "name": pa.array([f"项目{i}" for i in range(n_projects)]),
            "division_code": pa.array(division[county_of_project]), "category": pa.array(category),
            "year": pa.array(np.full(n_projects, YEAR, dtype=np.int32)), "budget": money(budget),
            "status": pa.array(status), "planned_end": dates(planned_end),
            "accepted_date": pc.if_else(pa.array(accepted_day >= 0), dates(np.maximum(accepted_day, 0)),
                                        pa.nulls(n_projects, pa.date32())),
            "actual_end": pa.nulls(n_projects, pa.date32()),
        }),
        "funds": pa.table({
            "fund_no": pa.array(fund_no), "document_no": pa.array([f"财农〔{YEAR}〕{i}号" for i in range(n_funds)]),
            "source": pa.array(np.array(["central", "provincial", "city", "county"])[rng.integers(0, 4, n_funds)]),
            "year": pa.array(np.full(n_funds, YEAR, dtype=np.int32)),
            "division_code": pa.array(division[county_of_project[project_of_fund]]), "issued_date": dates(issued),
            "amount": money(fund_fen),
        }),
        "allocations": pa.table({"fund_no": pa.array(fund_no), "project_no": pa.array([project_no[p] for p in
                                                                                         project_of_fund]),
                                 "date": dates(allocated_day), "amount": money(allocated_fen)}),
        "expenditures": pa.table({"project_no": pa.array([project_no[p] for p in spending]),
                                  "date": dates(np.full(len(spending), day(dt.date(YEAR, 12, 1)))),
                                  "amount": money(spent[spending])}),
        "announcements": announcements,
        "project_beneficiaries": pa.table({"project_no": pa.array([project_no[p] for p in owner]),
                                           "household_no": household_no.take(pa.array(beneficiary))}),
    }
    return tables


def _conform(name: str, table: pa.Table) -> pa.Table:
    from sunshine.engine.funds.tables import conform

    return conform(name, table)
