"""Comparison runs end to end on the real registry: frozen snapshot, engine, findings with owner division,
deadline and evidence, recurrence across runs, identical re-runs, permissions and the background job."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone

from sunshine.comparison.choices import FindingStatus, JobStatus
from sunshine.comparison.models import ComparisonRun, DatasetLoad, Finding, FindingEvent, FindingOccurrence
from sunshine.comparison.runs import services, snapshot
from sunshine.comparison.runs.store import fingerprint
from sunshine.core.choices import Role
from sunshine.engine.comparison.datasets import arrow_schema
from sunshine.engine.comparison.idhash import id_hash
from sunshine.registry import choices as c
from sunshine.registry import services as registry
from sunshine.registry.models import Person
from sunshine.testing import factories as f

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
OUTSIDER = "320321196502020014"  # valid, not in the registry; county 320321 (丰县) is the region's


def make_load(dataset: str, rows: list[dict[str, Any]], *, hashed: bool = False) -> DatasetLoad:
    """A stored load as the loader writes it: Parquet with the dataset's schema under DATA_DIR."""
    schema = arrow_schema(dataset)
    version = (DatasetLoad.objects.filter(dataset=dataset).aggregate(v=Max("version"))["v"] or 0) + 1
    full = [{**dict.fromkeys(schema.names), "source_row": i + 2, **row} for i, row in enumerate(rows)]
    relative = f"datasets/{dataset}/v{version}.parquet"
    path = settings.DATA_DIR / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(full, schema=schema), path)
    return DatasetLoad.objects.create(dataset=dataset, version=version, hashed=hashed, file_name=f"{dataset}.xlsx",
                                      file_sha256="0" * 64, path=relative, rows=len(rows))


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    return settings.DATA_DIR


def head(hy) -> Any:
    return hy.members.get(relation=c.Relation.HEAD).person


def child(hy) -> Any:
    return hy.members.exclude(relation=c.Relation.HEAD).order_by("pk").first().person


def run_now(actor, **kwargs) -> ComparisonRun:
    run = services.start_run(actor=actor, year=2020, background=False, **kwargs)
    assert run.status == JobStatus.DONE, run.message
    return run


@pytest.fixture
def world(users, household_a, household_b):
    """Household A's head died in May 2020 and owns a car; B's child is on the payroll; an outsider's 低保."""
    dead, driver, clerk = head(household_a), head(household_a), child(household_b)
    loads = {
        "deaths": make_load("deaths", [
            {"id_number": dead.id_number, "name": dead.name, "death_date": dt.date(2020, 5, 1)},
            {"id_number": OUTSIDER, "name": "档外人", "death_date": dt.date(2020, 3, 1)},
            {"id_number": clerk.id_number, "name": clerk.name, "death_date": dt.date(2021, 2, 1)},  # after 12-31
        ]),
        "vehicles": make_load("vehicles", [
            {"id_number": driver.id_number, "name": driver.name, "plate": "苏C12345", "vehicle_type": "small_car",
             "registered_date": dt.date(2019, 4, 1)},
            {"id_number": clerk.id_number, "name": clerk.name, "plate": "苏C54321", "vehicle_type": "motorcycle"},
        ]),
        "public_payroll": make_load("public_payroll", [
            {"id_number": clerk.id_number, "name": clerk.name, "employer": "某县财政局"},
        ]),
        "dibao": make_load("dibao", [
            {"id_number": OUTSIDER, "name": "档外人", "aid_type": "dibao", "head_id_number": OUTSIDER,
             "monthly_amount": Decimal("560.00"), "start_date": dt.date(2019, 1, 1)},
        ]),
    }
    return {"a": household_a, "b": household_b, "loads": loads, "dead": dead, "clerk": clerk}


RULES = ["C-DEAD", "C-PAYROLL", "C-CAR", "C-DIBAO-MISSING"]  # catalogue order


