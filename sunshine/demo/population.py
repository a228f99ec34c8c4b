"""Households and their members at the start of the first year: family templates, ages, genders, names
and each person's lasting traits. Everything is drawn as numpy arrays, a whole chunk of households at
once; there is no Python loop per person here."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sunshine.demo import names

# Relation codes; the order matches RELATION_SLUGS in sunshine.demo.rows.
HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, GRANDPARENT, SIBLING, OTHER = range(9)
# Health codes; disabled people keep their disability across years.
HEALTHY, CHRONIC, SERIOUS, DISABLED = range(4)
# School anomalies of compulsory-school-age children (控辍保学 cases).
NO_ANOMALY, DROPPED_OUT, HOME_TAUGHT, SUSPENDED = range(4)
NOT_ENDED, DECEASED, MOVED_OUT = range(3)
STILL_THERE = 9999

H, S, C, L, G, P, GP, SB, OT = HEAD, SPOUSE, CHILD, CHILD_IN_LAW, GRANDCHILD, PARENT, GRANDPARENT, SIBLING, OTHER
# (relations of the members in order, weight among households of that size, head age range).
# Poor rural households are small and old: elderly couples, widows living alone, grandparents raising
# left-behind grandchildren (留守儿童) while the parents work away.
TEMPLATES: tuple[tuple[tuple[int, ...], float, tuple[int, int]], ...] = (
    ((H,), 0.75, (58, 88)), ((H,), 0.25, (30, 57)),
    ((H, S), 0.58, (55, 85)), ((H, C), 0.22, (40, 80)), ((H, S), 0.10, (25, 54)), ((H, P), 0.05, (30, 55)),
    ((H, SB), 0.03, (45, 75)), ((H, OT), 0.02, (40, 80)),
    ((H, S, C), 0.55, (30, 60)), ((H, S, P), 0.10, (35, 55)), ((H, C, C), 0.10, (35, 70)),
    ((H, C, G), 0.10, (55, 80)), ((H, S, G), 0.15, (55, 78)),
    ((H, S, C, C), 0.42, (32, 55)), ((H, S, C, P), 0.20, (32, 55)), ((H, S, C, L), 0.10, (48, 70)),
    ((H, S, G, G), 0.10, (55, 75)), ((H, C, L, G), 0.15, (50, 80)), ((H, S, C, GP), 0.03, (25, 38)),
    ((H, S, C, C, C), 0.25, (35, 52)), ((H, S, C, C, P), 0.25, (35, 55)), ((H, S, C, L, G), 0.35, (48, 72)),
    ((H, S, C, P, P), 0.15, (32, 50)),
    ((H, S, C, L, G, G), 0.50, (50, 72)), ((H, S, C, C, P, P), 0.30, (35, 50)), ((H, S, C, C, C, P), 0.20, (38, 55)),
    ((H, S, C, L, G, G, G), 0.50, (50, 72)), ((H, S, C, C, L, G, G), 0.30, (52, 72)),
    ((H, S, C, C, C, P, P), 0.20, (38, 50)),
)
# Household size 1–7, mean ≈ 3.1 members.
SIZE_P = {1: 0.16, 2: 0.25, 3: 0.22, 4: 0.17, 5: 0.11, 6: 0.06, 7: 0.03}
MAX_SIZE = 7


def _template_tables() -> dict[str, np.ndarray]:
    n = len(TEMPLATES)
    rel = np.full((n, MAX_SIZE), -1, dtype=np.int8)
    rank = np.zeros((n, MAX_SIZE), dtype=np.int8)  # the k-th child, the k-th grandchild …
    size = np.zeros(n, dtype=np.int8)
    lo = np.zeros(n, dtype=np.int16)
    hi = np.zeros(n, dtype=np.int16)
    p = np.zeros(n)
    totals: dict[int, float] = {}
    for relations, weight, _ in TEMPLATES:
        totals[len(relations)] = totals.get(len(relations), 0.0) + weight
    for t, (relations, weight, (a, b)) in enumerate(TEMPLATES):
        size[t] = len(relations)
        seen: dict[int, int] = {}
        for pos, r in enumerate(relations):
            rel[t, pos] = r
            rank[t, pos] = seen.get(r, 0)
            seen[r] = rank[t, pos] + 1
        lo[t], hi[t] = a, b
        p[t] = SIZE_P[len(relations)] * weight / totals[len(relations)]
    has = {r: (rel == r).any(axis=1) for r in range(9)}
    return {"rel": rel, "rank": rank, "size": size, "lo": lo, "hi": hi, "p": p / p.sum(),
            "has_child": has[CHILD], "has_in_law": has[CHILD_IN_LAW], "has_spouse": has[SPOUSE],
            "two_parents": (rel == PARENT).sum(axis=1) == 2}


TABLES = _template_tables()


@dataclass
class Persons:
    """Columns of the people of a chunk; row i is person i. ``rel`` changes when a head dies."""

    hh: np.ndarray
    rel: np.ndarray
    male: np.ndarray
    birth_year: np.ndarray
    birth_doy: np.ndarray
    surname: np.ndarray
    given: np.ndarray  # object array of str
    first_year: np.ndarray
    last_year: np.ndarray
    end_kind: np.ndarray
    end_doy: np.ndarray
    health: np.ndarray
    dis_level: np.ndarray
    dis_type: np.ndarray
    anomaly: np.ndarray
    sec_track: np.ndarray
    high_track: np.ndarray
    preschool: np.ndarray
    adult_edu: np.ndarray
    u_skill: np.ndarray
    u_emp: np.ndarray
    emp_dest: np.ndarray
    u_pension: np.ndarray
    u_lost: np.ndarray

    def __len__(self) -> int:
        return len(self.hh)

    def extend(self, other: Persons) -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))


@dataclass
class Households:
    """Lasting traits of the households of a chunk (yearly figures are drawn in sunshine.demo.yearly)."""

    size: np.ndarray
    first_year: np.ndarray
    surname: np.ndarray


def _pick(cond: list[np.ndarray], choices: list[np.ndarray | int], default: np.ndarray | int) -> np.ndarray:
    return np.select(cond, choices, default)


def draw_roster(rng: np.random.Generator, n: int, years: tuple[int, ...]) -> tuple[Households, Persons]:
    """``n`` households with their members as of the first year."""
    y0 = years[0]
    t = rng.choice(len(TABLES["p"]), size=n, p=TABLES["p"])
    size = TABLES["size"][t]
    # A few households enter the registry later (newly identified in 2019 or 2020).
    first_year = np.full(n, y0, dtype=np.int16)
    if len(years) > 1:
        late = rng.random(n)
        first_year[late < 0.03] = years[1]
        if len(years) > 2:
            first_year[late < 0.01] = years[2]
    family = names.surnames(rng, n)

    head_age = rng.integers(TABLES["lo"][t], TABLES["hi"][t] + 1)
    head_male = rng.random(n) < np.where(size == 1, 0.55, np.where(TABLES["has_spouse"][t], 0.88, 0.6))
    child_gap = rng.integers(22, 33, n)
    # A son living with his wife in the parents' household is at least 20.
    child_gap = np.where(TABLES["has_in_law"][t], np.minimum(child_gap, head_age - 20), child_gap)
    first_child_age = head_age - child_gap
    first_child_male = rng.random(n) < np.where(TABLES["has_in_law"][t], 0.85, 0.52)
    parent_gap = rng.integers(22, 33, n)
    head_surname = np.where(head_male, family, names.surnames(rng, n))

    pos_hh, pos_idx = [], []
    for pos in range(MAX_SIZE):
        hh = np.nonzero(size > pos)[0]
        pos_hh.append(hh)
        pos_idx.append(np.full(len(hh), pos, dtype=np.int8))
    hh = np.concatenate(pos_hh)
    pos = np.concatenate(pos_idx)
    order = np.lexsort((pos, hh))  # members of a household are contiguous, head first
    hh, pos = hh[order], pos[order]
    m = len(hh)
    tt = t[hh]
    rel = TABLES["rel"][tt, pos].astype(np.int8)
    rank = TABLES["rank"][tt, pos].astype(np.int16)

    ha = head_age[hh]
    noise = rng.integers(0, 3, m)
    age = _pick(
        [rel == HEAD, rel == SPOUSE, rel == CHILD, rel == CHILD_IN_LAW, rel == GRANDCHILD, rel == PARENT,
         rel == GRANDPARENT, rel == SIBLING],
        [ha,
         np.maximum(18, ha + np.where(head_male[hh], -rng.integers(0, 6, m), rng.integers(0, 6, m))),
         np.maximum(0, first_child_age[hh] - 3 * rank - noise),
         np.maximum(18, first_child_age[hh] + rng.integers(-3, 3, m)),
         np.clip(np.where(TABLES["has_child"][tt], first_child_age[hh], ha - child_gap[hh])
                 - rng.integers(22, 31, m) - 3 * rank, 0, 17),
         np.minimum(97, ha + parent_gap[hh] - rank * rng.integers(0, 5, m)),
         np.minimum(99, ha + rng.integers(45, 56, m)),
         np.maximum(16, ha + rng.integers(-8, 9, m))],
        rng.integers(8, 75, m),
    )
    male = _pick(
        [rel == HEAD, rel == SPOUSE, (rel == CHILD) & (rank == 0), rel == CHILD_IN_LAW, rel == PARENT,
         rel == GRANDPARENT, rel == SIBLING],
        [head_male[hh], ~head_male[hh], first_child_male[hh], ~first_child_male[hh],
         np.where(TABLES["two_parents"][tt], rank == 0, rng.random(m) < 0.35),
         rng.random(m) < 0.35, rng.random(m) < 0.6],
        rng.random(m) < 0.52,
    ).astype(bool)
    # Children take the family surname; so do the head's own father and siblings.
    surname = _pick(
        [rel == HEAD, (rel == SPOUSE) & male, np.isin(rel, (CHILD, GRANDCHILD)),
         np.isin(rel, (PARENT, GRANDPARENT)) & male, rel == SIBLING],
        [head_surname[hh], family[hh], family[hh], head_surname[hh], head_surname[hh]],
        names.surnames(rng, m),
    )
    persons = new_persons(
        rng, hh=hh, rel=rel, male=male, birth_year=(y0 - age).astype(np.int16),
        birth_doy=rng.integers(0, 365, m), surname=surname, first_year=first_year[hh], y0=y0,
    )
    return Households(size=size, first_year=first_year, surname=family), persons


def new_persons(rng: np.random.Generator, *, hh: np.ndarray, rel: np.ndarray, male: np.ndarray,
                birth_year: np.ndarray, birth_doy: np.ndarray, surname: np.ndarray, first_year: np.ndarray,
                y0: int) -> Persons:
    """People with their lasting traits: health, disability, schooling path, propensities."""
    m = len(hh)
    age = first_year - birth_year
    # Health at entry: illness and disability are what put many of these households in poverty.
    u = rng.random(m)
    p_chronic = np.where(age < 16, 0.03, np.where(age < 60, 0.14, 0.36))
    p_serious = np.where(age < 16, 0.01, np.where(age < 60, 0.05, 0.08))
    p_disabled = np.where(age < 16, 0.015, np.where(age < 60, 0.06, 0.09))
    health = np.select([u < p_disabled, u < p_disabled + p_serious, u < p_disabled + p_serious + p_chronic],
                       [DISABLED, SERIOUS, CHRONIC], HEALTHY).astype(np.int8)
    # 送教上门 is for children too disabled to attend school; dropping out and suspension are rarer.
    ua = rng.random(m)
    anomaly = np.select([ua < 0.006, ua < 0.011, ua < 0.014], [DROPPED_OUT, HOME_TAUGHT, SUSPENDED],
                        NO_ANOMALY).astype(np.int8)
    health[anomaly == HOME_TAUGHT] = DISABLED
    disabled = health == DISABLED
    dis_level = np.where(disabled, rng.choice([1, 2, 3, 4], m, p=[0.15, 0.25, 0.30, 0.30]), 0).astype(np.int8)
    dis_type = np.where(disabled, rng.choice(np.arange(1, 8), m, p=[0.12, 0.10, 0.03, 0.45, 0.12, 0.10, 0.08]),
                        0).astype(np.int8)
    taught = anomaly == HOME_TAUGHT
    dis_level[taught] = rng.choice([1, 2], int(taught.sum()))
    dis_type[taught] = rng.choice([5, 7], int(taught.sum()))  # intellectual or multiple
    sec_track = rng.choice([0, 1, 2], m, p=[0.2, 0.5, 0.3]).astype(np.int8)
    high_track = np.where(sec_track > 0, rng.choice([0, 1, 2], m, p=[0.35, 0.3, 0.35]), 0).astype(np.int8)
    # Schooling attained by adults, by the decade they were born in (older rural people rarely went
    # beyond primary school). Codes index EDUCATION_SLUGS: 1 illiterate … 6 college.
    born = birth_year
    adult_edu = np.select(
        [born <= y0 - 60, born <= y0 - 40],
        [rng.choice([1, 2, 3, 4], m, p=[0.45, 0.40, 0.12, 0.03]),
         rng.choice([1, 2, 3, 4, 5], m, p=[0.12, 0.38, 0.40, 0.08, 0.02])],
        rng.choice([1, 2, 3, 4, 5, 6], m, p=[0.03, 0.15, 0.45, 0.17, 0.12, 0.08]),
    ).astype(np.int8)
    return Persons(
        hh=hh.astype(np.int32), rel=rel.astype(np.int8), male=male.astype(bool),
        birth_year=birth_year.astype(np.int16), birth_doy=birth_doy.astype(np.int16),
        surname=surname.astype(np.int16), given=np.asarray(names.given_names(rng, male), dtype=object),
        first_year=first_year.astype(np.int16),
        last_year=np.full(m, STILL_THERE, dtype=np.int16), end_kind=np.zeros(m, np.int8),
        end_doy=np.zeros(m, np.int16), health=health, dis_level=dis_level, dis_type=dis_type, anomaly=anomaly,
        sec_track=sec_track, high_track=high_track, preschool=rng.random(m) < 0.85, adult_edu=adult_edu,
        u_skill=rng.random(m).astype(np.float32), u_emp=rng.random(m).astype(np.float32),
        emp_dest=rng.choice([1, 2, 3], m, p=[0.4, 0.3, 0.3]).astype(np.int8),
        u_pension=rng.random(m).astype(np.float32), u_lost=rng.random(m).astype(np.float32),
    )
