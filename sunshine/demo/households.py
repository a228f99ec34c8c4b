"""Lasting traits of each household: type, main cause of poverty, identification and exit path, housing,
water, phone and income propensity. Drawn once per household; sunshine.demo.yearly turns them into
yearly figures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sunshine.demo.population import CHRONIC, DISABLED, HEAD, HEALTHY, SERIOUS, Households, Persons
from sunshine.registry import choices as c

NEVER = 9999
GENERAL, DIBAO, TEKUN = range(3)  # index of HOUSEHOLD_TYPE_SLUGS
HOUSEHOLD_TYPE_SLUGS = (c.HouseholdType.GENERAL.value, c.HouseholdType.DIBAO.value, c.HouseholdType.TEKUN.value)
CAUSE_SLUGS = tuple(c.MainCause.values)
# 因病 is the most common cause in the registry, then 因残, 缺劳力, 缺技术.
CAUSE_P = {
    c.MainCause.ILLNESS: 0.40, c.MainCause.DISABILITY: 0.15, c.MainCause.EDUCATION: 0.05,
    c.MainCause.DISASTER: 0.02, c.MainCause.LAND: 0.03, c.MainCause.WATER: 0.005, c.MainCause.SKILLS: 0.10,
    c.MainCause.LABOUR: 0.11, c.MainCause.CAPITAL: 0.06, c.MainCause.TRANSPORT: 0.01,
    c.MainCause.MOTIVATION: 0.04, c.MainCause.OTHER: 0.025,
}
ILLNESS = CAUSE_SLUGS.index(c.MainCause.ILLNESS)
DISABILITY = CAUSE_SLUGS.index(c.MainCause.DISABILITY)
EDUCATION = CAUSE_SLUGS.index(c.MainCause.EDUCATION)
SKILLS = CAUSE_SLUGS.index(c.MainCause.SKILLS)
PHONE_PREFIXES = np.array([3, 5, 7, 8, 9])


@dataclass
class Traits:
    htype: np.ndarray
    type_change_year: np.ndarray  # a general household that becomes 低保户 this year (NEVER: none)
    cause: np.ndarray
    identified_year: np.ndarray
    exit_year: np.ndarray  # NEVER: still in poverty at the end
    returned_year: np.ndarray  # NEVER: no return to poverty (返贫)
    doubtful_exit: np.ndarray  # exited although the income is below the line (for the assessment to find)
    income_shock_year: np.ndarray  # a year whose income falls by a third or more (lost job, bad harvest)
    ready_year: np.ndarray  # still in poverty but earning above the line this year: due to exit (拟退出户)
    income_z: np.ndarray
    grade0: np.ndarray  # housing grade in the first year, 0..3 = A..D
    reno_start: np.ndarray
    reno_done: np.ndarray
    post_grade: np.ndarray
    renovated_before: np.ndarray
    water_fixed: np.ndarray  # first year with safe water (the first year itself for most)
    power_from: np.ndarray
    phone: np.ndarray  # object array of str
    phone_new: np.ndarray
    phone_change_year: np.ndarray
    property_base: np.ndarray
    transfer_expense_base: np.ndarray


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic 11-digit mobile numbers (1 + 3/5/7/8/9 + nine digits)."""
    second = PHONE_PREFIXES[rng.integers(0, len(PHONE_PREFIXES), n)]
    rest = rng.integers(0, 1_000_000_000, n)
    return np.array([f"1{a}{b:09d}" for a, b in zip(second.tolist(), rest.tolist(), strict=True)], dtype=object)


def _year_choice(rng: np.random.Generator, n: int, offsets: dict[int, float], y0: int) -> np.ndarray:
    keys = np.array([y0 + k if k != NEVER else NEVER for k in offsets], dtype=np.int16)
    return keys[rng.choice(len(keys), n, p=np.array(list(offsets.values())) / sum(offsets.values()))]


