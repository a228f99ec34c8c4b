"""The figures of one year: each listed member's schooling, health, labour, work and insurance, and each
household's status, income items and living conditions. Vectorised over the whole year block."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sunshine.demo.events import YearBlock
from sunshine.demo.households import DIBAO, GENERAL, NEVER, TEKUN, Traits
from sunshine.demo.population import (
    CHRONIC,
    DISABLED,
    DROPPED_OUT,
    HOME_TAUGHT,
    MOVED_OUT,
    NOT_ENDED,
    SERIOUS,
    SUSPENDED,
    Persons,
)
from sunshine.registry import choices as c

POVERTY_LINE = 6000.0  # Jiangsu 2016–2020: per-capita disposable income of 6,000 yuan a year

# Codes are indices into these slug tuples (the order of the choice classes; "" = not applicable).
SCHOOL_SLUGS = tuple(c.SchoolStatus.values)
EDUCATION_SLUGS = ("", *c.EducationLevel.values)
LABOUR_SLUGS = tuple(c.LabourAbility.values)
EMPLOYMENT_SLUGS = tuple(c.Employment.values)
STATUS_SLUGS = tuple(c.HouseholdStatus.values)
_S = {v: i for i, v in enumerate(SCHOOL_SLUGS)}
NOT_IN_SCHOOL, PRESCHOOL, PRIMARY, JUNIOR, SENIOR = (_S[v] for v in ("not_in_school", "preschool", "primary",
                                                                      "junior", "senior"))
SEC_VOC, HIGH_VOC, COLLEGE = _S["secondary_vocational"], _S["higher_vocational"], _S["college"]
S_DROPPED, S_SUSPENDED, S_HOME = _S["dropped_out"], _S["suspended"], _S["home_taught"]
ORDINARY, SKILLED, WEAK, LOST, NO_LABOUR = range(5)
IN_POVERTY, EXITED, RETURNED, CLOSED = range(4)
_EDU_OF_STAGE = {PRIMARY: 2, JUNIOR: 3, SENIOR: 4, SEC_VOC: 5, HIGH_VOC: 6, COLLEGE: 6}


@dataclass
class MemberFields:
    school: np.ndarray
    education: np.ndarray
    labour: np.ndarray
    employment: np.ndarray
    medical: np.ndarray
    critical: np.ndarray
    pension: np.ndarray
    dibao: np.ndarray


@dataclass
class HouseholdFields:
    htype: np.ndarray
    support_safety_net: np.ndarray
    status: np.ndarray
    exit_year: np.ndarray  # 0 = empty
    income: np.ndarray  # (6, n): wage, business, business expense, property, transfer, transfer expense
    missing_item: np.ndarray  # -1 or the index of an income item left empty (unknown)
    food_secure: np.ndarray
    grade: np.ndarray
    renovation: np.ndarray  # index of RenovationStatus values
    water_safe: np.ndarray
    electricity: np.ndarray
    phone: np.ndarray


def member_fields(rng: np.random.Generator, b: YearBlock, persons: Persons, htype_of_member: np.ndarray,
                  k: int, y0: int) -> MemberFields:
    m = b.mem
    a = b.age.astype(np.int32)
    n = len(m)
    anomaly = persons.anomaly[m]
    sec, high = persons.sec_track[m], persons.high_track[m]
    school = np.select(
        [(a >= 3) & (a <= 5) & persons.preschool[m], (a >= 6) & (a <= 15) & (anomaly == DROPPED_OUT),
         (a >= 6) & (a <= 15) & (anomaly == HOME_TAUGHT), (a >= 6) & (a <= 15) & (anomaly == SUSPENDED),
         (a >= 6) & (a <= 11), (a >= 12) & (a <= 15),
         (a >= 16) & (a <= 18) & (sec == 1), (a >= 16) & (a <= 18) & (sec == 2),
         (a >= 19) & (a <= 22) & (high == 1), (a >= 19) & (a <= 22) & (high == 2)],
        [PRESCHOOL, S_DROPPED, S_HOME, S_SUSPENDED, PRIMARY, JUNIOR, SENIOR, SEC_VOC, COLLEGE, HIGH_VOC],
        NOT_IN_SCHOOL,
    ).astype(np.int8)
    in_school = np.isin(school, list(_EDU_OF_STAGE))
    stage_edu = np.zeros(n, np.int8)
    for stage, edu in _EDU_OF_STAGE.items():
        stage_edu[school == stage] = edu
    # Young people's schooling follows their own path, so that it stays consistent as they age.
    path_edu = np.where(sec == 0, 3, np.where((high > 0) & (a >= 23), 6, np.where(sec == 1, 4, 5)))
    education = np.select(
        [a < 6, in_school, np.isin(school, (S_DROPPED, S_SUSPENDED, S_HOME)),
         persons.birth_year[m] <= y0 - 23, a <= 15],
        [0, stage_edu, np.where(a <= 12, 2, 3), persons.adult_edu[m], 2],
        path_edu,
    ).astype(np.int8)

    health = b.health
    level = persons.dis_level[m]
    student = in_school | np.isin(school, (S_SUSPENDED, S_HOME, PRESCHOOL))
    working_age = (a >= 16) & (a <= 64) & ~student
    u_skill = persons.u_skill[m]
    labour = np.select(
        [~working_age, (health == DISABLED) & (level <= 2), health == DISABLED,
         (health == SERIOUS) & (persons.u_lost[m] < 0.5), health == SERIOUS, health == CHRONIC, a >= 60,
         u_skill < 0.18, u_skill > 0.95],
        [NO_LABOUR, LOST, WEAK, LOST, WEAK, WEAK, np.where(u_skill < 0.6, WEAK, ORDINARY), SKILLED, WEAK],
        ORDINARY,
    ).astype(np.int8)
    # Work away from home grew year by year (就业扶贫).
    able = np.isin(labour, (ORDINARY, SKILLED))
    p_work = np.where(able, 0.60 + 0.05 * k, np.where(labour == WEAK, 0.22 + 0.04 * k, 0.0))
    works = working_age & (persons.u_emp[m] < p_work)
    dest = persons.emp_dest[m]
    employment = np.where(works, np.where(labour == WEAK, np.where(dest == 2, 2, 1), dest), 0).astype(np.int8)

    medical = rng.random(n) >= 0.008 - 0.003 * k
    critical = medical & (rng.random(n) >= 0.003)
    pension = (a >= 16) & ~student & (persons.u_pension[m] < np.where(a >= 60, 0.97, 0.90))
    dibao = (htype_of_member == DIBAO) & (b.status != MOVED_OUT)
    return MemberFields(school=school, education=education, labour=labour, employment=employment,
                        medical=medical, critical=critical, pension=pension, dibao=dibao)


def household_types(b: YearBlock, t: Traits) -> np.ndarray:
    h = b.hh
    return np.where(b.year >= t.type_change_year[h], DIBAO, t.htype[h]).astype(np.int8)


def household_fields(rng: np.random.Generator, b: YearBlock, persons: Persons, t: Traits, mf: MemberFields,
                     htype: np.ndarray, k: int) -> HouseholdFields:
    h = b.hh
    n = len(h)
    y = b.year
    # Position of each member's household within b.hh (members are grouped in the order of b.hh).
    pos = np.searchsorted(h, persons.hh[b.mem])
    active = b.status == NOT_ENDED

    def per_household(weights: np.ndarray) -> np.ndarray:
        return np.bincount(pos, weights=weights.astype(float), minlength=n)

    n_active = np.maximum(1, per_household(active))
    n_able = per_household(active & np.isin(mf.labour, (ORDINARY, SKILLED)))
    n_working = per_household(active & (mf.employment > 0))
    n_old = per_household(active & (b.age >= 60))
    n_disabled = per_household(active & (b.health == DISABLED))
    n_students = per_household(active & np.isin(mf.school, list(_EDU_OF_STAGE)))
    all_old = per_household(active & (b.age < 60)) == 0

    status = np.select(
        [b.closed, y >= t.returned_year[h], y >= t.exit_year[h]], [CLOSED, RETURNED, EXITED], IN_POVERTY,
    ).astype(np.int8)
    exited_by_now = t.exit_year[h] <= y
    exit_year = np.where(exited_by_now, t.exit_year[h], 0)
    # The income the status implies: below the line while in poverty, above it once out (except for a
    # few doubtful exits that the exit assessment ought to catch).
    poor = (~exited_by_now & (y != t.ready_year[h])) | (status == RETURNED)
    # Exited households earn well above the line (Jiangsu 2020: about 12,000 yuan a head), so that only a few sit
    # under the 9,000 yuan monitoring line (1.5 × the income line).
    ln_pc = (np.log(POVERTY_LINE) + np.where(status == RETURNED, -0.3, np.where(poor, -0.2, 0.62))
             + np.where(poor, 0.16, 0.14) * t.income_z[h] + 0.07 * k + 0.05 * rng.standard_normal(n))
    pc = np.exp(ln_pc)
    u = rng.random(n)
    pc = np.where(poor & (pc >= POVERTY_LINE - 10) & (u < 0.9), rng.uniform(4000, 5950, n), pc)
    doubtful = ~poor & t.doubtful_exit[h]
    pc = np.where(~poor & ~doubtful & (pc < POVERTY_LINE + 10), rng.uniform(6050, 8000, n), pc)
    pc = np.where(doubtful, rng.uniform(4500, 5950, n), pc)
    # Due to exit: just risen above the line, most of them by a few hundred yuan.
    ready = ~exited_by_now & (y == t.ready_year[h])
    pc = np.where(ready, POVERTY_LINE + 50 + rng.exponential(700, n), pc)
    # A shock year: the income falls to 45–68 % of what it would be (M-UNSTABLE income drop).
    pc = np.where(~poor & (y == t.income_shock_year[h]), pc * rng.uniform(0.45, 0.68, n), pc)
    disposable = pc * n_active

    grow = 1.05 ** k
    prop = np.minimum(t.property_base[h] * grow, 0.3 * disposable)
    t_exp = t.transfer_expense_base[h]
    transfer_target = (
        n_old * 1620 * grow  # basic pension for rural residents over 60
        + np.where(htype == DIBAO, n_active * rng.uniform(1800, 3600, n) * grow, 0.0)
        + np.where(htype == TEKUN, n_active * rng.uniform(7000, 9000, n) * grow, 0.0)
        + n_disabled * 900 + n_students * 1000 + rng.uniform(100, 800, n)
    )
    room = disposable + t_exp - prop
    transfer = np.minimum(transfer_target, 0.95 * room)
    rest = room - transfer
    wage_share = np.where(n_working > 0, rng.uniform(0.65, 0.95, n), rng.uniform(0.0, 0.15, n))
    wage = rest * wage_share
    net_business = rest - wage
    business = net_business / (1 - rng.uniform(0.25, 0.55, n))
    income = np.round(np.vstack([wage, business, business - net_business, prop, transfer, t_exp]), 2)
    missing = np.where(rng.random(n) < 0.01, rng.integers(0, 6, n), -1)

    dangerous = t.grade0[h] >= 2
    done = dangerous & (y >= t.reno_done[h])
    started = dangerous & ~done & (y >= t.reno_start[h])
    grade = np.where(done, t.post_grade[h], t.grade0[h]).astype(np.int8)
    renovation = np.select(
        [done | (~dangerous & t.renovated_before[h]), started, dangerous], [3, 2, 1], 0,
    ).astype(np.int8)
    support_safety_net = (n_able == 0) & ((htype != GENERAL) | all_old)
    return HouseholdFields(
        htype=htype, support_safety_net=support_safety_net, status=status, exit_year=exit_year,
        income=income, missing_item=missing,
        food_secure=~((status == IN_POVERTY) & (rng.random(n) < 0.03)),
        grade=grade, renovation=renovation,
        water_safe=(y >= t.water_fixed[h]) & (t.water_fixed[h] != NEVER),
        electricity=y >= t.power_from[h],
        phone=np.where(y >= t.phone_change_year[h], t.phone_new[h], t.phone[h]),
    )

