"""The registry year (the ``people`` table) and the choice of the members that carry planted anomalies or
near misses. ``Province`` keeps the numpy columns the department tables are built from."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine.comparison.prepare import PLAIN_PEOPLE

from . import rows as r

HEAD, SPOUSE, CHILD, GRANDCHILD, PARENT, OTHER = range(6)
RELATIONS = ["head", "spouse", "child", "grandchild", "parent", "other"]
ACTIVE, DECEASED, MOVED_OUT = range(3)
HH_STATUS = ["in_poverty", "exited", "returned", "closed"]
CLOSED = 3
PLAIN, DIBAO, TEKUN = range(3)
GRADES, RENOVATIONS = ["A", "B", "C", "D"], ["not_needed", "pending", "in_progress", "done"]
DONE = 3
SCHOOL = ["not_in_school", "preschool", "primary", "junior", "senior", "secondary_vocational",
          "higher_vocational", "college"]
IN_SCHOOL = np.array([False, False, True, True, True, True, True, True])
EDUCATION = ["illiterate", "primary", "junior", "senior", "vocational", "college"]
HEALTH = ["healthy", "chronic", "serious_illness", "disabled"]
LEVELS = ["level1", "level2", "level3", "level4"]


class Picker:
    """Draws members for the planted parts without replacement, so that no member plays two parts."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.rng, self.taken = rng, np.zeros(size, bool)

    def __call__(self, eligible: np.ndarray, k: int) -> np.ndarray:
        candidates = np.flatnonzero(eligible & ~self.taken)
        if len(candidates) < k:
            raise ValueError(f"only {len(candidates)} candidates for {k} planted rows: use a larger --scale")
        chosen = np.sort(self.rng.choice(candidates, k, replace=False))
        self.taken[chosen] = True
        return chosen


def age_on(birth: np.ndarray, month: int, dom: int) -> np.ndarray:
    """Completed years on month/dom of the checked year."""
    y, m, d = r.ymd(birth)
    return r.YEAR - y - ((m > month) | ((m == month) & (d > dom)))


