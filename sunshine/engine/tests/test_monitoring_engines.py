"""§5 monitoring gives the same rows on each engine (DuckDB and Spark; deselect Spark with -k "not spark"), on
hashed inputs with every warning code, subject and ID-derived column (order, region) and overdue loans in play."""

from __future__ import annotations

import datetime as dt

import pytest

from sunshine.core.ids import make_id_number
from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.monitoring import run_monitoring
from sunshine.engine.tests.builders import aged, income, member, params
from sunshine.engine.tests.monitoring_builders import (
    LAST,
    VILLAGE,
    day,
    loan,
    monitored,
    pair,
    person,
    signal,
    snapshot,
)

IDS = [make_id_number("320321", dt.date(1950 + k, 2, 3), 21) for k in range(12)]
DIBAO = "民政低保特困数据显示户主在2020年12月31日享受低保,该户主不是建档立卡在册成员"


def scenario():
    hs = (pair("H1", status="exited", last=income("20000"), **income("5000"))
          + pair("H2") + pair("H3", housing_grade="D", renovation_status="pending") + pair("H4"))
    ms = (person("H1", id_number=IDS[0], name="甲")
          + person("H2", id_number=IDS[1], name="乙") + person("H2", id_number=IDS[2], name="丙")
          + person("H2", id_number=IDS[3], name="丁", member_status="deceased", change_date=day(6, 1),
                   labour_ability="ordinary")
          + person("H3", id_number=IDS[4], name="戊", last={"health": "healthy"}, health="serious_illness")
          + [member("H3", "己", id_number=IDS[5], year=LAST, birth=aged(12), school_status="primary",
                    education_level="primary"),
             member("H3", "己", id_number=IDS[5], birth=aged(12), school_status="dropped_out",
                    education_level="primary")]
          + person("H4", id_number=IDS[6], name="庚", last={"health": "disabled", "disability_level": "level3"},
                   health="disabled", disability_level="level1"))
    signals = [signal("C-MEDCOST", "H2", id_number=IDS[2], explanation="丙就诊"),
               signal("C-MEDCOST", "H2", id_number=IDS[1], explanation="乙就诊"),
               signal("C-DISASTER", "H1", id_number=IDS[0], explanation="甲受灾"),
               signal("C-DIBAO-MISSING", None, id_number=IDS[9], name="辛", explanation=DIBAO),
               signal("C-DIBAO-MISSING", None, id_number=IDS[8], name="壬", explanation=DIBAO, village_code=VILLAGE),
               signal("C-DIBAO-MISSING", None, id_number=IDS[10], name="癸", explanation=DIBAO),
               signal("C-DIBAO-MISSING", None, name="无号", explanation=DIBAO, village_code=VILLAGE)]
    watched = [monitored(1, per_capita="8000"), monitored(2, per_capita="9500", head_id=IDS[10]),
               monitored(3, per_capita=None, head_id=IDS[11])]
    loans = [loan("H4", "XD2", days=120, outstanding="30000.05"), loan("H4", "XD1", days=91),
             loan("H2", "XD3", days=12)]
    return snapshot(hs, ms, signals, watched, loans)


@pytest.fixture(scope="module")
def expected():
    with DuckDBBackend(threads=1) as duck:
        duck.register_all(scenario())
        return run_monitoring(duck, year=2020, params=params())


def test_every_engine_gives_the_same_rows(backend, expected):
    backend.register_all(scenario())
    rows = run_monitoring(backend, year=2020, params=params())
    assert rows.to_pylist() == expected.to_pylist()
    subjects = [r["subject"] for r in rows.to_pylist()]
    assert subjects == ["registered"] * 4 + ["monitored"] * 2 + ["outside"] * 3
    assert {c for r in rows.to_pylist() for c in r["codes"]} == {"M-UNSTABLE", "M-EDGE", "M-SUDDEN", "M-SLIP"}
    assert [r["signals_text"].split("|")[-1] for r in rows.to_pylist() if r["household_no"] == "H4"] == [
        "loan_overdue:XD1,XD2"]