def test_run_stores_findings_with_owner_deadline_and_evidence(users, world):
    run = run_now(users["county"], rules=RULES)
    assert run.division_id == f.COUNTY and run.standard_version and run.rules == RULES
    assert {load.dataset for load in run.loads.all()} == {"deaths", "vehicles", "public_payroll", "dibao"}
    findings = {x.rule: x for x in Finding.objects.all()}
    assert set(findings) == set(RULES)
    assert run.counts["by_rule"] == dict.fromkeys(sorted(RULES), 1)
    assert run.counts["new"] == 4 and run.counts["recurring"] == 0
    assert run.counts["by_county"] == {f.COUNTY: 4}
    assert set(run.counts["seconds_by_rule"]) == set(RULES)

    dead = findings["C-DEAD"]
    assert dead.division_id == f.VILLAGE_A and dead.household == world["a"].household
    assert dead.person == world["dead"] and dead.id_number == world["dead"].id_number
    assert dead.status == FindingStatus.PENDING
    assert dead.deadline == timezone.localdate() + dt.timedelta(days=15)
    assert dead.match == "exact" and dead.dataset == "deaths" and dead.first_run == run == dead.last_run
    assert dead.evidence == [{"行号": 2, "身份证号": world["dead"].id_number, "姓名": world["dead"].name,
                              "死亡日期": "2020-05-01", "部门数据批次": "第1版"}]
    assert findings["C-CAR"].evidence[0]["车辆类型"] == "小型汽车"  # the enum word, not the slug
    assert findings["C-CAR"].evidence[0]["号牌"] == "苏C12345" and len(findings["C-CAR"].evidence) == 1
    assert findings["C-PAYROLL"].division_id == f.VILLAGE_B
    assert findings["C-PAYROLL"].evidence[0]["单位"] == "某县财政局"
    missing = findings["C-DIBAO-MISSING"]  # outside the registry: the county of the ID
    assert missing.household is None and missing.person is None and missing.division_id == f.COUNTY
    assert missing.evidence[0]["救助类型"] == "低保" and missing.evidence[0]["月保障金"] == "560.00"
    assert all(x.events.get().action == "raised" for x in findings.values())
    assert not FindingOccurrence.objects.filter(recurring=True).exists()
    assert FindingOccurrence.objects.filter(run=run).count() == 4

    manifest = json.loads((snapshot.run_directory(run.pk) / snapshot.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["year"] == 2020 and manifest["rules"] == RULES
    assert manifest["standard_version"] == run.standard_version
    assert manifest["min_probability"] == settings.SUNSHINE_MATCH_PROBABILITY
    assert {e["dataset"]: e["sha256"] for e in manifest["loads"]} == {
        name: snapshot.sha256_file(snapshot.data_path(load.path)) for name, load in world["loads"].items()}
    people = pq.read_table(snapshot.run_directory(run.pk) / snapshot.PEOPLE_FILE)
    assert people.num_rows == 5 and set(people["village_code"].to_pylist()) == {f.VILLAGE_A, f.VILLAGE_B}
    # No plain ID: the database's keyed hash of each member's ID, read as it is.
    assert "id_number" not in people.column_names
    assert set(people["id_hash"].to_pylist()) == set(Person.objects.values_list("id_number_hash", flat=True))


def test_outsider_outside_the_run_scope_goes_to_the_runs_division(users, world):
    """A township run: the county of the ID lies outside it, so the township owns the finding."""
    run = run_now(users["admin"], division_code=f.TOWNSHIP_A, rules=["C-DIBAO-MISSING"])
    assert Finding.objects.get(first_run=run).division_id == f.TOWNSHIP_A


def test_second_run_links_instead_of_duplicating(users, world):
    first = run_now(users["county"], rules=RULES)
    dead = Finding.objects.get(rule="C-DEAD")
    second = run_now(users["analyst"], rules=RULES)
    assert Finding.objects.count() == 4
    assert second.counts["new"] == 0 and second.counts["recurring"] == 4
    dead.refresh_from_db()
    assert dead.first_run == first and dead.last_run == second and dead.status == FindingStatus.PENDING
    assert FindingOccurrence.objects.filter(run=second, recurring=True).count() == 4
    recurred = dead.events.get(action="recurred")
    assert recurred.run == second and recurred.user == users["analyst"]


def test_verified_findings_keep_their_status_and_rectified_ones_come_back_linked(users, world):
    run_now(users["county"], rules=RULES)
    rejected = Finding.objects.get(rule="C-CAR")
    rectified = Finding.objects.get(rule="C-DEAD")
    Finding.objects.filter(pk=rejected.pk).update(status=FindingStatus.REJECTED)
    Finding.objects.filter(pk=rectified.pk).update(status=FindingStatus.RECTIFIED)
    second = run_now(users["county"], rules=RULES)

    rejected.refresh_from_db()
    assert rejected.status == FindingStatus.REJECTED and rejected.last_run == second
    assert Finding.objects.filter(rule="C-CAR").count() == 1
    back = Finding.objects.get(rule="C-DEAD", first_run=second)
    assert back.previous == rectified and back.status == FindingStatus.PENDING
    assert back.fingerprint == rectified.fingerprint
    assert FindingOccurrence.objects.get(run=second, finding=back).recurring
    assert "再次出现" in back.events.get(action="raised").note
    assert second.counts["new"] == 0 and second.counts["recurring"] == 4 and second.counts["reopened"] == 1
    # a third run links to the newest of the chain, not to the rectified one
    third = run_now(users["county"], rules=RULES)
    assert Finding.objects.filter(rule="C-DEAD").count() == 2
    assert FindingOccurrence.objects.filter(run=third, finding=back).exists()


def test_rerun_on_the_frozen_snapshot_gives_identical_findings(users, world):
    run = run_now(users["county"], rules=RULES)
    # The registry and a load change after the run; the re-run must not see either.
    registry.update_member(actor=users["county"], procedure=registry.Procedure.seed(),
                           member=world["a"].members.get(relation=c.Relation.HEAD),
                           member_status=c.MemberStatus.DECEASED, change_date=dt.date(2020, 5, 1))
    make_load("deaths", [{"id_number": world["clerk"].id_number, "name": "x", "death_date": dt.date(2020, 1, 1)}])
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert again.status == JobStatus.DONE, again.message
    assert again.rerun_of == run and again.snapshot_path == run.snapshot_path
    assert list(again.loads.all()) == list(run.loads.all())
    original = pq.read_table(services.findings_path(run))
    repeated = pq.read_table(services.findings_path(again))
    assert original.num_rows == 4 and repeated.equals(original)
    assert Finding.objects.count() == 4
    assert again.counts["new"] == 0 and FindingOccurrence.objects.filter(run=again, recurring=True).count() == 4
    # whereas a new run reads today's registry and the newest load
    fresh = run_now(users["county"], rules=["C-DEAD"])
    assert fingerprint({"rule": "C-DEAD", "year": 2020, "household_no": world["b"].household.household_no,
                        "id_number": world["clerk"].id_number, "dataset": "deaths"}) in set(
        Finding.objects.filter(first_run=fresh).values_list("fingerprint", flat=True))


def test_a_changed_load_fails_the_rerun_and_writes_nothing(users, world):
    run = run_now(users["county"], rules=["C-DEAD"])
    path = snapshot.data_path(world["loads"]["deaths"].path)
    pq.write_table(pq.read_table(path).slice(0, 1), path)
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert again.status == JobStatus.FAILED and "已变更" in again.message
    assert not FindingOccurrence.objects.filter(run=again).exists()
    assert not FindingEvent.objects.filter(run=again).exists()


def test_a_new_run_is_not_taken_in_by_files_left_under_its_key(users, world):
    """The database restored or created again beside the same data directory: a new run's key was another run's,
    whose frozen snapshot is still on disk, naming other loads. The new run freezes its own."""
    from django.db import connection

    from sunshine.core import bulk

    key = bulk.IdAllocator(ComparisonRun).take(1)[0]
    key += 1 if connection.vendor == "postgresql" else 0   # take() spent a value of PostgreSQL's sequence
    left = snapshot.run_directory(key)
    left.mkdir(parents=True)
    (left / snapshot.MANIFEST).write_text(json.dumps({"loads": [{"id": 0, "path": "x", "sha256": "0",
                                                                "dataset": "deaths", "version": 9}]}))
    run = run_now(users["county"], rules=["C-DEAD"])
    assert run.pk == key and run.counts["total"] > 0
    frozen = json.loads((snapshot.run_directory(key) / snapshot.MANIFEST).read_text())
    assert [entry["id"] for entry in frozen["loads"]] == [world["loads"]["deaths"].pk]


def test_hashed_load_fills_people_id_hash_and_matches(users, world):
    key = settings.SUNSHINE_ID_HASH_KEY
    dead = world["dead"]
    load = make_load("deaths", [{"id_hash": id_hash(dead.id_number, key), "name": dead.name,
                                 "death_date": dt.date(2020, 6, 1)}], hashed=True)
    run = run_now(users["county"], rules=["C-DEAD"], loads=[load])
    people = pq.read_table(snapshot.run_directory(run.pk) / snapshot.PEOPLE_FILE)
    assert people["id_hash"].null_count == 0
    finding = Finding.objects.get(first_run=run)
    assert finding.match == "hashed" and finding.division_id == f.VILLAGE_A
    assert finding.evidence[0]["身份证号哈希"] == id_hash(dead.id_number, key)


def test_default_loads_are_the_newest_and_rules_those_with_data(users, world):
    newer = make_load("deaths", [])
    run = run_now(users["county"])
    assert newer in run.loads.all() and world["loads"]["deaths"] not in run.loads.all()
    assert "C-DEAD" in run.rules and "C-DUP" in run.rules and "C-NOMED" not in run.rules
    with pytest.raises(ValidationError, match="缺少部门数据"):
        services.start_run(actor=users["county"], year=2020, rules=["C-NOMED"], background=False)
    with pytest.raises(ValidationError, match="未知的比对规则"):
        services.start_run(actor=users["county"], year=2020, rules=["C-NOPE"], background=False)


@pytest.mark.parametrize(("who", "role", "division", "target"), [
    ("village clerk", Role.VILLAGE_CLERK, f.VILLAGE_A, None),
    ("village-scoped county manager", Role.COUNTY_MANAGER, f.VILLAGE_A, f.COUNTY),
    ("township reviewer", Role.TOWNSHIP_REVIEWER, f.TOWNSHIP_A, f.TOWNSHIP_A),
    ("supervisor of another county", Role.SUPERVISOR, "320322000000", f.COUNTY),
])
def test_who_may_not_start_a_run(users, world, who, role, division, target):
    actor = f.make_user("someone", role, division)
    with pytest.raises(PermissionDenied):
        services.start_run(actor=actor, year=2020, division_code=target, rules=["C-DEAD"], background=False)
    assert not ComparisonRun.objects.exists()


def test_village_scoped_manager_may_run_their_village(users, world):
    actor = f.make_user("village_manager", Role.COUNTY_MANAGER, f.VILLAGE_A)
    run = run_now(actor, rules=["C-DEAD", "C-PAYROLL"])
    assert run.division_id == f.VILLAGE_A
    assert list(Finding.objects.values_list("rule", flat=True)) == ["C-DEAD"]  # B's payroll case is out of scope
    with pytest.raises(PermissionDenied):
        services.rerun(actor=f.make_user("clerk_x", Role.SUPERVISOR, f.VILLAGE_B), run=run, background=False)


def test_background_run_reports_progress_and_finishes(users, world):
    run = services.start_run(actor=users["supervisor"], year=2020, rules=["C-DEAD"])
    assert run.task_id and run.status == JobStatus.DONE and run.progress == 100
    assert services.live_progress(run) == {"percent": 100, "stage": "完成", "status": JobStatus.DONE}
    assert run.started_at and run.finished_at and run.seconds > 0
    assert not (snapshot.run_directory(run.pk) / services.PROGRESS_FILE).exists()


def test_live_progress_of_a_queued_run_reads_the_progress_file(users, world):
    run = ComparisonRun.objects.create(year=2020, division_id=f.COUNTY, rules=["C-DEAD"], created_by=users["county"])
    assert services.live_progress(run) == {"percent": 0, "stage": "排队", "status": JobStatus.QUEUED}
    stages: list[tuple[int, str]] = []
    report = services._reporter(run, lambda p, s: stages.append((p, s)))
    report(42, "比对规则 C-DEAD")
    assert services.live_progress(run)["percent"] == 42 and stages == [(42, "比对规则 C-DEAD")]


def test_rows_without_an_id_are_linked_probabilistically_and_the_links_frozen(users, household_a, household_b):
    for i, name in enumerate(["王伟", "李娜", "张强", "刘洋", "陈静", "杨磊", "黄敏", "赵军", "吴芳", "周涛"]):
        f.make_household(users["county"], village=f.VILLAGE_A if i % 2 else f.VILLAGE_B, head_name=name, members=2,
                         head_id=f.new_id(dt.date(1950 + i, 1 + i, 3 + i), male=bool(i % 2)))
    dead = head(household_a)
    make_load("deaths", [
        {"id_raw": "32032119", "name": dead.name, "birth_date": dead.birth_date, "gender": dead.gender,
         "division_code": f.VILLAGE_A, "death_date": dt.date(2020, 5, 1)},
        {"name": "无名氏", "birth_date": dt.date(1930, 1, 1), "gender": "male", "death_date": dt.date(2020, 5, 1)},
    ])
    run = run_now(users["county"], rules=["C-DEAD"], min_probability=0.9)
    links = pq.read_table(snapshot.run_directory(run.pk) / snapshot.LINKS_FILE)
    assert links.column("source_row").to_pylist() == [2] and links.column("probability")[0].as_py() >= 0.9
    finding = Finding.objects.get()
    assert finding.match == "probabilistic" and finding.probability >= 0.9 and finding.person == dead
    assert finding.evidence[0]["原始身份证号"] == "32032119" and finding.division_id == f.VILLAGE_A
    assert run.min_probability == 0.9
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert pq.read_table(services.findings_path(again)).equals(pq.read_table(services.findings_path(run)))
    assert Finding.objects.count() == 1
    with pytest.raises(ValidationError, match="概率匹配阈值"):
        services.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], min_probability=1.5)