class Province:
    """Households and members of one registry year (numpy columns), the roles (part name → member indices,
    or household indices for ``housing_*``) and the people table. Rows 0…M-1 are the members; C-DUP's second
    rows are appended to the people table only (``copy_of`` gives the member each repeats)."""

    def __init__(self, rng: np.random.Generator, n_members: int, n_households: int, n_plants: int,
                 n_near: int) -> None:
        self.rng, self.N, self.n = rng, n_plants, n_near
        self._households(n_households, n_members - n_plants - 2 * n_near)
        self._members()
        self._roles()
        self._people()

    def _households(self, H: int, M: int) -> None:
        rng = self.rng
        sizes = rng.choice(np.arange(1, 7), H, p=[0.12, 0.18, 0.22, 0.25, 0.15, 0.08])
        while (diff := M - int(sizes.sum())) != 0:
            cand = np.flatnonzero(sizes < 6) if diff > 0 else np.flatnonzero(sizes > 1)
            sizes[rng.choice(cand, min(abs(diff), len(cand)), replace=False)] += 1 if diff > 0 else -1
        village = np.sort(rng.integers(0, len(r.VILLAGE_CODES), H))
        index = np.arange(H)
        rank = index - np.maximum.accumulate(np.where(np.r_[True, village[1:] != village[:-1]], index, 0))
        self.hh_village = r.VILLAGE_CODES[village]
        self.hh_rank = rank + 1
        self.hh_status = rng.choice(4, H, p=[0.20, 0.74, 0.03, 0.03])
        self.hh_type = np.where(self.hh_status == CLOSED, PLAIN, rng.choice(3, H, p=[0.88, 0.10, 0.02]))
        self.grade = rng.choice(4, H, p=[0.55, 0.40, 0.035, 0.015])
        self.renovation = np.where(self.grade >= 2, rng.choice([1, 2, 3], H, p=[0.15, 0.25, 0.60]), 0)
        self.head_age, self.head_male = rng.integers(25, 81, H), rng.random(H) < 0.85
        self.sizes, self.H, self.M = sizes, H, M
        self.first_member = np.cumsum(sizes) - sizes  # the head is the first member of the household

    def _members(self) -> None:
        rng, M = self.rng, self.M
        h = np.repeat(np.arange(self.H), self.sizes)
        pos = np.arange(M) - self.first_member[h]
        ha, u = self.head_age[h], rng.random(M)
        rel = np.where(pos == 0, HEAD, np.where(pos == 1, SPOUSE, np.where(
            (u < 0.2) & (ha < 70), PARENT, np.where((u < 0.3) & (ha >= 50), GRANDCHILD, CHILD))))
        age = np.select(
            [rel == HEAD, rel == SPOUSE, rel == PARENT, rel == GRANDCHILD],
            [ha, np.clip(ha + rng.integers(-5, 6, M), 20, 95), np.minimum(ha + rng.integers(20, 31, M), 100),
             rng.integers(0, 11, M)],
            rng.integers(0, np.clip(ha - 18, 1, 25)))
        self.birth = r.CHECK - (age * 365.25).astype(np.int64) - rng.integers(0, 365, M)
        self.male = np.where(rel == HEAD, self.head_male[h],
                             np.where(rel == SPOUSE, ~self.head_male[h], rng.random(M) < 0.5))
        u = rng.random(M)
        self.status = np.where(pos == 0, ACTIVE, np.where(u < 0.01, DECEASED, np.where(u < 0.02, MOVED_OUT, ACTIVE)))
        self.health = rng.choice(4, M, p=[0.90, 0.04, 0.02, 0.04])
        self.level = np.where(self.health == 3, rng.choice(4, M, p=[0.15, 0.20, 0.35, 0.30]), -1)
        self.closed = self.hh_status[h] == CLOSED
        self.R = (self.status == ACTIVE) & ~self.closed  # the registry the rules check
        self.h, self.pos, self.rel = h, pos, rel
        self.change = np.where(self.status != ACTIVE, r.JAN1 + rng.integers(0, 366, M), -1)

    def _roles(self) -> None:  # noqa: PLR0915 - one list of parts, read top to bottom
        rng, M, N, n, h = self.rng, self.M, self.N, self.n, self.h
        pick = self.pick = Picker(rng, M)
        roles: dict[str, np.ndarray] = {}
        self.roles = roles
        R, nonhead, plain = self.R, self.pos > 0, self.hh_type[h] == PLAIN

        def split(prefix: str, eligible: np.ndarray, shares: dict[str, float], total: int = N) -> None:
            for kind, share in shares.items():
                roles[f"{prefix}_{kind}"] = pick(eligible, max(2, round(total * share)))

        # Parts that set a birth date come first: the ID is built from it.
        age = age_on(self.birth, 12, 31)
        kid_any = R & nonhead & (age >= 4) & (age <= 16)
        for name, when in (("dropout_born_2014_09_01", "2014-09-01"), ("dropout_born_2004_09_02", "2004-09-02"),
                           ("near_dropout_born_2004_09_01", "2004-09-01"),
                           ("near_dropout_born_2014_09_02", "2014-09-02")):
            roles[name] = pick(kid_any, max(2, N // 10) if name.startswith("dropout") else n)
            self.birth[roles[name]] = r.day(when)
        roles["near_id_born_1988_02_29"] = pick(R & nonhead & (age >= 25) & (age <= 60), n)  # a valid leap day
        self.birth[roles["near_id_born_1988_02_29"]] = r.day("1988-02-29")
        a_sep, a_dec = age_on(self.birth, 9, 1), age_on(self.birth, 12, 31)
        school = np.select([a_sep < 3, a_sep < 6, a_sep < 12, a_sep < 15, a_sep < 18, a_sep < 22],
                           [-1, 1, 2, 3, 4, 4], 0)
        school = np.where((school == 4) & (rng.random(M) < 0.2), 5, school)
        school = np.where((a_sep >= 18) & (a_sep < 22), rng.choice([0, 0, 6, 7], M), school)
        education = np.select([a_sep < 7, a_sep < 15, a_sep < 18], [-1, 1, 2],
                              rng.choice(6, M, p=[0.05, 0.30, 0.40, 0.12, 0.08, 0.05]))
        for name, s, e in (("dropout_born_2014_09_01", 2, -1), ("dropout_born_2004_09_02", 3, 1),
                           ("near_dropout_born_2004_09_01", 4, 1), ("near_dropout_born_2014_09_02", 1, -1)):
            school[roles[name]], education[roles[name]] = s, e
        self.school, self.education, self.a_sep, self.a_dec = school, education, a_sep, a_dec

        adult = R & nonhead & (a_dec >= 25) & (a_dec <= 60) & (self.health == 0) & plain
        kid = R & nonhead & (a_sep >= 7) & (a_sep <= 14)
        nonR, closed = ~R, self.closed
        split("dup", adult, {"copy": 1.0})
        split("near_dup", adult, {"closed_household": 1.0, "moved_out": 1.0}, n)
        split("id", adult, {"checksum": 0.4, "date": 0.1, "birth_date": 0.25, "gender": 0.25})
        split("dead", R, {"plant": 1.0})
        split("near_dead", R, {"2021_01_01": 1.0}, n)
        split("near_dead", closed & (self.status == ACTIVE), {"closed_household": 1.0}, n)
        for rule in ("payroll", "car", "business", "house", "medcost", "disaster"):
            split(rule, R, {"plant": 1.0})
            split(f"near_{rule}", nonR, {"outside_registry": 1.0}, n)
        split("near_car", R, {"motorcycle": 1.0}, n)
        split("near_business", R, {"99999_99": 1.0}, n)
        split("near_house", R, {"self_built": 1.0}, n)
        split("near_medcost", R, {"9999_99": 1.0, "other_years": 1.0}, n)
        split("near_disaster", R, {"2019_12_31": 1.0, "2021_01_01": 1.0}, n)
        split("dropout", kid, {"no_row": 0.35, "enrolled_then_dropped": 0.15, "dropped_only": 0.1,
                               "suspended_only": 0.1, "education_null": 0.1})
        split("near_dropout", kid, {"home_taught": 1.0, "suspended_and_enrolled": 1.0}, n)
        split("near_dropout", R & nonhead & (a_sep == 15) & (education == 2), {"15_completed_junior": 1.0}, n)
        split("nomed", R, {"no_row": 0.5, "2019_only": 0.25, "stopped": 0.25})
        split("near_nomed", R, {"stopped_and_insured": 1.0}, n)
        split("nopension", R & (a_dec >= 18) & (school == 0), {"no_row": 0.6, "stopped": 0.4})
        split("mismatch", R & nonhead & plain, {"no_row": 0.3, "ended_12_30": 0.2, "tekun_only": 0.2,
                                                "false_with_row": 0.3})
        split("near_mismatch", R & nonhead & plain, {"ends_12_31": 1.0, "false_ended_12_30": 1.0,
                                                     "false_starts_2021": 1.0}, n)
        split("missing", closed, {"head_in_closed_household": 0.05})
        split("missing", ~R & ~closed, {"head_not_active": 0.05})
        split("near_missing", R & (self.pos == 0) & plain, {"registry_head": 1.0}, n)
        split("disabled", R & (self.health == 0), {"plant": 1.0})
        split("near_disabled", nonR, {"outside_registry": 1.0}, n)
        split("near_disabled", R & (self.health == 0), {"level3": 1.0, "care_subsidy": 1.0}, n)
        education[roles["dropout_education_null"]] = -1
        for part, level in (("disabled_plant", None), ("near_disabled_outside_registry", 0),
                            ("near_disabled_level3", 2), ("near_disabled_care_subsidy", 0)):
            chosen = roles[part]
            self.health[chosen] = 3
            self.level[chosen] = rng.integers(0, 2, len(chosen)) if level is None else level
        self.receives = self.hh_type[h] == DIBAO
        for part in ("mismatch_no_row", "mismatch_ended_12_30", "mismatch_tekun_only", "near_mismatch_ends_12_31"):
            self.receives[roles[part]] = True

        hpick = Picker(rng, self.H)
        open_hh = self.hh_status != CLOSED
        roles["housing_plant"] = hpick(open_hh & (self.grade >= 2) & (self.renovation != DONE), N)
        roles["near_housing_closed_household"] = hpick(~open_hh, n)
        self.grade[roles["near_housing_closed_household"]] = 2
        self.renovation[roles["near_housing_closed_household"]] = 1
        roles["near_housing_done"] = hpick(open_hh & (self.grade >= 2) & (self.renovation == DONE), n)

    def _people(self) -> None:
        rng, M, roles, n = self.rng, self.M, self.roles, self.n
        county = self.hh_village[self.h] // 10**6
        seq = r.unique_sequences(county, self.birth, self.male)
        self.dept_id = r.ids(county, self.birth, seq)  # as the departments know each person: always valid
        # The registry's ID: the departments' one, except for the C-ID plants.
        bad = np.r_[roles["id_checksum"], roles["id_date"]]
        matrix = r.id_matrix(county[bad], self.birth[bad], seq[bad])
        k = len(roles["id_checksum"])
        right = np.searchsorted(np.sort(r.CHECK_CHARS), matrix[:k, 17])
        matrix[:k, 17] = np.sort(r.CHECK_CHARS)[(right + rng.integers(1, 11, k)) % 11]
        matrix[k:, 10:12] = ord("1"), ord("3")  # month 13, with a correct check character
        matrix[k:, 17] = r.check_characters(matrix[k:, :17] - 48)
        where = np.full(M, -1)
        where[bad] = np.arange(len(bad))
        self.reg_id = pc.if_else(pa.array(where >= 0),
                                 pc.take(r.fixed_strings(matrix), pa.array(np.maximum(where, 0))), self.dept_id)
        birth_reg, male_reg = self.birth.copy(), self.male.copy()
        birth_reg[roles["id_birth_date"]] += rng.integers(1, 400, len(roles["id_birth_date"]))
        male_reg[roles["id_gender"]] = ~male_reg[roles["id_gender"]]

        # C-DUP: a second row of one ID in another household (closed, or moved out, for the near misses).
        open_hh = np.flatnonzero(self.hh_status != CLOSED)
        origin = np.r_[roles["dup_copy"], roles["near_dup_closed_household"], roles["near_dup_moved_out"]]
        into = np.r_[rng.choice(open_hh, len(roles["dup_copy"])),
                     rng.choice(np.flatnonzero(self.hh_status == CLOSED), n), rng.choice(open_hh, n)]
        while (same := into == self.h[origin]).any():
            into[same] = rng.choice(open_hh, int(same.sum()))
        status = np.r_[self.status, np.full(len(origin) - n, ACTIVE), np.full(n, MOVED_OUT)]
        change = np.r_[self.change, np.full(len(origin) - n, -1), r.JAN1 + rng.integers(0, 366, n)]
        self.copy_of, rows, hrow = origin, np.r_[np.arange(M), origin], np.r_[self.h, into]
        total = len(rows)
        self.hh_no = r.fixed_strings(np.hstack([r.digits(self.hh_village, 12), r.digits(self.hh_rank, 4)]) + 48)
        village = r.fixed_strings(r.digits(self.hh_village, 12) + 48)
        self.names = r.names(rng, M)
        self.village = pc.take(village, pa.array(self.h))
        keys = pa.array(np.arange(1, total + 1, dtype=np.int64))
        self.people = pa.Table.from_arrays([
            keys, keys, pa.array(hrow + 1, pa.int64()), pc.take(self.hh_no, pa.array(hrow)),
            pa.array(np.full(total, r.YEAR, np.int32)), pc.take(village, pa.array(hrow)),
            r.cat(HH_STATUS, self.hh_status[hrow]), r.cat(GRADES, self.grade[hrow]),
            r.cat(RENOVATIONS, self.renovation[hrow]), pc.take(self.names, pa.array(rows)),
            pc.take(self.reg_id, pa.array(rows)), pa.nulls(total, pa.string()),
            r.cat(["female", "male"], male_reg[rows].astype(np.int64)), r.dates(birth_reg[rows]),
            r.cat(RELATIONS, np.r_[self.rel, np.full(len(origin), OTHER)]), r.cat(EDUCATION, self.education[rows]),
            r.cat(SCHOOL, self.school[rows]), r.cat(HEALTH, self.health[rows]), r.cat(LEVELS, self.level[rows]),
            pa.array(np.r_[self.receives, np.zeros(len(origin), bool)]),
            r.cat(["active", "deceased", "moved_out"], status), r.dates(np.maximum(change, 0), change >= 0),
        ], schema=PLAIN_PEOPLE)

    def persons(self, index: np.ndarray) -> dict[str, pa.Array]:
        """The common columns of department rows about members ``index``, as the departments know them."""
        take = pa.array(np.asarray(index, np.int64))
        return {"id_number": pc.take(self.dept_id, take), "name": pc.take(self.names, take),
                "birth_date": r.dates(self.birth[index]),
                "gender": r.cat(["female", "male"], self.male[index].astype(np.int64)),
                "division_code": pc.take(self.village, take)}

    def head_ids(self, index: np.ndarray) -> pa.Array:
        """The departments' ID of the head of each member's household."""
        return pc.take(self.dept_id, pa.array(self.first_member[self.h[index]]))
