"""Comparison test data: registry people and department rows as plain dicts, Arrow tables to the engine.

A ``Scenario`` collects people (one household each unless told otherwise), dataset rows and links, and gives
the tables a backend registers: people and rows are written with plain IDs and passed through the engine's
prepare step (people get id_hash under TEST_KEY and the ID facts, the plain number left out; rows get their
id_hash), or, for ``hashed=True``, every dataset ID is replaced by the HMAC-SHA256 hex of the ID under TEST_KEY
as a department that sends hashes would. ``run`` puts the plain IDs back into the findings (resolve_ids). By
default every active person is covered where the registry is checked for an absence (an insured 医保参保 row
of the year; an insured 养老参保 row; an 在读 学籍 row for a school-age child), so that each case flags only what
it is built to flag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from sunshine.core.ids import make_id_number
from sunshine.engine.comparison.datasets import DATASETS, arrow_schema
from sunshine.engine.comparison.prepare import PLAIN_PEOPLE, dataset_table, people_table, resolve_ids
from sunshine.engine.comparison.run import run_comparison
from sunshine.engine.comparison.snapshot import LINKS
from sunshine.policy.parameters import StandardParameters

YEAR = 2020
VILLAGE = "320321101001"
OTHER_VILLAGE = "320321102001"
TEST_KEY = b"sunshine-test-key"
PARAMS = StandardParameters().to_dict()


def id_hash(number: str | None) -> str | None:
    if number is None:
        return None
    return hmac.new(TEST_KEY, number.encode(), hashlib.sha256).hexdigest()


def aged(age: int, *, on: dt.date = dt.date(YEAR, 9, 1)) -> dt.date:
    """A birth date giving exactly ``age`` completed years on the cut-off day (born that very day)."""
    return on.replace(year=on.year - age)


def money(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


class Scenario:
    def __init__(self) -> None:
        self.people: list[dict[str, Any]] = []
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.links: list[dict[str, Any]] = []
        self._sequence = 0
        self._households = 0

    def new_id(self, birth: dt.date, gender: str = "male", region: str = "320321") -> str:
        self._sequence += 1
        sequence = self._sequence * 2 + (1 if gender == "male" else 0)
        return make_id_number(region, birth, sequence)

    def household(self) -> tuple[int, str]:
        self._households += 1
        return self._households, f"H{self._households:04d}"

    def person(self, name: str, *, birth: dt.date = dt.date(1970, 5, 17), gender: str = "male",
               household: tuple[int, str] | None = None, covered: bool = True, **override: Any) -> dict[str, Any]:
        """An active member, head of a household of their own unless ``household`` is given; ``covered``
        adds the rows that keep C-NOMED, C-NOPENSION and C-DROPOUT quiet."""
        key, no = household or self.household()
        row: dict[str, Any] = {
            "member_key": len(self.people) + 1, "person_key": len(self.people) + 1, "household_key": key,
            "household_no": no, "year": YEAR, "village_code": VILLAGE, "household_status": "in_poverty",
            "housing_grade": "B", "renovation_status": "not_needed", "name": name,
            "id_number": override.pop("id_number") if "id_number" in override else self.new_id(
                birth or dt.date(1970, 1, 1), gender),
            "id_hash": None, "gender": gender, "birth_date": birth,
            "relation": "head" if household is None else "child", "education_level": "junior",
            "school_status": "not_in_school", "health": "healthy", "disability_level": None,
            "receives_dibao": False, "member_status": "active", "change_date": None,
        } | override
        self.people.append(row)
        if covered:
            self.cover(row)
        return row

    def cover(self, person: Mapping[str, Any]) -> None:
        who = {"id_number": person["id_number"], "name": person["name"]}
        self.add("medical_insurance", **who, year=YEAR, insured_status="insured", scheme="resident")
        self.add("pension_insurance", **who, insured_status="insured")
        birth = person["birth_date"]
        if birth is not None and aged(16) < birth <= aged(6):
            self.add("students", **who, enrolment_status="enrolled", stage="primary")

    def add(self, dataset: str, **fields: Any) -> dict[str, Any]:
        """A row of ``dataset``; source_row numbers follow the spreadsheet (first data row = 2)."""
        row = {"source_row": len(self.rows[dataset]) + 2} | fields
        self.rows[dataset].append(row)
        return row

    def link(self, dataset: str, row: Mapping[str, Any], person: Mapping[str, Any], probability: float) -> None:
        self.links.append({"dataset": dataset, "source_row": row["source_row"], "member_key": person["member_key"],
                           "probability": probability})

    def plain_people(self) -> pa.Table:
        return pa.Table.from_pylist(self.people, schema=PLAIN_PEOPLE)

    def tables(self, *, hashed: bool = False) -> dict[str, pa.Table]:
        tables = {"people": people_table(self.plain_people(), TEST_KEY),
                  "links": pa.Table.from_pylist(self.links, schema=LINKS)}
        for name in DATASETS:
            rows = self.rows.get(name, [])
            if hashed:
                rows = [_hashed(r) for r in rows]
            tables[f"ds_{name}"] = dataset_table(name, pa.Table.from_pylist(rows, schema=arrow_schema(name)), TEST_KEY)
        return tables

    def resolve(self, findings: pa.Table, *, hashed: bool = False) -> pa.Table:
        """Plain IDs back into the findings: members' from the people, heads outside the registry from the
        rows of an exact load (a hashed load's stay hashes)."""
        members = {p["member_key"]: p["id_number"] for p in self.people}
        heads = {} if hashed else {id_hash(r["head_id_number"]): r["head_id_number"]
                                   for r in self.rows.get("dibao", []) if r.get("head_id_number")}
        return resolve_ids(findings, members, heads)

    def key_kinds(self, *, hashed: bool = False) -> dict[str, str]:
        return dict.fromkeys(DATASETS, "hashed" if hashed else "exact")


def _hashed(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["id_hash"], out["id_number"] = id_hash(row.get("id_number")), None
    if "head_id_number" in row:
        out["head_id_hash"], out["head_id_number"] = id_hash(row["head_id_number"]), None
    return out


def run(backend: Any, scenario: Scenario, *, hashed: bool = False, rules: Sequence[str] | None = None,
        division_prefix: str | None = None, params: Mapping[str, Any] = PARAMS,
        on_rule: Callable[[str, int, float], None] | None = None) -> pa.Table:
    backend.register_all(scenario.tables(hashed=hashed))
    findings = run_comparison(backend, year=YEAR, params=params, key_kinds=scenario.key_kinds(hashed=hashed),
                              rules=rules, division_prefix=division_prefix, on_rule=on_rule)
    return scenario.resolve(findings, hashed=hashed)


def by_rule(findings: pa.Table) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in findings.to_pylist():
        grouped[row["rule"]].append(row)
    return grouped


def names(findings: Sequence[Mapping[str, Any]]) -> set[str]:
    return {f["name"] for f in findings}