def draw_traits(rng: np.random.Generator, hhs: Households, persons: Persons, years: tuple[int, ...]) -> Traits:
    """Household traits; also makes members' health agree with the main cause (an 因病 household has a
    sick member, an 因残 household a disabled one)."""
    n = len(hhs.size)
    y0, y_last = years[0], years[-1]
    heads = np.nonzero(persons.rel == HEAD)[0]  # one per household, in household order
    head_age = y0 - persons.birth_year[heads]
    ill = np.bincount(persons.hh, weights=np.isin(persons.health, (CHRONIC, SERIOUS)), minlength=n) > 0
    disabled = np.bincount(persons.hh, weights=persons.health == DISABLED, minlength=n) > 0
    age = y0 - persons.birth_year
    students = np.bincount(persons.hh, weights=(age >= 6) & (age <= 22), minlength=n) > 0

    cause = rng.choice(len(CAUSE_SLUGS), n, p=[CAUSE_P[s] for s in CAUSE_SLUGS])
    cause = np.where((cause == EDUCATION) & ~students, SKILLS, cause)
    # Prefer the cause the household's members show: most households with a disabled member are 因残.
    cause = np.where(disabled & (cause != ILLNESS) & (rng.random(n) < 0.5), DISABILITY, cause)
    # An 因病 household without a sick member: the head is the sick one, unless the head is disabled.
    no_sick = (cause == ILLNESS) & ~ill
    head_healthy = persons.health[heads] == HEALTHY
    cause = np.where(no_sick & ~head_healthy, DISABILITY, cause)
    make_ill = heads[no_sick & head_healthy]
    persons.health[make_ill] = np.where(rng.random(len(make_ill)) < 0.6, CHRONIC, SERIOUS)
    # Someone in the household becomes the disabled member: a uniformly chosen member position.
    starts = np.searchsorted(persons.hh, np.arange(n))
    pick = starts + (rng.random(n) * hhs.size).astype(np.int64)
    make_disabled = pick[(cause == DISABILITY) & ~disabled]
    persons.health[make_disabled] = DISABLED
    k = len(make_disabled)
    persons.dis_level[make_disabled] = rng.choice([1, 2, 3, 4], k, p=[0.15, 0.25, 0.30, 0.30])
    persons.dis_type[make_disabled] = rng.choice(np.arange(1, 8), k, p=[0.12, 0.10, 0.03, 0.45, 0.12, 0.10, 0.08])

    alone_old = (hhs.size == 1) & (head_age >= 60)
    sick = np.isin(cause, (ILLNESS, DISABILITY))
    u = rng.random(n)
    p_tekun = np.where(alone_old, 0.35, 0.02)
    p_dibao = np.where(alone_old, 0.35, np.where(sick, 0.30, 0.15))
    htype = np.select([u < p_tekun, u < p_tekun + p_dibao], [TEKUN, DIBAO], GENERAL).astype(np.int8)
    type_change_year = np.where(
        (htype == GENERAL) & (rng.random(n) < 0.03) & (len(years) > 1),
        rng.integers(y0 + 1, y_last + 1, n) if len(years) > 1 else NEVER, NEVER,
    ).astype(np.int16)

    # Jiangsu's current round (2016–2020) identified most households in 2016.
    identified = _year_choice(rng, n, {-3: 0.10, -2: 0.55, -1: 0.20, 0: 0.15}, y0)
    exit_year = _year_choice(rng, n, {-2: 0.02, -1: 0.05, 0: 0.08, 1: 0.45, 2: 0.37, NEVER: 0.03}, y0)
    exit_year = np.where(exit_year == NEVER, NEVER, np.maximum(exit_year, identified + 1))
    late = hhs.first_year > y0  # newly identified in a later year
    identified = np.where(late, hhs.first_year, identified)
    exit_year = np.where(late, np.where(rng.random(n) < 0.7, hhs.first_year + 1, NEVER), exit_year)
    exit_year = np.where(exit_year > y_last, NEVER, exit_year).astype(np.int16)
    earliest_return = np.maximum(exit_year + 1, y0 + 1)
    can_return = (exit_year != NEVER) & (earliest_return <= y_last) & (rng.random(n) < 0.015)
    returned_year = np.where(
        can_return, earliest_return + (rng.random(n) * (y_last - earliest_return + 1)).astype(np.int16), NEVER,
    ).astype(np.int16)

    # Most households still in poverty in the last year have risen above the line by then and are due to exit
    # (the demo opens their exit cases); the others still fall short.
    ready_year = np.where((exit_year == NEVER) & (rng.random(n) < 0.6), y_last, NEVER).astype(np.int16)
    grade0 = rng.choice(4, n, p=[0.40, 0.45, 0.10, 0.05]).astype(np.int8)
    reno_done = _year_choice(rng, n, {0: 0.25, 1: 0.40, 2: 0.30, NEVER: 0.05}, y0)
    reno_start = np.where((reno_done != NEVER) & (rng.random(n) < 0.5), reno_done - 1, reno_done)
    # A pending renovation is under way the year before it is finished, if it ever is.
    reno_start = np.where(reno_done == NEVER, np.where(rng.random(n) < 0.5, y_last, NEVER), reno_start)
    water_fixed = np.where(rng.random(n) < 0.03, _year_choice(rng, n, {1: 0.6, 2: 0.3, NEVER: 0.1}, y0), y0)
    change = rng.random(n) < 0.05
    return Traits(
        htype=htype, type_change_year=type_change_year, cause=cause.astype(np.int8),
        identified_year=identified.astype(np.int16), exit_year=exit_year, returned_year=returned_year,
        # Few doubtful exits and shocks: a real county warns on a few percent of its households (§5).
        doubtful_exit=rng.random(n) < 0.01, income_z=rng.standard_normal(n),
        ready_year=ready_year,
        income_shock_year=np.where(rng.random(n) < 0.015, rng.integers(y0 + 1, y_last + 2, n), NEVER
                                   ).astype(np.int16),
        grade0=grade0, reno_start=reno_start.astype(np.int16), reno_done=reno_done.astype(np.int16),
        post_grade=np.where(rng.random(n) < 0.3, 0, 1).astype(np.int8),
        renovated_before=(grade0 < 2) & (rng.random(n) < 0.1),
        water_fixed=water_fixed.astype(np.int16),
        power_from=np.where(rng.random(n) < 0.001, y0 + 1, y0).astype(np.int16),
        phone=_phones(rng, n), phone_new=_phones(rng, n),
        phone_change_year=np.where(change, y_last, NEVER).astype(np.int16),
        property_base=np.where(rng.random(n) < 0.6, rng.uniform(300, 1200, n), 0.0),
        transfer_expense_base=np.where(rng.random(n) < 0.1, rng.uniform(300, 2000, n), 0.0),
    )
