"""A simulated chunk turned into database rows (tuples in column order) and inserted."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from sunshine.core.ids import make_id_number
from sunshine.demo import db
from sunshine.demo.events import YearBlock
from sunshine.demo.households import CAUSE_SLUGS, HOUSEHOLD_TYPE_SLUGS, Traits
from sunshine.demo.names import SURNAMES
from sunshine.demo.population import DISABLED, HEAD, Households, Persons
from sunshine.demo.yearly import (
    EDUCATION_SLUGS,
    EMPLOYMENT_SLUGS,
    LABOUR_SLUGS,
    SCHOOL_SLUGS,
    STATUS_SLUGS,
    HouseholdFields,
    MemberFields,
)
from sunshine.registry import choices as c
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person

RELATION_SLUGS = tuple(c.Relation.values)
HEALTH_SLUGS = tuple(c.Health.values)
DISABILITY_LEVEL_SLUGS = ("", *c.DisabilityLevel.values)
DISABILITY_TYPE_SLUGS = ("", *c.DisabilityType.values)
MEMBER_STATUS_SLUGS = tuple(c.MemberStatus.values)
GRADE_SLUGS = tuple(c.HousingGrade.values)
RENOVATION_SLUGS = tuple(c.RenovationStatus.values)
SUPPORT_SLUGS = (c.SupportCategory.DEVELOPMENT.value, c.SupportCategory.SAFETY_NET.value)
GENDER_SLUGS = (c.Gender.FEMALE.value, c.Gender.MALE.value)

HOUSEHOLD_FIELDS = ("id", "created_at", "updated_at", "household_no", "village")
PERSON_FIELDS = ("id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date")
HOUSEHOLD_YEAR_FIELDS = (
    "id", "created_at", "updated_at", "household", "year", "head_name", "head_id_number", "phone",
    "household_type", "support_category", "main_cause", "status", "identified_year", "exit_year",
    *HouseholdYear.INCOME_FIELDS, "food_clothing_secure", "housing_grade", "renovation_status", "water_safe",
    "has_electricity",
)
MEMBER_YEAR_FIELDS = (
    "id", "created_at", "updated_at", "household_year", "person", "year", "relation", "education_level",
    "school_status", "health", "disability_level", "disability_type", "labour_ability", "employment",
    "medical_insured", "critical_illness_insured", "pension_insured", "receives_dibao", "member_status",
    "change_date",
)


def slugs(table: tuple[str, ...], codes: np.ndarray) -> list[str]:
    return np.asarray(table, dtype=object)[codes].tolist()


def iso_dates(year: np.ndarray, doy: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings for (year, 0-based day of year), the form DateFields take in SQL."""
    days = (year.astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return np.datetime_as_string(days + doy.astype("timedelta64[D]"), unit="D")


class IdNumbers:
    """Unique, valid synthetic ID numbers: region code, birth date, a sequence whose last digit is odd
    for men and even for women, and the GB 11643 check character. Numbers already in the database are
    skipped, so generated people never collide with registered ones."""

    def __init__(self, region6: str, taken: set[str]) -> None:
        self.region6 = region6
        self.taken = taken
        self.used: dict[tuple[str, bool], int] = {}

    def assign(self, births: list[str], male: list[bool]) -> list[str]:
        out: list[str] = []
        for birth, is_male in zip(births, male, strict=True):
            key = (birth, is_male)
            day = dt.date.fromisoformat(birth)
            # Sequences start at a date-dependent point, so numbers do not all end in 001, 003 …
            offset = (day.toordinal() * 7919) % 499
            while True:
                count = self.used.get(key, 0)
                if count >= 499:
                    raise ValueError(f"出生日期 {birth} 的顺序码已用尽")
                self.used[key] = count + 1
                k = (offset + count) % 499
                number = make_id_number(self.region6, day, 2 * k + 1 if is_male else 2 * k + 2)
                if number not in self.taken:
                    break
            out.append(number)
        return out


@dataclass
class Chunk:
    start: int  # global index of the chunk's first household
    hhs: Households
    traits: Traits
    persons: Persons
    blocks: list[YearBlock]
    members: list[MemberFields]
    households: list[HouseholdFields]


@dataclass
class Writer:
    """Keeps the key counters and per-region constants across chunks."""

    county6: str
    household_no_start: int
    village_of_household: list[str]
    ids: IdNumbers
    next_household: int = field(default_factory=lambda: db.next_pk(Household))
    next_person: int = field(default_factory=lambda: db.next_pk(Person))
    next_household_year: int = field(default_factory=lambda: db.next_pk(HouseholdYear))
    next_member_year: int = field(default_factory=lambda: db.next_pk(MemberYear))
    now: Any = field(default_factory=lambda: connection.ops.adapt_datetimefield_value(timezone.now()))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("households", "persons", "household_years", "member_years"), 0))

    def write(self, chunk: Chunk) -> None:
        n = len(chunk.hhs.size)
        now = itertools.repeat(self.now)
        g = range(chunk.start, chunk.start + n)
        hh_pk = np.arange(self.next_household, self.next_household + n)
        db.insert(Household, HOUSEHOLD_FIELDS, zip(
            hh_pk.tolist(), now, now, [f"{self.county6}{self.household_no_start + i:08d}" for i in g],
            self.village_of_household[chunk.start:chunk.start + n], strict=False,
        ))
        self.next_household += n

        p = chunk.persons
        births = iso_dates(p.birth_year, p.birth_doy).tolist()
        male = p.male.tolist()
        id_numbers = np.asarray(self.ids.assign(births, male), dtype=object)
        person_names = np.asarray(SURNAMES, dtype=object)[p.surname] + p.given
        person_pk = np.arange(self.next_person, self.next_person + len(p))
        db.insert(Person, PERSON_FIELDS, zip(
            person_pk.tolist(), now, now, id_numbers.tolist(), person_names.tolist(),
            slugs(GENDER_SLUGS, p.male.astype(np.int8)), births, strict=False,
        ))
        self.next_person += len(p)

        for b, mf, hf in zip(chunk.blocks, chunk.members, chunk.households, strict=True):
            hy_pk = np.arange(self.next_household_year, self.next_household_year + len(b.hh))
            self.next_household_year += len(b.hh)
            pos = np.searchsorted(b.hh, p.hh[b.mem])
            first = np.searchsorted(pos, np.arange(len(b.hh)))  # members are listed head first
            heads = b.mem[first]
            head_count = np.bincount(pos, weights=b.rel == HEAD, minlength=len(b.hh))
            if not (np.all(b.rel[first] == HEAD) and np.all(head_count == 1)):
                raise AssertionError("每户必须有且只有一名户主")  # a bug in the simulation, never bad input
            db.insert(HouseholdYear, HOUSEHOLD_YEAR_FIELDS,
                      self._household_year_rows(chunk, b, hf, hy_pk, hh_pk, person_names, id_numbers, heads))
            my_pk = np.arange(self.next_member_year, self.next_member_year + len(b.mem))
            self.next_member_year += len(b.mem)
            db.insert(MemberYear, MEMBER_YEAR_FIELDS,
                      self._member_year_rows(b, mf, p, my_pk, hy_pk[pos], person_pk))
            self.counts["household_years"] += len(b.hh)
            self.counts["member_years"] += len(b.mem)
        self.counts["households"] += n
        self.counts["persons"] += len(p)

    def _household_year_rows(self, chunk: Chunk, b: YearBlock, hf: HouseholdFields, hy_pk: np.ndarray,
                             hh_pk: np.ndarray, person_names: np.ndarray, id_numbers: np.ndarray,
                             heads: np.ndarray) -> Iterator[tuple[Any, ...]]:
        now = itertools.repeat(self.now)
        t = chunk.traits
        income = hf.income.astype(object)
        rows_with_gap = np.nonzero(hf.missing_item >= 0)[0]
        income[hf.missing_item[rows_with_gap], rows_with_gap] = None
        return zip(
            hy_pk.tolist(), now, now, hh_pk[b.hh].tolist(), itertools.repeat(b.year),
            person_names[heads].tolist(), id_numbers[heads].tolist(), hf.phone.tolist(),
            slugs(HOUSEHOLD_TYPE_SLUGS, hf.htype), slugs(SUPPORT_SLUGS, hf.support_safety_net.astype(np.int8)),
            slugs(CAUSE_SLUGS, t.cause[b.hh]), slugs(STATUS_SLUGS, hf.status),
            t.identified_year[b.hh].tolist(), [y or None for y in hf.exit_year.tolist()],
            *(row.tolist() for row in income),
            hf.food_secure.tolist(), slugs(GRADE_SLUGS, hf.grade), slugs(RENOVATION_SLUGS, hf.renovation),
            hf.water_safe.tolist(), hf.electricity.tolist(), strict=False,
        )

    def _member_year_rows(self, b: YearBlock, mf: MemberFields, p: Persons, my_pk: np.ndarray,
                          hy_pk: np.ndarray, person_pk: np.ndarray) -> Iterator[tuple[Any, ...]]:
        now = itertools.repeat(self.now)
        m = b.mem
        disabled = b.health == DISABLED
        ended = b.status != 0
        change = np.full(len(m), None, dtype=object)
        change[ended] = iso_dates(np.full(int(ended.sum()), b.year), b.change_doy[ended])
        return zip(
            my_pk.tolist(), now, now, hy_pk.tolist(), person_pk[m].tolist(), itertools.repeat(b.year),
            slugs(RELATION_SLUGS, b.rel), slugs(EDUCATION_SLUGS, mf.education), slugs(SCHOOL_SLUGS, mf.school),
            slugs(HEALTH_SLUGS, b.health), slugs(DISABILITY_LEVEL_SLUGS, np.where(disabled, p.dis_level[m], 0)),
            slugs(DISABILITY_TYPE_SLUGS, np.where(disabled, p.dis_type[m], 0)), slugs(LABOUR_SLUGS, mf.labour),
            slugs(EMPLOYMENT_SLUGS, mf.employment), mf.medical.tolist(), mf.critical.tolist(),
            mf.pension.tolist(), mf.dibao.tolist(), slugs(MEMBER_STATUS_SLUGS, b.status), change.tolist(),
            strict=False,
        )
