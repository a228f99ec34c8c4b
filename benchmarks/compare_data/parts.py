"""The department rows: about registry members (clean background, planted anomalies, near misses), about
people outside the registry, and the truth tables."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import rows as r
from .registry import CLOSED, DECEASED, DIBAO, DONE, IN_SCHOOL, LEVELS, TEKUN, Province

STAGE_OF_SCHOOL = ["primary", "primary", "primary", "junior", "senior", "secondary_vocational",
                   "higher_vocational", "college"]
TYPES = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"]
TERMS = ["2019-2020学年第二学期", "2020-2021学年第一学期"]
RULE_OF_PREFIX = {
    "dup": "C-DUP", "id": "C-ID", "dead": "C-DEAD", "payroll": "C-PAYROLL", "car": "C-CAR",
    "business": "C-BUSINESS", "house": "C-HOUSE", "medcost": "C-MEDCOST", "disaster": "C-DISASTER",
    "dropout": "C-DROPOUT", "nomed": "C-NOMED", "nopension": "C-NOPENSION", "mismatch": "C-DIBAO-MISMATCH",
    "missing": "C-DIBAO-MISSING", "disabled": "C-DISABLED-SUBSIDY", "housing": "C-HOUSING",
}
POOLS = {
    "school": [f"{c}第{k}{s}" for c in "东西南北中" for k in range(1, 9) for s in ("小学", "中学")],
    "company": [f"{c}{w}{t}有限公司" for c in "苏淮徐宿连盐扬泰" for w in ("恒通", "兴业", "富民", "宏达", "华信")
                for t in ("商贸", "建材", "农业科技", "物流")],
    "employer": [f"{c}县{w}" for c in "东西南北中" for w in ("人民医院", "第一中学", "财政局", "自然资源局", "镇政府")],
    "location": [f"{c}城{w}小区" for c in "东西南北中" for w in ("阳光", "锦绣", "幸福", "和平", "新城")],
    "disaster_type": ["洪涝", "干旱", "台风", "冰雹", "低温冷冻"],
}


class Parts:
    """Collects the tables of one dataset and the expected (truth) or unexpected (near) keys."""

    def __init__(self, p: Province, name: str) -> None:
        self.p, self.name, self.tables = p, name, []

    def add(self, who: np.ndarray | dict[str, pa.Array], **own: object) -> None:
        persons = self.p.persons(who) if isinstance(who, np.ndarray) else who
        n = len(persons["id_number"])
        if n:
            own = {k: (np.full(n, v) if np.isscalar(v) else v) for k, v in own.items()}
            self.tables.append(r.frame(self.name, persons, n, **own))

    def table(self) -> pa.Table:
        return pa.concat_tables(self.tables) if self.tables else r.frame(self.name, {}, 0)


def _cents(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.integers(round(lo * 100), round(hi * 100) + 1, n)


def _in_year(rng: np.random.Generator, n: int) -> np.ndarray:
    return r.JAN1 + rng.integers(0, 366, n)


def core_tables(rng: np.random.Generator, p: Province) -> Iterator[tuple[str, pa.Table]]:  # noqa: PLR0915
    """(dataset, rows about registry members and planted rows), dataset by dataset."""
    roles, R, M = p.roles, p.R, p.M
    free = R & ~p.pick.taken  # members with no part: their background rows of the positive rules

    def members(*prefixes: str) -> np.ndarray:
        chosen = np.zeros(M, bool)
        for name, index in roles.items():
            if not name.startswith("housing") and name.startswith(prefixes):
                chosen[index] = True
        return chosen

    s = Parts(p, "deaths")
    plant = roles["dead_plant"]
    s.add(plant, death_date=np.where(rng.random(len(plant)) < 0.1, r.CHECK, r.CHECK - rng.integers(0, 5 * 365,
                                                                                                len(plant))))
    s.add(roles["near_dead_2021_01_01"], death_date=r.NEXT)
    s.add(roles["near_dead_closed_household"], death_date=_in_year(rng, p.n))
    dead = np.flatnonzero(p.status == DECEASED)
    s.add(dead, death_date=p.change[dead])
    yield "deaths", s.table()

    s = Parts(p, "students")
    enrolled = np.flatnonzero(R & IN_SCHOOL[p.school] & ~members("dropout", "near_dropout"))
    for term in TERMS:
        s.add(enrolled, stage=r.cat(STAGE_OF_SCHOOL, p.school[enrolled]), enrolment_status="enrolled", term=term,
              school=r.cat(POOLS["school"], rng.integers(0, len(POOLS["school"]), len(enrolled))))
    for part, statuses in (("dropout_enrolled_then_dropped", ("enrolled", "dropped_out")),
                           ("dropout_dropped_only", (None, "dropped_out")),
                           ("dropout_suspended_only", (None, "suspended")),
                           ("near_dropout_home_taught", (None, "home_taught")),
                           ("near_dropout_suspended_and_enrolled", ("suspended", "enrolled"))):
        for term, status in zip(TERMS, statuses, strict=True):
            if status:
                s.add(roles[part], stage=r.cat(STAGE_OF_SCHOOL, np.maximum(p.school[roles[part]], 2)),
                      enrolment_status=status, term=term)
    yield "students", s.table()

    s = Parts(p, "medical_insurance")
    insured = np.flatnonzero(R & ~members("nomed"))
    s.add(insured, year=r.YEAR, insured_status="insured", scheme=r.cat(["resident", "employee"], rng.random(
        len(insured)) < 0.1))
    before = insured[rng.random(len(insured)) < 0.5]
    s.add(before, year=r.YEAR - 1, insured_status="insured", scheme="resident")
    outside = np.flatnonzero(~R & (rng.random(M) < 0.5))
    s.add(outside, year=r.YEAR, insured_status="insured", scheme="resident")
    s.add(roles["nomed_2019_only"], year=r.YEAR - 1, insured_status="insured", scheme="resident")
    s.add(roles["nomed_stopped"], year=r.YEAR, insured_status="stopped", scheme="resident")
    s.add(roles["near_nomed_stopped_and_insured"], year=r.YEAR, insured_status="stopped", scheme="employee")
    yield "medical_insurance", s.table()

    s = Parts(p, "pension_insurance")
    insured = np.flatnonzero((R & (p.school == 0) & ~members("nopension")) | (~R & (rng.random(M) < 0.5)))
    s.add(insured, insured_status="insured", scheme=r.cat(["resident", "employee"], rng.random(len(insured)) < 0.15))
    s.add(roles["nopension_stopped"], insured_status="stopped", scheme="resident")
    yield "pension_insurance", s.table()

    s = Parts(p, "medical_claims")
    claimants = np.flatnonzero(free & (rng.random(M) < 0.04))
    for share in (1.0, 0.5, 0.3):  # at most three claims of at most 3000 in the year: never 10000
        who = claimants[rng.random(len(claimants)) < share]
        paid = _cents(rng, 20, 3000, len(who))
        s.add(who, visit_date=_in_year(rng, len(who)), self_paid=paid, total_cost=paid * 3)
    who = claimants[rng.random(len(claimants)) < 0.3]
    paid = _cents(rng, 100, 50000, len(who))
    s.add(who, visit_date=r.JAN1 - rng.integers(1, 366, len(who)), self_paid=paid, total_cost=paid * 2)
    plant = roles["medcost_plant"]
    target = np.where(rng.random(len(plant)) < 0.1, 1_000_000, _cents(rng, 10000, 80000, len(plant)))
    count = rng.integers(2, 5, len(plant))
    who = np.repeat(np.arange(len(plant)), count)
    weight = rng.random(len(who)) + 0.2
    paid = np.floor(target[who] * weight / np.bincount(who, weight)[who]).astype(np.int64)
    last = np.cumsum(count) - 1
    paid[last] += target - np.bincount(who, paid, minlength=len(plant)).astype(np.int64)
    visit = _in_year(rng, len(who))
    visit[last[: len(plant) // 10]] = r.CHECK
    s.add(plant[who], visit_date=visit, self_paid=paid, total_cost=paid + _cents(rng, 0, 5000, len(who)))
    near = roles["near_medcost_9999_99"]
    for cents in (500_000, 499_999):
        s.add(near, visit_date=_in_year(rng, len(near)), self_paid=cents, total_cost=cents * 2)
    near = roles["near_medcost_other_years"]
    for when, cents in ((r.JAN1 - 1, 2_000_000), (r.NEXT, 2_000_000), (r.JAN1 + 150, 10_000)):
        s.add(near, visit_date=when, self_paid=cents, total_cost=cents * 2)
    s.add(roles["near_medcost_outside_registry"], visit_date=_in_year(rng, p.n), self_paid=5_000_000,
          total_cost=9_000_000)
    yield "medical_claims", s.table()

    yield "dibao", _dibao(rng, p, members).table()

    s = Parts(p, "disability")
    disabled = np.flatnonzero((p.health == 3) & ~members("disabled", "near_disabled"))
    level = p.level[disabled]
    s.add(disabled, disability_level=r.cat(LEVELS, level), care_subsidy=(level < 2) | (rng.random(len(level)) < 0.3),
          living_subsidy=rng.random(len(level)) < 0.6, disability_type=r.cat(TYPES, rng.integers(0, 7, len(level))))
    for part, care in (("disabled_plant", False), ("near_disabled_outside_registry", False),
                       ("near_disabled_level3", False), ("near_disabled_care_subsidy", True)):
        s.add(roles[part], disability_level=r.cat(LEVELS, p.level[roles[part]]), care_subsidy=care,
              living_subsidy=True, disability_type="physical")
    yield "disability", s.table()

    s = Parts(p, "housing_renovation")
    dangerous = (p.hh_status != CLOSED) & (p.grade >= 2)
    skip = np.zeros(p.H, bool)
    skip[np.r_[roles["housing_plant"], roles["near_housing_done"]]] = True
    listed = np.flatnonzero(dangerous & ~skip & ((p.renovation != DONE) | (rng.random(p.H) < 0.5)))
    heads = p.first_member[listed]
    s.add(heads, year=np.where(rng.random(len(heads)) < 0.7, r.YEAR, r.YEAR - 1),
          status=np.where((p.renovation[listed] == DONE) | (rng.random(len(heads)) < 0.3), "done", "in_progress"))
    yield "housing_renovation", s.table()

    s = Parts(p, "businesses")
    background = np.flatnonzero(free & (rng.random(M) < 0.01))
    s.add(background, registered_capital=_cents(rng, 10000, 90000, len(background)), role="legal_representative",
          company=r.cat(POOLS["company"], rng.integers(0, len(POOLS["company"]), len(background))))
    plant = roles["business_plant"]
    s.add(plant, registered_capital=np.where(rng.random(len(plant)) < 0.1, 10_000_000, _cents(
        rng, 100000, 5_000_000, len(plant))), role=r.cat(["legal_representative", "shareholder"],
                                                         rng.integers(0, 2, len(plant))))
    s.add(roles["near_business_99999_99"], registered_capital=9_999_999, role="shareholder")
    s.add(roles["near_business_outside_registry"], registered_capital=50_000_000, role="legal_representative")
    yield "businesses", s.table()

    s = Parts(p, "vehicles")
    background = np.flatnonzero(free & (rng.random(M) < 0.05))
    s.add(background, vehicle_type=r.cat(["farm_vehicle", "motorcycle"], rng.integers(0, 2, len(background))))
    plant = roles["car_plant"]
    s.add(plant, vehicle_type=r.cat(["small_car", "truck"], (rng.random(len(plant)) < 0.2).astype(np.int64)),
          registered_date=r.JAN1 - rng.integers(0, 3000, len(plant)))
    s.add(roles["near_car_motorcycle"], vehicle_type="motorcycle")
    s.add(roles["near_car_outside_registry"], vehicle_type="small_car")
    yield "vehicles", s.table()

    s = Parts(p, "real_estate")
    background = np.flatnonzero(free & (rng.random(M) < 0.1))
    s.add(background, property_kind=r.cat(["self_built", "other"], (rng.random(len(background)) < 0.1).astype(int)),
          area_m2=rng.uniform(60, 200, len(background)))
    s.add(roles["house_plant"], property_kind="commercial", area_m2=rng.uniform(50, 150, p.N),
          location=r.cat(POOLS["location"], rng.integers(0, len(POOLS["location"]), p.N)))
    s.add(roles["near_house_self_built"], property_kind="self_built")
    s.add(roles["near_house_outside_registry"], property_kind="commercial")
    yield "real_estate", s.table()

    s = Parts(p, "public_payroll")
    s.add(roles["payroll_plant"], employer=r.cat(POOLS["employer"], rng.integers(0, len(POOLS["employer"]), p.N)))
    s.add(roles["near_payroll_outside_registry"], employer="县财政局")
    yield "public_payroll", s.table()

    s = Parts(p, "disasters")
    plant = roles["disaster_plant"]
    when = _in_year(rng, len(plant))
    when[: len(plant) // 20], when[-(len(plant) // 20) or len(plant):] = r.JAN1, r.CHECK
    s.add(plant, date=when, disaster_type="洪涝", loss=_cents(rng, 500, 50000, len(plant)))
    s.add(roles["near_disaster_2019_12_31"], date=r.JAN1 - 1, disaster_type="台风")
    s.add(roles["near_disaster_2021_01_01"], date=r.NEXT, disaster_type="冰雹")
    s.add(roles["near_disaster_outside_registry"], date=_in_year(rng, p.n), disaster_type="干旱")
    yield "disasters", s.table()


def _outside_households(rng: np.random.Generator, households: int) -> tuple[dict[str, pa.Array], np.ndarray,
                                                                            pa.Array]:
    """People of 低保 households outside the registry: persons, household of each row, head ID of each row."""
    size = rng.integers(1, 4, households)
    hh = np.repeat(np.arange(households), size)
    persons = r.outsiders(rng, len(hh), 0, 90, invalid_share=0.0)
    first = np.cumsum(size) - size
    return persons, hh, pc.take(persons["id_number"], pa.array(first[hh]))


def _dibao(rng: np.random.Generator, p: Province, members) -> Parts:  # noqa: ANN001
    s, roles, n = Parts(p, "dibao"), p.roles, p.n
    hh_type = p.hh_type[p.h]
    on_roll = np.flatnonzero(((hh_type == DIBAO) & (p.R | (rng.random(p.M) < 0.5))) & ~members("mismatch"))
    tekun = np.flatnonzero((hh_type == TEKUN) & p.R)

    def add(who: np.ndarray, aid: str, start: np.ndarray | int, end: np.ndarray | int | None) -> None:
        k = len(who)
        start = np.broadcast_to(start, (k,))
        end_days = np.broadcast_to(-1 if end is None else end, (k,))
        s.add(who, aid_type=aid, head_id_number=p.head_ids(who), monthly_amount=_cents(rng, 300, 800, k),
              start_date=start, end_date=r.dates(np.maximum(end_days, 0), end_days >= 0))

    def since(k: int) -> np.ndarray:
        return r.JAN1 - rng.integers(0, 6 * 365, k) + rng.integers(0, 300, k)

    ongoing = np.where(rng.random(len(on_roll)) < 0.8, -1, r.NEXT + rng.integers(0, 1000, len(on_roll)))
    add(on_roll, "dibao", since(len(on_roll)), ongoing)
    add(tekun, "tekun", since(len(tekun)), None)
    add(roles["mismatch_ended_12_30"], "dibao", since(len(roles["mismatch_ended_12_30"])), r.CHECK - 1)
    add(roles["mismatch_tekun_only"], "tekun", since(len(roles["mismatch_tekun_only"])), None)
    add(roles["mismatch_false_with_row"], "dibao", since(len(roles["mismatch_false_with_row"])), None)
    add(roles["near_mismatch_ends_12_31"], "dibao", since(n), r.CHECK)
    add(roles["near_mismatch_false_ended_12_30"], "dibao", since(n), r.CHECK - 1)
    add(roles["near_mismatch_false_starts_2021"], "dibao", r.NEXT, None)
    for part in ("missing_head_in_closed_household", "missing_head_not_active"):
        who = roles[part]
        s.add(who, aid_type="dibao", head_id_number=p.persons(who)["id_number"], start_date=since(len(who)),
              monthly_amount=60000)

    # Households outside the registry: on the roll at the check date (planted), or just off it (near misses).
    planted = p.N - len(roles["missing_head_in_closed_household"]) - len(roles["missing_head_not_active"])
    p.outside_heads = {}
    for kind, k in (("plant", planted), ("ended_12_30", n), ("starts_2021", n)):
        persons, hh, head = _outside_households(rng, k)
        start = {"plant": np.where(rng.random(k) < 0.05, r.CHECK, since(k)), "ended_12_30": since(k),
                 "starts_2021": np.full(k, r.NEXT)}[kind][hh]
        end = {"plant": np.where(rng.random(k) < 0.1, r.CHECK, np.where(rng.random(k) < 0.7, -1, r.NEXT + 99)),
               "ended_12_30": np.full(k, r.CHECK - 1), "starts_2021": np.full(k, -1)}[kind][hh]
        s.add(persons, aid_type="dibao", head_id_number=head, start_date=start, monthly_amount=_cents(
            rng, 300, 800, len(hh)), end_date=r.dates(np.maximum(end, 0), end >= 0))
        p.outside_heads[kind] = pc.unique(head)
    # People outside the registry on the roll under a registry head: the head is in the registry.
    heads = roles["near_missing_registry_head"]
    persons = r.outsiders(rng, len(heads), 0, 90, invalid_share=0.0)
    s.add(persons, aid_type="dibao", head_id_number=pc.take(p.dept_id, pa.array(heads)),
          start_date=since(len(heads)), monthly_amount=40000)
    return s


def truth_tables(p: Province) -> tuple[pa.Table, pa.Table]:
    """(rule, key, kind) of every planted finding, and of every near miss (key: ID, or household_no)."""
    truth: dict[str, list] = {"rule": [], "key": [], "kind": []}
    near: dict[str, list] = {"rule": [], "key": [], "kind": []}

    def put(into: dict[str, list], rule: str, keys: pa.Array, kind: str) -> None:
        into["rule"].append(pa.array([rule] * len(keys), pa.string()))
        into["key"].append(keys.cast(pa.string()))
        into["kind"].append(pa.array([kind] * len(keys), pa.string()))

    for name, index in p.roles.items():
        is_near = name.startswith("near_")
        prefix = name.removeprefix("near_").split("_")[0]
        rule = RULE_OF_PREFIX[prefix]
        kind = name.removeprefix("near_").removeprefix(prefix + "_")
        keys = pc.take(p.hh_no if prefix == "housing" else p.reg_id, pa.array(index))
        put(near if is_near else truth, rule, keys, kind)
        if name in ("id_checksum", "id_date"):  # their registry ID matches no department row
            for other in ("C-NOMED", "C-NOPENSION"):
                put(truth, other, keys, f"invalid registry ID ({kind})")
    # Near misses that need no rows of their own: valid IDs ending in X; pupils aged 16 and over without
    # pension insurance (not 非在校生).
    pool = np.random.default_rng(0)
    x_ending = np.flatnonzero(pc.ends_with(p.reg_id, "X").to_numpy(zero_copy_only=False) & ~p.pick.taken)
    put(near, "C-ID", pc.take(p.reg_id, pa.array(pool.choice(x_ending, p.n, replace=False))), "check_character_X")
    pupils = np.flatnonzero(p.R & IN_SCHOOL[p.school] & (p.a_sep >= 16))
    put(near, "C-NOPENSION", pc.take(p.reg_id, pa.array(pool.choice(pupils, p.n, replace=False))),
        "at_school_aged_16_plus")
    put(truth, "C-DIBAO-MISSING", p.outside_heads["plant"], "outside_registry")
    put(near, "C-DIBAO-MISSING", p.outside_heads["ended_12_30"], "outside_ended_12_30")
    put(near, "C-DIBAO-MISSING", p.outside_heads["starts_2021"], "outside_starts_2021")
    return (pa.table({k: pa.concat_arrays(v) for k, v in truth.items()}),
            pa.table({k: pa.concat_arrays(v) for k, v in near.items()}))