def test_delete_runs_touching_synthetic_divisions(users, world):
    from sunshine.core.models import Division

    run = run_now(users["county"], rules=RULES)
    other = run_now(users["county"], division_code=f.VILLAGE_B, rules=["C-PAYROLL"])
    assert snapshot.run_directory(run.pk).is_dir()
    assert services.delete_runs_touching(Division.objects.filter(code=f.VILLAGE_A)) == 2  # other re-saw B's case
    assert not ComparisonRun.objects.filter(pk__in=[run.pk, other.pk]).exists()
    assert not Finding.objects.exists() and not snapshot.run_directory(run.pk).exists()


def test_a_village_run_knows_the_registry_beyond_its_village(users, household_a, household_b):
    """B's head receives 低保: a run of village A must not report them as missing from the registry."""
    b_head = head(household_b)
    make_load("dibao", [{"id_number": b_head.id_number, "name": b_head.name, "aid_type": "dibao",
                         "head_id_number": b_head.id_number, "start_date": dt.date(2019, 1, 1)}])
    run = run_now(users["admin"], division_code=f.VILLAGE_A, rules=["C-DIBAO-MISSING"])
    assert run.counts["total"] == 0
    people = pq.read_table(snapshot.run_directory(run.pk) / snapshot.PEOPLE_FILE)
    assert set(people["village_code"].to_pylist()) == {f.VILLAGE_A, f.VILLAGE_B}
    assert json.loads((snapshot.run_directory(run.pk) / snapshot.MANIFEST).read_text())["division_prefix"] == (
        f.VILLAGE_A)
