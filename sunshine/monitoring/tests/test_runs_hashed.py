"""Monitoring on ID hashes (issue 12): no plain ID number in what a run extracts or writes (as Parquet), in the
engine's rows or in the stored signatures; warnings stored before the upgrade are still the same warnings."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.apps import apps as django_apps
from django.conf import settings

from sunshine.comparison.models import Finding
from sunshine.comparison.tests.factories import make_finding, make_run
from sunshine.core.crypto import keyed_hash
from sunshine.core.ids import is_valid_id_number
from sunshine.engine.monitoring.prepare import id_hasher
from sunshine.monitoring.choices import WarningStatus
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold
from sunshine.monitoring.monitored import create_monitored
from sunshine.monitoring.runs import monitor, snapshot
from sunshine.monitoring.runs.store import LEGACY, signature
from sunshine.registry.models import Person
from sunshine.testing import factories as f

DAY0 = dt.date(2021, 3, 1)
# An ID number standing on its own in a text (a hash's digits are surrounded by other hex digits).
ID_IN_TEXT = re.compile(r"(?<![0-9a-fA-F])\d{17}[\dXx](?![0-9a-fA-F])")
MEDCOST = "医保结算数据显示成员脱贫户主2020年就诊1次,个人自付合计13045.00元,达到预警线10000元"


def exited(actor: Any, *, wage: str, head_name: str) -> Any:
    before = f.make_household(actor, year=2019, head_name=head_name, members=1)
    return f.make_household(actor, year=2020, household_no=before.household.household_no, head_name=head_name,
                            head_id=before.head_id_number, members=1, status="exited", exit_year=2020,
                            wage_income=Decimal(wage))


def scenario(county: Any) -> dict[str, Any]:
    """Every kind of subject a person's ID enters: a registered household with a C-MEDCOST finding on its head
    (M-UNSTABLE, M-SUDDEN), one with income only (M-UNSTABLE), a monitored household with a head ID below the
    line, and two 低保 heads outside the registry (M-EDGE)."""
    comparison = make_run(actor=county, division=f.COUNTY, year=2020)
    sick = exited(county, wage="1000", head_name="脱贫户主")
    exited(county, wage="1500", head_name="收入户主")
    make_finding(run=comparison, household_year=sick, head=True, rule="C-MEDCOST", explanation=MEDCOST)
    for name in ("低保甲", "低保乙"):
        make_finding(run=comparison, rule="C-DIBAO-MISSING", division=f.COUNTY, name=name, id_number=f.new_id(),
                     explanation=f"{name}享受低保,未纳入建档立卡")
    create_monitored(actor=county, number="BY0001", year=2020, division_code=f.VILLAGE_A, head_name="边缘户主",
                     head_id_number=f.new_id(), members=3, per_capita_income=Decimal("5000"))
    return {"sick": sick}


def plain_ids() -> set[str]:
    ids = {p.id_number for p in Person.objects.all()} | {x.id_number for x in Finding.objects.all()}
    ids |= {m.head_id_number for m in MonitoredHousehold.objects.all()}
    return {i for i in ids if i}


def ids_in(value: Any, known: set[str]) -> set[str]:
    """The plain ID numbers in ``value`` (any text, list or struct): a known one anywhere, or a valid one."""
    if isinstance(value, dict):
        return set().union(*(ids_in(v, known) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(ids_in(v, known) for v in value)) if value else set()
    if not isinstance(value, str):
        return set()
    found = {i for i in known if i in value}
    return found | {m for m in ID_IN_TEXT.findall(value) if is_valid_id_number(m)}


def parquet_ids(directory: Path, known: set[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(directory.glob("*.parquet")):
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_integer(table.schema.field(name).type):
                continue
            for value in table.column(name).to_pylist():
                if hits := ids_in(value, known):
                    found.setdefault(f"{path.stem}.{name}", set()).update(hits)
    return found


def test_no_plain_id_in_the_snapshot_the_rows_or_the_signatures(users, monkeypatch, tmp_path):
    county = users["county"]
    scenario(county)
    extracted: list[snapshot.MonitoringSnapshot] = []
    extract = snapshot.extract

    def spy(**kwargs: Any) -> snapshot.MonitoringSnapshot:
        extracted.append(extract(**kwargs))
        return extracted[-1]

    monkeypatch.setattr(snapshot, "extract", spy)
    outcome = monitor(actor=county, year=2020, today=DAY0)
    codes = {code for row in outcome.table.to_pylist() for code in row["codes"]}
    subjects = {row["subject"] for row in outcome.table.to_pylist()}
    assert codes == {"M-UNSTABLE", "M-SUDDEN", "M-EDGE"} and subjects == {"registered", "monitored", "outside"}

    # What the run reads and writes, as the Parquet files a snapshot is kept in.
    (snap,) = extracted
    assert snap.tables["members"].column("id_hash").null_count == 0
    for name, table in {**snap.tables, "warnings": outcome.table}.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    known = plain_ids()
    assert len(known) == 5   # two heads of households, two 低保 heads, a monitored head
    assert parquet_ids(tmp_path, known) == {}

    # Stored: signatures, and nothing an unkeyed hash over a plain ID would give.
    stored = list(EarlyWarning.objects.values_list("signature", flat=True))
    assert len(stored) == 5 and not any(ids_in(s, known) for s in stored)
    hashes = {keyed_hash(i): i for i in known}
    for row in outcome.table.to_pylist():
        plain = dict(row)
        for digest, number in hashes.items():
            plain["signals_text"] = plain["signals_text"].replace(digest, number)
            plain["id_hash"] = number if plain["id_hash"] == digest else plain["id_hash"]
        if plain != row:
            assert signature(plain) not in stored


def test_the_engine_hash_is_the_database_hash():
    hashed = id_hasher(settings.SUNSHINE_ID_HASH_KEY)
    number = f.new_id()
    for value in (number, number[:17] + number[17].lower(), "not an id", "32032119900101001"):
        assert hashed(value) == keyed_hash(value)
    assert hashed("") is None and hashed(None) is None


def test_outside_and_monitored_rows_in_the_order_of_their_plain_ids(users):
    county = users["county"]
    comparison = make_run(actor=county, division=f.COUNTY, year=2020)
    ids = sorted(f.new_id() for _ in range(6))
    for k, number in enumerate(ids):
        make_finding(run=comparison, rule="C-DIBAO-MISSING", division=f.COUNTY, name=f"低保{k}", id_number=number)
    outcome = monitor(actor=county, year=2020, today=DAY0)
    # The JC numbers are given in the engine's order: the plain IDs' order, whatever the hashes' order is.
    heads = dict(MonitoredHousehold.objects.values_list("number", "head_id_number"))
    assert [heads[r["household_no"]] for r in outcome.records()] == ids
    assert sorted(ids, key=keyed_hash) != ids or len(ids) < 2  # (the test would prove nothing otherwise)


def _migration() -> Any:
    return importlib.import_module("sunshine.monitoring.migrations.0006_hashed_signatures")


def test_warnings_stored_before_the_upgrade_are_recognised(users):
    county = users["county"]
    scenario(county)
    first = monitor(actor=county, year=2020, today=DAY0)
    # As the old code left them: signatures over plain IDs (any other value here) — but a warning signed on no ID
    # (income only) had the signature it has now —, and one warning already cleared.
    income_only = EarlyWarning.objects.get(codes=["M-UNSTABLE"])
    old = {pk: hashlib.sha256(f"old {pk}".encode()).hexdigest()
           for pk in EarlyWarning.objects.exclude(pk=income_only.pk).values_list("pk", flat=True)}
    for pk, sig in old.items():
        EarlyWarning.objects.filter(pk=pk).update(signature=sig)
    old[income_only.pk] = income_only.signature
    outside = EarlyWarning.objects.filter(monitored__source="comparison").order_by("pk").first()
    EarlyWarning.objects.filter(pk=outside.pk).update(status=WarningStatus.CLEARED, resolved_on=DAY0)

    _migration().mark_legacy(django_apps, None)
    marked = dict(EarlyWarning.objects.values_list("pk", "signature"))
    assert marked[income_only.pk] == old[income_only.pk]   # signed on no ID: kept
    assert {pk for pk, sig in marked.items() if sig == f"{LEGACY}{pk}"} == set(old) - {income_only.pk}
    _migration().mark_legacy(django_apps, None)            # run twice: the same
    assert dict(EarlyWarning.objects.values_list("pk", "signature")) == marked

    # The warning of an ID-bearing subject whose data changed since is not the same warning.
    EarlyWarning.objects.filter(monitored__number="BY0001").update(explanation="旧数据")

    again = monitor(actor=county, year=2020, today=DAY0 + dt.timedelta(days=2))
    assert again.run.counts["new"] == 1 and again.run.counts["repeated"] == 4
    assert again.records() == first.records()
    now = {row.pk: row for row in EarlyWarning.objects.all()}
    assert len(now) == 6
    renewed = [w for w in now.values() if w.pk in old and not w.signature.startswith(LEGACY)]
    assert {w.signature for w in renewed} <= {signature(r) for r in first.table.to_pylist()}
    assert [w.pk for w in now.values() if w.signature.startswith(LEGACY)] == [
        EarlyWarning.objects.get(monitored__number="BY0001", first_run=first.run).pk]
    assert now[outside.pk].status == WarningStatus.CLEARED and now[outside.pk].last_run == first.run
    assert all(w.last_run == again.run for w in renewed if w.pk != outside.pk)

    third = monitor(actor=county, year=2020, today=DAY0 + dt.timedelta(days=3))
    assert third.run.counts["new"] == 0 and third.run.counts["repeated"] == 5


def test_a_fresh_database_has_no_legacy_signatures(users):
    scenario(users["county"])
    monitor(actor=users["county"], year=2020, today=DAY0)
    assert not EarlyWarning.objects.filter(signature__startswith=LEGACY).exists()
    assert settings.SUNSHINE_ID_HASH_KEY


def test_a_new_hash_key_raises_no_warning_again(users, settings):
    from django.core.management import call_command

    county = users["county"]
    scenario(county)
    first = monitor(actor=county, year=2020, today=DAY0)
    settings.SUNSHINE_ID_HASH_KEY = "another-id-hash-key"
    call_command("keys", "rehash", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    again = monitor(actor=county, year=2020, today=DAY0)
    assert again.run.counts["new"] == 0 and again.run.counts["repeated"] == 5
    assert again.records() == first.records()
    assert not EarlyWarning.objects.filter(signature__startswith=LEGACY).exists()
