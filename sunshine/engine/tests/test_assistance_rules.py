"""Every R-* rule of services.md §5 on DuckDB and on Spark, at the boundaries issue 16 draws. One scenario,
run once per backend. T = 2020-12-31, so T − 90 days = 2020-10-02 and T − 91 days = 2020-10-01."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pyarrow as pa
import pytest

from sunshine.engine.assistance.catalogue import RULES
from sunshine.engine.assistance.rules import rule_sql
from sunshine.engine.assistance.run import prepare, run_assistance
from sunshine.engine.assistance.tables import TABLES

D = dt.date
YEAR = 2020
T = D(2020, 12, 31)
SINCE = D(2019, 1, 1)
VILLAGE = "320321101001"
WEAK_NO_TEAM, WEAK_TEAM, WEAK_MEMBERS_ONLY, WEAK_ENDED, NOT_WEAK = (
    "320321101002", "320321101003", "320321101004", "320321101005", "320321101006")


def scenario() -> dict[str, pa.Table]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def household(no: str, status: str = "in_poverty", exit_year: int | None = None) -> None:
        rows["households"].append({"household_no": no, "division_code": VILLAGE, "status": status,
                                   "exit_year": exit_year})

    def pair(cadre: str, no: str, start: dt.date = SINCE, end: dt.date | None = None) -> None:
        rows["pairings"].append({"cadre_no": cadre, "household_no": no, "start_date": start, "end_date": end})

    def visit(no: str, day: dt.date) -> None:
        rows["visits"].append({"cadre_no": "GB1", "household_no": no, "date": day})

    rows["cadres"] += [{"cadre_no": "GB10", "name": "十户", "division_code": "320321000000"},
                       {"cadre_no": "GB11", "name": "十一户", "division_code": "320321000000"},
                       {"cadre_no": "GB1", "name": "甲", "division_code": VILLAGE}]
    # R-NOCADRE / R-NOVISIT
    household("H-OPEN")                                  # open pairing, visited exactly T − 90: nothing
    pair("GB1", "H-OPEN")
    visit("H-OPEN", D(2020, 10, 2))
    household("H-ENDED", "returned")                     # pairing ended T − 1: no cadre; visited T − 91: late
    pair("GB1", "H-ENDED", end=D(2020, 12, 30))
    visit("H-ENDED", D(2020, 10, 1))
    household("H-ENDS-T")                                # pairing ends on T: covered; visit after T ignored
    pair("GB1", "H-ENDS-T", end=T)
    visit("H-ENDS-T", D(2020, 9, 1))
    visit("H-ENDS-T", D(2021, 1, 5))
    household("H-FUTURE")                                # pairing starts after T: no cadre; never visited
    pair("GB1", "H-FUTURE", start=D(2021, 1, 1))
    household("H-EXIT-2018", "exited", 2018)             # exited Y − 2: still judged
    household("H-EXIT-2017", "exited", 2017)             # exited Y − 3: not judged
    household("H-CLOSED", "closed")                      # closed: not judged
    # R-OVERLOAD: GB10 has exactly 10 households at T (one more ended before T), GB11 has 11
    for i in range(10):
        pair("GB10", f"L10-{i}")
    pair("GB10", "L10-X", end=D(2020, 12, 30))
    for i in range(11):
        pair("GB11", f"L11-{i}")
    # R-NOTEAM
    rows["villages"] += [{"division_code": c, "weak_village": c != NOT_WEAK}
                         for c in (WEAK_NO_TEAM, WEAK_TEAM, WEAK_MEMBERS_ONLY, WEAK_ENDED, NOT_WEAK)]
    rows["work_teams"] += [
        {"division_code": WEAK_TEAM, "cadre_no": "GB1", "role": "first_secretary", "start_date": D(2019, 1, 1),
         "end_date": None},
        {"division_code": WEAK_MEMBERS_ONLY, "cadre_no": "GB1", "role": "member", "start_date": D(2019, 1, 1),
         "end_date": None},
        {"division_code": WEAK_ENDED, "cadre_no": "GB1", "role": "first_secretary", "start_date": D(2019, 1, 1),
         "end_date": D(2020, 12, 30)},
    ]
    # R-NOMEASURE: the latest official run counts; a what-if run does not
    rows["households"] += [{"household_no": no, "division_code": VILLAGE, "status": "closed", "exit_year": None}
                           for no in ("A-FAILS", "A-NOW-MEETS", "A-MEASURED", "A-WHATIF", "A-OLD-MEASURE")]
    rows["assessments"] += [
        {"household_no": "A-FAILS", "run_id": 1, "official": True, "result": "meets"},
        {"household_no": "A-FAILS", "run_id": 2, "official": True, "result": "fails"},
        {"household_no": "A-NOW-MEETS", "run_id": 1, "official": True, "result": "fails"},
        {"household_no": "A-NOW-MEETS", "run_id": 2, "official": True, "result": "meets"},
        {"household_no": "A-MEASURED", "run_id": 2, "official": True, "result": "fails"},
        {"household_no": "A-WHATIF", "run_id": 2, "official": True, "result": "meets"},
        {"household_no": "A-WHATIF", "run_id": 3, "official": False, "result": "fails"},
        {"household_no": "A-OLD-MEASURE", "run_id": 2, "official": True, "result": "fails"},
    ]
    rows["measures"] += [{"household_no": "A-MEASURED", "year": YEAR, "date": D(2020, 5, 1)},
                         {"household_no": "A-OLD-MEASURE", "year": YEAR - 1, "date": D(2019, 5, 1)}]
    return {name: pa.Table.from_pylist(rows.get(name, []), schema=schema) for name, schema in TABLES.items()}


@pytest.fixture(scope="module")
def findings(backend) -> dict[str, set[str]]:
    backend.register_all(prepare(scenario()))
    table = run_assistance(backend, year=YEAR, check_date=T)
    out: dict[str, set[str]] = {code: set() for code in RULES}
    for row in table.to_pylist():
        out[row["rule"]].add(row["key"])
    out["_rows"] = table.to_pylist()  # type: ignore[assignment]
    return out


def test_no_cadre(findings):
    # the pairing that ended the day before T does not cover T; one ending on T does
    assert findings["R-NOCADRE"] == {"H-ENDED", "H-FUTURE", "H-EXIT-2018"}


def test_no_visit(findings):
    # visited exactly 90 days before T: on time; 91 days: late; a visit after T does not count
    assert findings["R-NOVISIT"] == {"H-ENDED", "H-ENDS-T", "H-FUTURE", "H-EXIT-2018"}


def test_overload(findings):
    assert findings["R-OVERLOAD"] == {"GB11"}


def test_no_team_only_for_weak_villages(findings):
    assert findings["R-NOTEAM"] == {WEAK_NO_TEAM, WEAK_MEMBERS_ONLY, WEAK_ENDED}


def test_no_measure_reads_the_latest_official_assessment(findings):
    assert findings["R-NOMEASURE"] == {"A-FAILS", "A-OLD-MEASURE"}


def test_rows_name_their_subject_and_owner(findings):
    rows = findings["_rows"]
    overload = next(r for r in rows if r["rule"] == "R-OVERLOAD")
    assert overload["subject"] == "cadre" and overload["cadre_no"] == "GB11"
    assert overload["division_code"] == "320321000000" and "11 户" in overload["explanation"]
    late = next(r for r in rows if r["rule"] == "R-NOVISIT" and r["key"] == "H-ENDED")
    assert late["subject"] == "household" and "2020-10-01" in late["explanation"]
    assert {r["subject"] for r in rows if r["rule"] == "R-NOTEAM"} == {"village"}


def test_parameters_move_the_boundaries():
    sql = rule_sql("R-NOVISIT", year=YEAR, check_date=T, params={"assistance_visit_days": 30})
    assert "DATE '2020-12-01'" in sql
    assert "> 11" in rule_sql("R-OVERLOAD", year=YEAR, check_date=T, params={"assistance_max_households": 11})
