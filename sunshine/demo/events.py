"""What happens to households year by year: illness, deaths, members moving out, births, households
closed (销户), and a new head when the head dies. The result is, for every year, who is listed in which
household with which relation and member status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sunshine.demo.population import (
    CHILD,
    CHILD_IN_LAW,
    CHRONIC,
    DECEASED,
    GRANDCHILD,
    GRANDPARENT,
    HEAD,
    HEALTHY,
    MOVED_OUT,
    NOT_ENDED,
    OTHER,
    PARENT,
    SERIOUS,
    SIBLING,
    SPOUSE,
    STILL_THERE,
    Households,
    Persons,
    new_persons,
)

BIRTH_RATE = 0.05  # per eligible woman and year
MOVE_OUT_RATE = 0.03  # young adults marrying out or leaving to set up their own household (分户)
RANDOM_CLOSURE_RATE = 0.004  # households removed from the registry (e.g. 识别不精准 corrected)
ADULT_AGE = 16

# Relations re-expressed from the point of view of a new head, indexed by the old relation.
_SAME = np.arange(9, dtype=np.int8)
_FROM_CHILD = np.array([OTHER, PARENT, SIBLING, SPOUSE, CHILD, GRANDPARENT, OTHER, OTHER, OTHER], dtype=np.int8)
_ALL_OTHER = np.full(9, OTHER, dtype=np.int8)


@dataclass
class YearBlock:
    """The registry of one year: active households and the members listed in them, head first."""

    year: int
    hh: np.ndarray  # chunk-local household indices, ascending
    closed: np.ndarray  # aligned with hh: the household is closed (已销户) this year
    mem: np.ndarray  # person indices, grouped by household in the order of hh, head first
    rel: np.ndarray
    status: np.ndarray  # NOT_ENDED (active), DECEASED or MOVED_OUT
    change_doy: np.ndarray  # day of year of the death or move; meaningful only when status != NOT_ENDED
    health: np.ndarray
    age: np.ndarray


def _last_day(year: int, today: dt.date) -> int:
    """Last day of year (0-based) an event may fall on: never in the future."""
    end = min(dt.date(year, 12, 31), today)
    return max(0, (end - dt.date(year, 1, 1)).days)


def _death_hazard(age: np.ndarray, health: np.ndarray) -> np.ndarray:
    base = np.select([age < 1, age < 40, age < 60, age < 70, age < 80], [0.004, 0.001, 0.004, 0.012, 0.03], 0.08)
    return base * np.where(health == SERIOUS, 2.5, 1.0)


def _health_transitions(rng: np.random.Generator, persons: Persons, idx: np.ndarray, age: np.ndarray) -> None:
    h = persons.health[idx]
    u = rng.random(len(idx))
    to_chronic = (h == HEALTHY) & (u < np.where(age >= 40, 0.035, 0.01))
    to_serious = ((h == HEALTHY) & (u >= 0.98) & (u < 0.9825)) | ((h == CHRONIC) & (u < 0.008))
    recovered = (h == SERIOUS) & (u < 0.15)
    h = np.where(to_chronic | recovered, CHRONIC, np.where(to_serious, SERIOUS, h)).astype(np.int8)
    persons.health[idx] = h


def simulate(rng: np.random.Generator, hhs: Households, persons: Persons, years: tuple[int, ...],
             today: dt.date) -> list[YearBlock]:
    """Run the years in order, appending newborns to ``persons``; return one YearBlock per year."""
    n_hh = len(hhs.size)
    hh_last = np.full(n_hh, STILL_THERE, dtype=np.int16)
    blocks: list[YearBlock] = []
    for k, y in enumerate(years):
        last_day = _last_day(y, today)
        active = (hhs.first_year <= y) & (hh_last >= y)
        idx = np.nonzero((persons.first_year <= y) & (persons.last_year >= y) & active[persons.hh])[0]
        age = y - persons.birth_year[idx].astype(np.int32)
        if k > 0:
            _health_transitions(rng, persons, idx[persons.first_year[idx] < y], age[persons.first_year[idx] < y])

        dies = rng.random(len(idx)) < _death_hazard(age, persons.health[idx])
        _end(persons, idx[dies], y, DECEASED, rng.integers(0, last_day + 1, int(dies.sum())))
        closing = np.zeros(n_hh, dtype=bool)
        if k > 0:
            rel = persons.rel[idx]
            movable = np.isin(rel, (CHILD, CHILD_IN_LAW, GRANDCHILD, SIBLING, OTHER)) & (age >= 18) & (age <= 35)
            moves = movable & ~dies & (rng.random(len(idx)) < MOVE_OUT_RATE)
            _end(persons, idx[moves], y, MOVED_OUT, rng.integers(0, last_day + 1, int(moves.sum())))
            closing = active & (rng.random(n_hh) < RANDOM_CLOSURE_RATE)
            idx = _births(rng, hhs, persons, idx, age, closing, y, last_day)

        # A household with no adult left is closed; children left behind go to relatives (迁出).
        cont = idx[persons.last_year[idx] > y]
        adult = (y - persons.birth_year[cont]) >= ADULT_AGE
        adults_left = np.bincount(persons.hh[cont[adult]], minlength=n_hh)
        no_adult = active & (adults_left == 0)
        closing |= no_adult
        orphans = cont[~adult & no_adult[persons.hh[cont]]]
        _end(persons, orphans, y, MOVED_OUT, np.full(len(orphans), last_day))
        leaving = idx[closing[persons.hh[idx]] & (persons.last_year[idx] > y)]
        persons.last_year[leaving] = y  # still 在册 this year; the household is gone next year
        hh_last[closing] = y

        blocks.append(_block(y, persons, np.nonzero(active)[0], closing, idx))
        _succession(persons, idx, y)
    return blocks


def _end(persons: Persons, who: np.ndarray, year: int, kind: int, doy: np.ndarray) -> None:
    persons.last_year[who] = year
    persons.end_kind[who] = kind
    persons.end_doy[who] = doy


def _births(rng: np.random.Generator, hhs: Households, persons: Persons, idx: np.ndarray, age: np.ndarray,
            closing: np.ndarray, y: int, last_day: int) -> np.ndarray:
    """Babies born this year to women of the household; returns ``idx`` with the newborns added."""
    rel = persons.rel[idx]
    mothers = idx[~persons.male[idx] & (age >= 20) & (age <= 38) & (persons.last_year[idx] > y)
                  & np.isin(rel, (HEAD, SPOUSE, CHILD, CHILD_IN_LAW)) & ~closing[persons.hh[idx]]
                  & (rng.random(len(idx)) < BIRTH_RATE)]
    # At most one birth per household and year.
    _, first = np.unique(persons.hh[mothers], return_index=True)
    mothers = mothers[first]
    n = len(mothers)
    if n == 0:
        return idx
    hh = persons.hh[mothers]
    male = rng.random(n) < 0.52
    babies = new_persons(
        rng, hh=hh,
        rel=np.where(np.isin(persons.rel[mothers], (HEAD, SPOUSE)), CHILD, GRANDCHILD).astype(np.int8),
        male=male, birth_year=np.full(n, y, dtype=np.int16), birth_doy=rng.integers(0, last_day + 1, n),
        surname=hhs.surname[hh], first_year=np.full(n, y, dtype=np.int16), y0=y,
    )
    start = len(persons)
    persons.extend(babies)
    return np.concatenate([idx, np.arange(start, start + n)])


def _block(y: int, persons: Persons, hh: np.ndarray, closing: np.ndarray, idx: np.ndarray) -> YearBlock:
    rel = persons.rel[idx]
    order = np.lexsort((idx, rel != HEAD, persons.hh[idx]))
    mem = idx[order]
    ended = persons.last_year[mem] == y
    status = np.where(ended, persons.end_kind[mem], NOT_ENDED).astype(np.int8)
    return YearBlock(
        year=y, hh=hh, closed=closing[hh], mem=mem, rel=persons.rel[mem].copy(), status=status,
        change_doy=persons.end_doy[mem].copy(), health=persons.health[mem].copy(),
        age=(y - persons.birth_year[mem]).astype(np.int16),
    )


def _succession(persons: Persons, idx: np.ndarray, y: int) -> None:
    """When a head dies, the spouse, else the eldest child, else the eldest member becomes head next year,
    and the others' relations are restated from the new head's point of view."""
    rel = persons.rel[idx]
    gone_heads = idx[(rel == HEAD) & (persons.last_year[idx] == y)]
    if not len(gone_heads):
        return
    cont = idx[persons.last_year[idx] > y]
    need = np.isin(persons.hh[cont], persons.hh[gone_heads])
    cont = cont[need]
    # Eldest first (smallest birth year), so the first candidate of a relation is the eldest.
    cont = cont[np.lexsort((persons.birth_doy[cont], persons.birth_year[cont], persons.hh[cont]))]
    groups = np.split(cont, np.nonzero(np.diff(persons.hh[cont]))[0] + 1) if len(cont) else []
    for members in groups:
        rels = persons.rel[members]
        adults = (y + 1 - persons.birth_year[members]) >= ADULT_AGE
        spouses = np.nonzero((rels == SPOUSE) & adults)[0]
        children = np.nonzero((rels == CHILD) & adults)[0]
        if len(spouses):
            pick, table = spouses, _SAME
        elif len(children):
            pick, table = children, _FROM_CHILD
        else:
            others = np.nonzero(adults)[0]
            pick, table = (others if len(others) else np.arange(len(members))), _ALL_OTHER
        new_head = members[pick[0]]
        persons.rel[members] = table[rels]
        persons.rel[new_head] = HEAD
