"""Incremental comparison runs in the app (sunshine.comparison.runs.incremental): a new version of one dataset
gives a run that starts from the last stored run, recomputes only the rule reading that dataset, and stores
what a full run over the same loads stores; the command's --incremental; and when the last run cannot serve as
the base (the run is then full, and says why)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.datasets import storage
from sunshine.comparison.models import ComparisonRun, Finding, FindingOccurrence
from sunshine.comparison.runs import services
from sunshine.comparison.runs.incremental import describe, report, start_incremental_run
from sunshine.comparison.tests import test_runs as base

OUTSIDER, RULES, make_load = base.OUTSIDER, base.RULES, base.make_load
data_dir, world = base.data_dir, base.world  # the fixtures (data_dir is autouse there, so here too)


def _new_vehicles(world) -> None:
    """Version 2 of 车管机动车: the driver's car is kept, the clerk's motorcycle is now a small car."""
    driver, clerk = base.head(world["a"]), world["clerk"]
    make_load("vehicles", [
        {"id_number": driver.id_number, "name": driver.name, "plate": "苏C12345", "vehicle_type": "small_car",
         "registered_date": dt.date(2019, 4, 1)},
        {"id_number": clerk.id_number, "name": clerk.name, "plate": "苏C54321", "vehicle_type": "small_car"},
    ])


def _incremental(actor, **kwargs) -> tuple[ComparisonRun, str]:
    run, reason = start_incremental_run(actor=actor, year=2020, background=False, **({"rules": RULES} | kwargs))
    assert run.status == JobStatus.DONE, run.message
    return run, reason


def test_incremental_run_stores_what_a_full_run_stores(users, world):
    first = base.run_now(users["county"], rules=RULES)
    _new_vehicles(world)
    run, reason = _incremental(users["county"])
    assert run.base_run == first and reason == ""
    done = report(run)
    assert not done["full"] and done["changed"] == ["vehicles"] and done["changed_rows"] == {"vehicles": 1}
    assert done["rules"] == {"C-DEAD": "carried", "C-PAYROLL": "carried", "C-CAR": "by_key",
                             "C-DIBAO-MISSING": "carried"}
    assert "重新比对规则 C-CAR" in describe(run)
    # test_runs' loads are written plain, as before sealing: the run hashes them afresh and diffs them itself
    assert done["stored_diffs"] == [] and done["indexed"] == []

    full = base.run_now(users["county"], rules=RULES)
    assert full.base_run is None
    assert set(run.loads.all()) == set(full.loads.all())
    assert pq.read_table(services.findings_path(run)).equals(pq.read_table(services.findings_path(full)))
    assert services.findings_table(run).equals(services.findings_table(full))
    # stored like a full run: the carried findings recur, the clerk's car is new
    assert run.counts["total"] == 5 and run.counts["new"] == 1 and run.counts["recurring"] == 4
    assert full.counts["total"] == 5 and full.counts["new"] == 0 and full.counts["recurring"] == 5
    car = Finding.objects.get(rule="C-CAR", person=world["clerk"])
    assert car.first_run == run and car.last_run == full
    assert FindingOccurrence.objects.filter(run=run, recurring=True).count() == 4


def _store_vehicles(world, clerk_type: str, driver_plate: str = "苏C12345"):
    """A version of 车管机动车 stored as the loader stores it (sealed), with its sidecars."""
    driver, clerk = base.head(world["a"]), world["clerk"]
    rows = [{"source_row": 2, "id_number": driver.id_number, "name": driver.name, "plate": driver_plate,
             "vehicle_type": "small_car", "registered_date": dt.date(2019, 4, 1)},
            {"source_row": 3, "id_number": clerk.id_number, "name": clerk.name, "plate": "苏C54321",
             "vehicle_type": clerk_type}]
    return storage.store_table("vehicles", pa.Table.from_pylist(rows), actor=None)


def test_sealed_loads_bring_the_diff_stored_at_load_and_their_rows_by_key(users, world):
    _store_vehicles(world, "motorcycle")
    first = base.run_now(users["county"], rules=RULES)
    _store_vehicles(world, "small_car")
    _store_vehicles(world, "small_car", driver_plate="苏C99999")  # two versions on: the diffs chain
    run, _ = _incremental(users["county"])
    done = report(run)
    assert run.base_run == first and not done["full"]
    assert done["stored_diffs"] == ["vehicles"] and done["indexed"] == ["vehicles"]
    assert done["changed_rows"] == {"vehicles": 2} and done["rules"]["C-CAR"] == "by_key"
    # the registry's rows file: written beside the base's people by this first run, linked for the next one
    assert done["people_rows"]
    for one in (first, run):
        assert (services.findings_path(one).parent / "people.rows.arrow").is_file()
    full = base.run_now(users["county"], rules=RULES)
    assert services.findings_table(run).equals(services.findings_table(full))
    assert Finding.objects.filter(rule="C-CAR", person=world["clerk"]).exists()



def test_a_stored_diff_that_does_not_chain_is_not_used(users, world):
    from sunshine.engine.comparison.versions import Sidecars

    _store_vehicles(world, "motorcycle")
    first = base.run_now(users["county"], rules=RULES)
    last = _store_vehicles(world, "small_car")
    Sidecars.of(storage.load_path(last)).diff.unlink()
    run, _ = _incremental(users["county"])
    done = report(run)
    assert run.base_run == first and done["stored_diffs"] == [] and done["indexed"] == ["vehicles"]
    full = base.run_now(users["county"], rules=RULES)
    assert services.findings_table(run).equals(services.findings_table(full))


def test_without_stored_sidecars_the_run_diffs_the_versions_itself(users, world, settings):
    first = base.run_now(users["county"], rules=RULES)
    settings.SUNSHINE_DATASET_SIDECARS = False
    _new_vehicles(world)
    run, _ = _incremental(users["county"])
    done = report(run)
    assert run.base_run == first and not done["full"] and done["changed_rows"] == {"vehicles": 1}
    assert done["stored_diffs"] == [] and done["indexed"] == []
    full = base.run_now(users["county"], rules=RULES)
    assert services.findings_table(run).equals(services.findings_table(full))


def test_the_command_runs_incrementally_and_says_what_it_did(users, world, capsys):
    base.run_now(users["county"], rules=RULES)
    _new_vehicles(world)
    call_command("compare", "--year", "2020", "--no-progress", "--rules", ",".join(RULES), "--user", "county",
                 "--incremental")
    out = capsys.readouterr().out
    run = ComparisonRun.objects.order_by("-pk").first()
    assert run.base_run is not None and "增量比对(基准批次" in out and "vehicles 1 行" in out
    with pytest.raises(CommandError, match="--no-store"):
        call_command("compare", "--year", "2020", "--no-progress", "--incremental", "--no-store")


def test_without_a_fitting_base_the_run_is_full_and_says_why(users, world):
    run, reason = _incremental(users["county"])
    assert run.base_run is None and "没有已完成的比对批次" in reason

    _new_vehicles(world)
    make_load("public_payroll", [{"id_number": OUTSIDER, "name": "档外人", "employer": "某县财政局"}])
    two, reason = _incremental(users["county"])
    assert two.base_run is None and "多个部门数据" in reason

    other, reason = _incremental(users["county"], rules=RULES[:2])  # the same loads, other rules
    assert other.base_run is None and "比对规则不同" in reason


def test_a_base_whose_files_are_gone_gives_a_full_evaluation(users, world):
    first = base.run_now(users["county"], rules=RULES)
    _new_vehicles(world)
    services.findings_path(first).unlink()
    run, reason = _incremental(users["county"])
    assert run.base_run is None and "不存在" in reason

    again = base.run_now(users["county"], rules=RULES)
    make_load("deaths", [{"id_number": OUTSIDER, "name": "档外人", "death_date": dt.date(2020, 3, 1)}])
    (services.findings_path(again).parent / "people.parquet").write_bytes(b"changed")
    late, _ = _incremental(users["county"])  # the base was picked, then its snapshot no longer checks out
    assert late.base_run == again and report(late)["full"] and "全量比对" in describe(late)
    expected = base.run_now(users["county"], rules=RULES)
    assert services.findings_table(late).equals(services.findings_table(expected))
