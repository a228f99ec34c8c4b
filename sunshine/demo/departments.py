"""Synthetic department datasets for the demo region, built from its registry so that comparison has
something to find.

Most registry members appear where they should (insured, enrolled, on the 低保 roll when the registry says so);
a small share of each rule's anomalies is planted (a death still 在册, a car, a missing insurance row …), and
every dataset also holds people outside the registry, as real department files do. About 1% of rows lose their
ID number (left to probabilistic matching). Tables have the stored schema of
sunshine.engine.comparison.datasets.arrow_schema; everything is drawn from one seeded generator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from sunshine.core.ids import make_id_number
from sunshine.demo.names import SURNAMES, given_names, surnames
from sunshine.engine.comparison.datasets import DATASETS, arrow_schema

Row = dict[str, Any]
SHARE_PLANTED = 0.01      # of the members a rule can apply to
SHARE_NO_ID = 0.01        # of rows whose ID number is left out
OUTSIDER_SHARE = 0.02     # people outside the registry in each dataset, per registered household
DIBAO_OUTSIDER_SHARE = 0.004  # 低保 heads outside the registry (C-DIBAO-MISSING, M-EDGE), per household


def _age(birth: dt.date | None, on: dt.date) -> int:
    if birth is None:
        return -1
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class _Builder:
    def __init__(self, people: pa.Table, year: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.year = year
        self.check = dt.date(year, 12, 31)
        rows = people.to_pylist()
        self.active = [r for r in rows if r["member_status"] == "active" and r["household_status"] != "closed"]
        self.county = (self.active[0]["village_code"][:6] if self.active else "320321")
        self.tables: dict[str, list[Row]] = {name: [] for name in DATASETS}

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def day(self) -> dt.date:
        return dt.date(self.year, 1, 1) + dt.timedelta(days=int(self.rng.integers(0, 365)))

    def add(self, dataset: str, person: Row, **own: Any) -> None:
        self.tables[dataset].append({
            "id_number": person["id_number"], "name": person["name"], "birth_date": person["birth_date"],
            "gender": person["gender"], "division_code": person.get("village_code"), **own,
        })

    def outsiders(self, n: int) -> list[Row]:
        male = self.rng.random(n) < 0.5
        names = [SURNAMES[s] + g for s, g in zip(surnames(self.rng, n), given_names(self.rng, male), strict=True)]
        people = []
        for i in range(n):
            birth = dt.date(1940, 1, 1) + dt.timedelta(days=int(self.rng.integers(0, 365 * 75)))
            sequence = int(self.rng.integers(500, 999)) // 2 * 2 + (1 if male[i] else 0)
            people.append({
                "id_number": make_id_number(self.county, birth, sequence), "name": names[i], "birth_date": birth,
                "gender": "male" if male[i] else "female", "village_code": None,
            })
        return people

    def build(self) -> dict[str, pa.Table]:
        on_sept = dt.date(self.year, 9, 1)
        heads = {r["household_key"]: r for r in self.active if r["relation"] == "head"}
        for person in self.active:
            age = _age(person["birth_date"], on_sept)
            self._insurance(person, age)
            self._school(person, age)
            self._welfare(person, heads)
            self._assets(person)
        for head in heads.values():
            renovating = head["housing_grade"] in ("C", "D") and head["renovation_status"] in ("done", "in_progress")
            if renovating and not self.chance(0.2):  # a fifth of them missing from the 住建 roll: C-HOUSING
                self.add("housing_renovation", head, year=self.year, status=head["renovation_status"])
        self._outside_the_registry(len(heads))
        return {name: self._table(name, rows) for name, rows in self.tables.items()}

    def _insurance(self, person: Row, age: int) -> None:
        if not self.chance(SHARE_PLANTED):
            self.add("medical_insurance", person, scheme="resident", year=self.year, insured_status="insured")
        if age >= 16 and person["school_status"] == "not_in_school" and not self.chance(SHARE_PLANTED * 3):
            self.add("pension_insurance", person, scheme="resident", insured_status="insured")
        if self.chance(0.05):
            paid = Decimal(int(self.rng.integers(100, 6000)))
            if self.chance(0.04):  # a large bill (C-MEDCOST) for about one household in two hundred
                paid += Decimal(8000)
            self.add("medical_claims", person, visit_date=self.day(), total_cost=paid * 3, self_paid=paid)

    def _school(self, person: Row, age: int) -> None:
        status = person["school_status"]
        if status in ("primary", "junior", "senior", "home_taught") and 6 <= age <= 18:
            stage = {"primary": "primary", "junior": "junior", "senior": "senior"}.get(status)
            enrolment = "home_taught" if status == "home_taught" else "enrolled"
            if self.chance(SHARE_PLANTED):
                enrolment = "dropped_out"
            self.add("students", person, school=None, stage=stage, enrolment_status=enrolment,
                     term=f"{self.year}-{self.year + 1}-1")

    def _welfare(self, person: Row, heads: dict[int, Row]) -> None:
        head = heads.get(person["household_key"], person)
        on_roll = person["receives_dibao"] is True
        if self.chance(SHARE_PLANTED):
            on_roll = not on_roll if person["receives_dibao"] is not None else on_roll
        if on_roll:
            self.add("dibao", person, aid_type="dibao", head_id_number=head["id_number"],
                     monthly_amount=Decimal(500), start_date=dt.date(self.year - 2, 3, 1), end_date=None)
        if person["health"] == "disabled" and person["disability_level"]:
            care = person["disability_level"] not in ("level1", "level2") or not self.chance(0.1)
            self.add("disability", person, disability_type=None, disability_level=person["disability_level"],
                     living_subsidy=True, care_subsidy=care if person["disability_level"] in ("level1", "level2")
                     else None)
        if self.chance(SHARE_PLANTED / 2):
            self.add("deaths", person, death_date=self.day())
        if self.chance(SHARE_PLANTED / 4):
            self.add("public_payroll", person, employer="县某事业单位")
        if self.chance(0.0015):
            self.add("disasters", person, disaster_type="洪涝", date=self.day(), loss=Decimal(3000))

    def _assets(self, person: Row) -> None:
        if self.chance(SHARE_PLANTED / 2):
            kind = "small_car" if self.chance(0.7) else "farm_vehicle"
            self.add("vehicles", person, plate=None, vehicle_type=kind, registered_date=self.day())
        if self.chance(SHARE_PLANTED / 3):
            capital = Decimal(200000) if self.chance(0.6) else Decimal(50000)
            self.add("businesses", person, company="某某商贸有限公司", role="legal_representative",
                     registered_capital=capital)
        if self.chance(SHARE_PLANTED / 3):
            kind = "commercial" if self.chance(0.6) else "self_built"
            self.add("real_estate", person, location="县城某小区", property_kind=kind, area_m2=90.0)

    def _outside_the_registry(self, households: int) -> None:
        per_dataset = max(5, round(households * OUTSIDER_SHARE))
        pool = self.outsiders(per_dataset * 2)
        own: dict[str, Callable[[], dict[str, Any]]] = {
            "deaths": lambda: {"death_date": self.day()},
            "students": lambda: {"stage": "junior", "enrolment_status": "enrolled", "term": None, "school": None},
            "medical_insurance": lambda: {"scheme": "employee", "year": self.year, "insured_status": "insured"},
            "medical_claims": lambda: {"visit_date": self.day(), "total_cost": Decimal(900), "self_paid": Decimal(300)},
            "pension_insurance": lambda: {"scheme": "employee", "insured_status": "insured"},
            "dibao": lambda: {"aid_type": "dibao", "monthly_amount": Decimal(600),
                              "start_date": dt.date(self.year - 1, 5, 1), "end_date": None},
            "disability": lambda: {"disability_level": "level3", "living_subsidy": True, "care_subsidy": None},
            "housing_renovation": lambda: {"year": self.year - 1, "status": "done"},
            "businesses": lambda: {"company": "某某科技有限公司", "role": "shareholder",
                                   "registered_capital": Decimal(1000000)},
            "vehicles": lambda: {"vehicle_type": "small_car", "registered_date": self.day(), "plate": None},
            "real_estate": lambda: {"property_kind": "commercial", "area_m2": 120.0, "location": None},
            "public_payroll": lambda: {"employer": "某某局"},
            "disasters": lambda: {"disaster_type": "风雹", "date": self.day(), "loss": Decimal(2000)},
        }
        for name, values in own.items():
            n = max(2, round(households * DIBAO_OUTSIDER_SHARE)) if name == "dibao" else per_dataset
            for k in self.rng.choice(len(pool), n, replace=False):
                person = pool[int(k)]
                extra = values()
                if name == "dibao":
                    extra["head_id_number"] = person["id_number"]
                self.add(name, person, **extra)

    def _table(self, name: str, rows: list[Row]) -> pa.Table:
        schema = arrow_schema(name)
        for number, row in enumerate(rows, start=2):
            row["source_row"] = number
            row.setdefault("id_hash", None)
            row["id_raw"] = None
            if self.chance(SHARE_NO_ID):
                row["id_number"] = None
        columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
        return pa.table(columns, schema=schema)


def department_tables(people: pa.Table, *, year: int, seed: int = 1) -> dict[str, pa.Table]:
    """One table per dataset (stored schema), derived from ``people`` (PEOPLE schema) of ``year``."""
    return _Builder(people, year, seed).build()
