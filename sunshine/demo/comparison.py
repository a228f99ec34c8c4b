"""Department data and a first comparison run for the demo region, so the comparison pages have something to
show: the 13 datasets are derived from the registry (sunshine.demo.departments), stored as loads like any
department file, and compared once as the demo administrator."""

from __future__ import annotations

import datetime as dt

from sunshine.comparison.datasets import store_table
from sunshine.comparison.models import ComparisonRun
from sunshine.comparison.runs.services import start_run
from sunshine.comparison.runs.snapshot import plain_people
from sunshine.core.models import User
from sunshine.demo.departments import department_tables
from sunshine.demo.reset import DEMO_NOTE


def load_demo_comparison(*, year: int, county_code: str, actor: User, seed: int = 1) -> ComparisonRun:
    people = plain_people(year, county_code)
    for name, table in department_tables(people, year=year, seed=seed).items():
        store_table(name, table, actor=actor, as_of=dt.date(year, 12, 31), file_name=f"演示_{name}.parquet",
                    note=DEMO_NOTE)
    return start_run(actor=actor, year=year, division_code=f"{county_code}000000", background=False)
