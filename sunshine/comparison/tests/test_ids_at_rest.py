"""Issue 12: the comparison works on hashes. No Parquet file under DATA_DIR holds a plain ID number — not the
dataset loads (exact or hashed), not a run's snapshot, not its findings — while the findings stored and
exported still carry the plain numbers, decrypted for the persons that have findings only. Loads and
snapshots written before (plain numbers) are still read, in memory."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.datasets import load_dataset, load_path, store_table
from sunshine.comparison.datasets import samples as s
from sunshine.comparison.datasets.sealing import is_current, read_plain
from sunshine.comparison.models import DatasetLoad, Finding
from sunshine.comparison.runs import services, snapshot
from sunshine.engine.comparison.datasets import arrow_schema
from sunshine.engine.comparison.idhash import id_hash
from sunshine.engine.comparison.prepare import facts_from_codes, id_fact_codes, id_facts
from sunshine.registry import choices as c
from sunshine.registry.models import Person
from sunshine.testing import factories as f

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PLAIN_ID = re.compile(r"^\d{17}[\dX]$")
OUTSIDER = "320321196502020010"      # valid, not in the registry
BAD_CHECK = "320321196502020014"     # 18 digits, wrong check digit: kept as id_raw
OUTSIDE_HEAD = "320321195501010019"  # a 低保 head outside the registry


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    from sunshine.core import crypto

    settings.DATA_DIR = tmp_path / "data"
    settings.TASKS = IMMEDIATE
    crypto.forget_cached_keys()   # the key file is under DATA_DIR: not the previous test's (cached for 1 s)
    yield settings.DATA_DIR
    crypto.forget_cached_keys()


def _member(hy: Any, head: bool) -> Person:
    members = hy.members.order_by("pk")
    member = members.get(relation=c.Relation.HEAD) if head else members.exclude(relation=c.Relation.HEAD).first()
    return member.person


def _load(tmp_path: Path, dataset: str, headers: list[str], rows: list[list[Any]], actor: Any) -> DatasetLoad:
    outcome = load_dataset(dataset, s.write_csv(tmp_path / f"{dataset}.csv", headers, rows), actor=actor)
    assert outcome.load is not None, outcome.errors
    return outcome.load


@pytest.fixture
def loaded(users, household_a, household_b, tmp_path):
    """Exact loads (deaths with an outsider and an invalid ID, 低保 with heads) and a hashed one (医保参保),
    through the loader as a department file would come."""
    key = settings.SUNSHINE_ID_HASH_KEY
    dead, insured = _member(household_a, True), _member(household_b, False)
    actor = users["county"]
    _load(tmp_path, "deaths", ["身份证号", "姓名", "死亡日期"], [
        [dead.id_number, dead.name, "2020-05-01"], [OUTSIDER, "档外人", "2020-03-01"],
        [BAD_CHECK, "错号人", "2020-03-02"]], actor)
    _load(tmp_path, "dibao", ["身份证号", "姓名", "救助类型", "户主身份证号", "起始日期"], [
        [OUTSIDE_HEAD, "档外户主", "低保", OUTSIDE_HEAD, "2019-01-01"],
        [OUTSIDER, "档外配偶", "特困", OUTSIDE_HEAD, "2019-01-01"]], actor)
    _load(tmp_path, "medical_insurance", ["身份证号哈希", "姓名", "参保年度", "参保状态"], [
        [id_hash(insured.id_number, key), insured.name, "2020", "参保"]], actor)
    return {"dead": dead, "insured": insured}


def _string_values(table: pa.Table) -> list[str]:
    out: list[str] = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            column, kind = column.combine_chunks().flatten(), kind.value_type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            out += [v for v in column.to_pylist() if v is not None]
    return out


def test_no_parquet_file_holds_a_plain_id_number(users, loaded, data_dir):
    run = services.start_run(actor=users["county"], year=2020, background=False)
    assert run.status == JobStatus.DONE, run.message
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert again.status == JobStatus.DONE, again.message
    services.compare_only(actor=users["county"], year=2020)
    known = {OUTSIDER, BAD_CHECK, OUTSIDE_HEAD, *Person.objects.exclude(id_number="").values_list("id_number",
                                                                                                flat=True)}
    files = sorted(data_dir.rglob("*.parquet"))
    names = {p.relative_to(data_dir).as_posix() for p in files}
    assert {"datasets/deaths/v1.parquet", "datasets/dibao/v1.parquet", "datasets/medical_insurance/v1.parquet",
            f"comparison/runs/{run.pk}/people.parquet", f"comparison/runs/{run.pk}/findings.parquet",
            f"comparison/runs/{again.pk}/findings.parquet"} <= names
    for path in files:
        values = _string_values(pq.read_table(path))
        assert not [v for v in values if PLAIN_ID.match(v)], path
        assert not [v for v in values for number in known if number in v], path
    # ... while the findings carry them, decrypted for those persons only, and the evidence too.
    dead = Finding.objects.get(rule="C-DEAD", first_run=run)
    assert dead.id_number == loaded["dead"].id_number and dead.evidence[0]["身份证号"] == loaded["dead"].id_number
    outside = Finding.objects.get(rule="C-DIBAO-MISSING", first_run=run)
    assert outside.id_number == OUTSIDE_HEAD and outside.id_hash == "" and outside.division_id == f.COUNTY
    assert outside.evidence[0]["户主身份证号"] == OUTSIDE_HEAD and "head_id_region" not in str(outside.evidence)
    assert "身份证号哈希" not in outside.evidence[0]  # an exact load shows what the department sent
    nomed = Finding.objects.filter(rule="C-NOMED", first_run=run)
    assert loaded["insured"].id_number not in set(nomed.values_list("id_number", flat=True))  # matched by hash
    assert again.counts["recurring"] == run.counts["total"] and again.counts["new"] == 0


def test_loads_keep_ids_encrypted_with_their_hashes(users, loaded):
    deaths = DatasetLoad.objects.get(dataset="deaths")
    path = load_path(deaths)
    assert is_current(path)
    stored, plain = pq.read_table(path), read_plain(path)
    key = settings.SUNSHINE_ID_HASH_KEY
    assert plain["id_number"].to_pylist() == [loaded["dead"].id_number, OUTSIDER, None]
    assert plain["id_raw"].to_pylist() == [None, None, BAD_CHECK]
    assert stored["id_hash"].to_pylist() == [id_hash(loaded["dead"].id_number, key), id_hash(OUTSIDER, key), None]
    assert all(v.startswith(tuple("0123456789abcdef")) and ":" in v for v in stored["id_number"].to_pylist()[:2])
    dibao = pq.read_table(load_path(DatasetLoad.objects.get(dataset="dibao")))
    assert dibao["head_id_region"].to_pylist() == ["320321", "320321"]
    assert dibao["head_id_hash"].to_pylist() == [id_hash(OUTSIDE_HEAD, key)] * 2


def _legacy(load: DatasetLoad) -> None:
    """Rewrite a stored load as the code before encryption wrote it: plain numbers, no hash on exact rows, no
    derived columns, no metadata."""
    path = load_path(load)
    table = read_plain(path)
    if not load.hashed:
        table = table.set_column(2, table.schema.field(2), pa.nulls(table.num_rows, pa.string()))
    if "head_id_region" in table.column_names:
        table = table.drop_columns(["head_id_region", "head_id_hash"]).append_column(
            "head_id_hash", pa.nulls(table.num_rows, pa.string()))
        table = table.select([n for n in arrow_schema(load.dataset).names if n in table.column_names])
    pq.write_table(table, path)


def test_loads_and_snapshots_written_before_are_still_read(users, loaded):
    """Old files are hashed in memory at run time (nothing on disk changes, so frozen checksums hold): the
    same findings as from sealed loads; a format-1 snapshot (plain people) re-runs to the same findings."""
    run = services.start_run(actor=users["county"], year=2020, background=False)
    expected = services.findings_table(run)
    for load in DatasetLoad.objects.all():
        _legacy(load)
        assert not is_current(load_path(load))
    old = services.start_run(actor=users["county"], year=2020, background=False)
    assert old.status == JobStatus.DONE, old.message
    assert services.findings_table(old).equals(expected)
    assert old.counts["new"] == 0 and old.counts["recurring"] == run.counts["total"]
    # The snapshot as format 1 wrote it: people with the plain number.
    directory = snapshot.data_path(old.snapshot_path)
    people = pq.read_table(directory / snapshot.PEOPLE_FILE)
    numbers = dict(Person.objects.values_list("id_number_hash", "id_number"))
    plain = people.drop_columns(["id_well_formed", "id_birth", "id_check_ok", "id_gender"]).append_column(
        "id_number", pa.array([numbers.get(h, "") for h in people["id_hash"].to_pylist()], pa.string()))
    pq.write_table(plain, directory / snapshot.PEOPLE_FILE)
    manifest = json.loads((directory / snapshot.MANIFEST).read_text(encoding="utf-8"))
    manifest["format"] = 1
    manifest["people"]["sha256"] = snapshot.sha256_file(directory / snapshot.PEOPLE_FILE)
    (directory / snapshot.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    again = services.rerun(actor=users["county"], run=old, background=False)
    assert again.status == JobStatus.DONE, again.message
    assert services.findings_table(again).equals(expected)


def test_a_load_hashed_under_an_earlier_key_is_hashed_again(users, loaded, settings):
    run = services.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], background=False)
    settings.SUNSHINE_ID_HASH_KEY = "a-new-hash-key"
    Person.objects.get(pk=loaded["dead"].pk).save()  # the registry's hash follows the key (sunshine keys …)
    deaths = DatasetLoad.objects.get(dataset="deaths")
    assert not is_current(load_path(deaths))
    again = services.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], background=False)
    assert again.status == JobStatus.DONE, again.message
    assert services.findings_table(again).equals(services.findings_table(run))


def test_a_member_changed_since_the_snapshot_keeps_the_number_it_had(users, loaded):
    run = services.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], background=False)
    before = services.findings_table(run)
    person = Person.objects.get(pk=loaded["dead"].pk)
    person.id_number = f.new_id()
    person.save()
    assert services.findings_table(run).equals(before)
    assert before["id_number"].to_pylist() == [loaded["dead"].id_number]


def test_store_table_seals_generated_data(users):
    number = f.new_id()
    table = pa.table({"source_row": [2], "id_number": [number], "name": ["张三"], "aid_type": ["dibao"],
                      "head_id_number": [number], "start_date": [dt.date(2020, 1, 1)]})
    full = pa.table({n: table.column(n) if n in table.column_names else pa.nulls(1, t) for n, t in
                     zip(arrow_schema("dibao").names[:-1], arrow_schema("dibao").types[:-1], strict=True)})
    load = store_table("dibao", full, actor=users["admin"])
    stored = pq.read_table(load_path(load))
    assert not any(PLAIN_ID.match(v) for v in _string_values(stored))
    assert stored["head_id_region"].to_pylist() == [number[:6]]


def test_id_facts_read_an_id_as_the_rule_did():
    facts = id_facts(pa.array(["32032119800229123X", "32032119810230001X", "3203211980010100", "", None,
                               " 32032119800229123X"]))
    assert facts["id_well_formed"].to_pylist() == [True, True, False, False, False, False]
    assert facts["id_birth"].to_pylist() == [dt.date(1980, 2, 29), None, None, None, None, None]
    assert facts["id_gender"].to_pylist() == ["male", "male", None, None, None, None]
    assert facts["id_check_ok"].to_pylist()[2:] == [None] * 4


def test_stored_fact_codes_read_back_as_the_facts_of_the_id():
    """Person.id_facts keeps a code of each ID (prepare.id_fact_codes); read back (facts_from_codes) it gives what
    the ID itself gives, for odd IDs (30 February, year 0000, a lowercase x, spaces, 15 digits, empty, NULL) and
    for a thousand random ones, valid or not."""
    import random

    rng = random.Random(7)
    ids = ["32032119800229123X", "32032119810230001X", "320321000001011234", "32032100000229123X",
           "32032119800101123x", "3203211980010100", "320321800101123", "", None, " 32032119800229123X",
           "32032124001231002X", "32032119991301001X", f.new_id(), f.new_id()]
    for _ in range(1000):
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        ids.append(digits[:6] + f"{rng.randint(0, 2400):04d}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
                   + digits[14:] + rng.choice("0123456789Xx"))
    plain = pa.array(ids, pa.string())
    codes = id_fact_codes(plain)
    assert max(len(c) for c in codes.to_pylist()) <= 10 and "" not in codes.to_pylist()
    read, expected = facts_from_codes(codes), id_facts(plain)
    for name in expected:
        assert read[name].equals(expected[name]), name


def _sealed_key_ids(path: Path) -> set[str]:
    table = pq.read_table(path)
    return {v.split(":")[0] for name in ("id_number", "head_id_number", "id_raw") if name in table.column_names
            for v in table.column(name).to_pylist() if v}


def test_key_rotation_seals_the_loads_again_and_frozen_runs_still_rerun(users, loaded):
    from io import StringIO

    from django.core.management import call_command

    from sunshine.core import crypto

    run = services.start_run(actor=users["county"], year=2020, background=False)
    before = services.findings_table(run)
    old = crypto.keyring().current_id
    new = crypto.add_key()   # as in core's rotation test: the command resumes with it
    out = StringIO()
    call_command("keys", "rotate", stdout=out)
    assert new != old and list(crypto.keyring().keys) == [new]
    assert "重新加密部门数据文件 2 个" in out.getvalue(), out.getvalue()  # the hashed load holds no number
    for load in DatasetLoad.objects.all():
        assert _sealed_key_ids(load_path(load)) <= {new}, load
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert again.status == JobStatus.DONE, again.message
    assert services.findings_table(again).equals(before)
    fresh = services.start_run(actor=users["county"], year=2020, background=False)
    assert services.findings_table(fresh).equals(before)
    assert Finding.objects.get(rule="C-DEAD").evidence[0]["身份证号"] == loaded["dead"].id_number


def test_the_keys_step_converts_files_written_before(users, loaded, data_dir):
    """Old loads and a format-1 snapshot are rewritten without plain IDs; the old run still re-runs to the
    same findings."""
    from sunshine.comparison.datasets.upkeep import reseal_stored_loads

    run = services.start_run(actor=users["county"], year=2020, background=False)
    before = services.findings_table(run)
    for load in DatasetLoad.objects.all():
        _legacy(load)
    directory = snapshot.data_path(run.snapshot_path)
    people = pq.read_table(directory / snapshot.PEOPLE_FILE)
    numbers = dict(Person.objects.values_list("id_number_hash", "id_number"))
    plain = people.drop_columns(["id_well_formed", "id_birth", "id_check_ok", "id_gender"]).append_column(
        "id_number", pa.array([numbers.get(h, "") for h in people["id_hash"].to_pylist()], pa.string()))
    pq.write_table(plain, directory / snapshot.PEOPLE_FILE)
    findings = services.findings_path(run)
    pq.write_table(before, findings)   # what the engine wrote before: plain numbers
    manifest = json.loads((directory / snapshot.MANIFEST).read_text(encoding="utf-8"))
    manifest["format"] = 1
    manifest["people"]["sha256"] = snapshot.sha256_file(directory / snapshot.PEOPLE_FILE)
    for entry in manifest["loads"]:
        entry["sha256"] = snapshot.sha256_file(snapshot.data_path(entry["path"]))
    (directory / snapshot.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert any(PLAIN_ID.match(v) for p in data_dir.rglob("*.parquet") for v in _string_values(pq.read_table(p)))

    assert reseal_stored_loads() == {"loads": 3, "snapshots": 1}
    for path in data_dir.rglob("*.parquet"):
        assert not [v for v in _string_values(pq.read_table(path)) if PLAIN_ID.match(v)], path
    assert services.findings_table(run).equals(before)
    again = services.rerun(actor=users["county"], run=run, background=False)
    assert again.status == JobStatus.DONE, again.message
    assert services.findings_table(again).equals(before)
    assert reseal_stored_loads() == {"loads": 0, "snapshots": 0}   # done once


def test_rows_without_an_id_in_a_sealed_load_are_still_linked(users, household_a, household_b):
    """Probabilistic linkage reads names, birth dates and places, never an ID: sealing changes nothing."""
    for i, name in enumerate(["王伟", "李娜", "张强", "刘洋", "陈静", "杨磊", "黄敏", "赵军", "吴芳", "周涛"]):
        f.make_household(users["county"], village=f.VILLAGE_A if i % 2 else f.VILLAGE_B, head_name=name, members=2,
                         head_id=f.new_id(dt.date(1950 + i, 1 + i, 3 + i), male=bool(i % 2)))
    dead = _member(household_a, True)
    rows = [{"source_row": 2, "id_raw": "32032119", "name": dead.name, "birth_date": dead.birth_date,
             "gender": dead.gender, "division_code": f.VILLAGE_A, "death_date": dt.date(2020, 5, 1)}]
    schema = arrow_schema("deaths")
    load = store_table("deaths", pa.Table.from_pylist([dict.fromkeys(schema.names) | r for r in rows], schema=schema),
                       actor=users["admin"])
    assert pq.read_table(load_path(load))["id_raw"][0].as_py() != "32032119"   # sealed
    run = services.start_run(actor=users["county"], year=2020, rules=["C-DEAD"], min_probability=0.9,
                             background=False)
    finding = Finding.objects.get(first_run=run)
    assert finding.match == "probabilistic" and finding.person == dead and finding.id_number == dead.id_number
    assert finding.evidence[0]["原始身份证号"] == "32032119"
