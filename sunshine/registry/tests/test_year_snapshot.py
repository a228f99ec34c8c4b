"""One registry snapshot per year (sunshine.registry.year_snapshot): reused by the runs of the year, invalidated by
any edit, import or delete, never taken from or stored in the cache inside a transaction."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.db import transaction
from django.utils import timezone

from sunshine.assessment import snapshot as assessment_snapshot
from sunshine.comparison.runs import snapshot as comparison_snapshot
from sunshine.core.choices import Role
from sunshine.core.crypto import keyed_hash
from sunshine.engine.comparison.prepare import id_fact_codes, id_facts
from sunshine.engine.comparison.snapshot import ID_FACTS
from sunshine.monitoring.runs import snapshot as monitoring_snapshot
from sunshine.registry import services
from sunshine.registry import year_snapshot as ys
from sunshine.registry.models import HouseholdYear, MemberYear, Person
from sunshine.registry.tests import transfer_samples as ts
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS
from sunshine.registry.transfer.pipeline import ImportFiles, import_registry
from sunshine.testing import factories as f

transactional = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committed(monkeypatch, settings, tmp_path):
    """A committed little registry (two households in two villages), its own data dir, extractions counted."""
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv(ys.CACHE_ENV, raising=False)
    f.build_region()
    actor = f.make_user("county_x", Role.COUNTY_MANAGER, f.COUNTY)
    a = f.make_household(actor, village=f.VILLAGE_A, head_name="甲户主", members=3)
    f.make_household(actor, village=f.VILLAGE_B, head_name="乙户主", members=2)
    calls: list[tuple[int, str]] = []
    extract = ys._extract

    def counting(year: int, prefix: str):
        calls.append((year, prefix))
        return extract(year, prefix)

    monkeypatch.setattr(ys, "_extract", counting)
    ys.forget_memory()
    yield {"actor": actor, "a": a, "calls": calls}
    ys.forget_memory()


@transactional
def test_the_second_run_of_the_year_reuses_the_snapshot(committed) -> None:
    first = ys.year_tables(2020)
    second = ys.year_tables(2020)
    assert committed["calls"] == [(2020, "")]
    assert not first.from_cache and second.from_cache and first.stamp == second.stamp
    for name in ys.TABLES:
        assert getattr(first, name).equals(getattr(second, name))
    assert first.members.num_rows == 5 and first.households.num_rows == 2


@transactional
def test_assessment_comparison_and_monitoring_share_one_extraction(committed) -> None:
    """A whole-registry extraction (the comparison's) serves the assessment of a village and the monitoring of
    a county: each gets its own scope, filtered from the cached tables."""
    people = comparison_snapshot.extract_people(2020, division="")
    village = assessment_snapshot.extract("households", year=2020, prefix=f.VILLAGE_A)
    monitoring_snapshot.registry_tables(2020, "320321")
    assert committed["calls"] == [(2020, ""), (2019, "320321")]   # 2019: the monitoring's year before
    assert people.num_rows == 5 and all(people.column("id_well_formed").to_pylist())
    assert village.tables["households"].column("village_code").to_pylist() == [f.VILLAGE_A]
    assert village.tables["members"].num_rows == 3
    assert village.tables["members"].column("id_number").null_count == 3   # never a plain ID in the snapshot
    again = comparison_snapshot.extract_people(2020, division="")
    assert again.equals(people) and len(committed["calls"]) == 2      # the ID facts were cached too


@transactional
def test_a_divisions_id_facts_are_read_from_the_stored_codes(committed, monkeypatch) -> None:
    """The ID facts come from the codes stored beside each ID (Person.id_facts), masked to the run's division:
    nothing is decrypted, and they equal what the IDs themselves give."""
    whole = comparison_snapshot.extract_people(2020, division="")
    assert whole.column("id_well_formed").to_pylist() == [True] * 5
    plain = {m.pk: m.person.id_number for m in MemberYear.objects.filter(year=2020).select_related("person")}
    expected = id_facts(pa.array([plain[k] for k in whole.column("member_key").to_pylist()]))
    for name in ID_FACTS:
        assert whole.column(name).combine_chunks().equals(expected[name]), name
    decrypted: list[object] = []
    monkeypatch.setattr(comparison_snapshot, "decrypted_fact_codes",
                        lambda year, keys=None: decrypted.append(keys))   # would fail if called
    for division in (f.VILLAGE_A, f.VILLAGE_B, f.TOWNSHIP_A[:9], f.COUNTY[:6], "3203219"):
        masked = comparison_snapshot.extract_people(2020, division=division)
        assert masked.num_rows == 5
        inside = [code.startswith(division) for code in masked.column("village_code").to_pylist()]
        assert masked.column("id_well_formed").to_pylist() == inside and (any(inside) or division == "3203219")
        assert [b is not None for b in masked.column("id_birth").to_pylist()] == inside
        for name in ID_FACTS[1:]:
            kept = [v if i else None for v, i in zip(whole.column(name).to_pylist(), inside, strict=True)]
            assert masked.column(name).to_pylist() == kept, (division, name)
    assert decrypted == []


@transactional
def test_a_code_never_derived_is_derived_from_the_decrypted_id(committed, monkeypatch) -> None:
    """A person written before the codes existed (id_facts "") has their ID decrypted, and only they."""
    derived = comparison_snapshot.extract_people(2020, division="")
    legacy = MemberYear.objects.filter(year=2020).order_by("pk").first()
    Person.objects.filter(pk=legacy.person_id).update(id_facts="", updated_at=timezone.now())
    read: list[list[int]] = []
    decrypt = comparison_snapshot.decrypted_fact_codes

    def counting(year: int, keys=None):
        read.append(keys.to_pylist())
        return decrypt(year, keys)

    monkeypatch.setattr(comparison_snapshot, "decrypted_fact_codes", counting)
    again = comparison_snapshot.extract_people(2020, division="")
    assert read == [[legacy.pk]]
    assert again.equals(derived)


def test_every_write_path_stores_the_id_facts(db) -> None:
    """The ORM's save, bulk_create, core.bulk.insert and QuerySet.update with hash_update keep Person.id_facts in
    step with the ID number, as they keep its keyed hash."""
    from sunshine.core import bulk
    from sunshine.core.encrypted_fields import hash_update

    numbers = [f.new_id() for _ in range(4)]
    saved = Person.objects.create(id_number=numbers[0], name="甲")
    Person.objects.bulk_create([Person(id_number=numbers[1], name="乙")])
    bulk.insert(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender"],
                [(bulk.next_pk(Person) + 1000, saved.created_at, saved.created_at, numbers[2], "丙", "")])
    odd = "32032119800230001X"   # 30 February: well formed, no birth date
    Person.objects.filter(pk=saved.pk).update(**hash_update(Person, id_number=odd))
    stored = dict(Person.objects.values_list("id_number_hash", "id_facts"))
    codes = id_fact_codes(pa.array([odd, *numbers[1:3]])).to_pylist()
    assert [stored[keyed_hash(n)] for n in (odd, *numbers[1:3])] == codes
    assert codes[0] == "0m" and all(len(c) == 10 for c in codes[1:])


@transactional
def test_an_edit_invalidates(committed) -> None:
    before = ys.year_tables(2020)
    services.update_household_year(actor=committed["actor"], household_year=committed["a"],
                                   wage_income=Decimal("99999.00"))
    after = ys.year_tables(2020)
    assert after.stamp != before.stamp and not after.from_cache
    wages = dict(zip(after.households.column("household_key").to_pylist(),
                     after.households.column("wage_income").to_pylist(), strict=True))
    assert wages[committed["a"].household_id] == Decimal("99999.00")
    # The superseded snapshot is gone from the data dir.
    assert [p.name for p in ys.year_directory(2020).iterdir()] == [after.stamp]


@transactional
def test_a_change_to_a_person_invalidates_every_year(committed) -> None:
    before = ys.year_tables(2020)
    person = Person.objects.get(name="甲户主")
    person.name = "甲户主改"
    person.save()
    after = ys.year_tables(2020)
    assert after.stamp != before.stamp and "甲户主改" in after.members.column("name").to_pylist()


@transactional
def test_a_delete_invalidates(committed) -> None:
    before = ys.year_tables(2020)
    MemberYear.objects.filter(household_year=committed["a"]).exclude(relation="head").first().delete()
    after = ys.year_tables(2020)
    assert after.stamp != before.stamp and after.members.num_rows == before.members.num_rows - 1


@transactional
def test_an_import_invalidates(committed, tmp_path: Path) -> None:
    before = ys.year_tables(2020)
    hs, ms = ts.sample(2, village=f.VILLAGE_A, prefix="IMP")
    files = ImportFiles(ts.write_csv(tmp_path / "h.csv", HOUSEHOLDS, hs), ts.write_csv(tmp_path / "m.csv", MEMBERS, ms),
                        None)
    assert import_registry(files, actor=committed["actor"], year=2020).result.written
    after = ys.year_tables(2020)
    assert after.stamp != before.stamp
    assert after.households.num_rows == 4 and after.members.num_rows == 11


@transactional
def test_another_year_is_not_invalidated_by_an_edit_of_its_year_rows(committed) -> None:
    other = ys.year_tables(2019)
    HouseholdYear.objects.get(pk=committed["a"].pk).save()   # a 2020 row
    assert ys.year_tables(2019).stamp == other.stamp


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_cached(committed) -> None:
    """Rows read inside a transaction may be rolled back: never stored, never served from the cache."""
    with transaction.atomic():
        first = ys.year_tables(2020)
        ys.year_tables(2020)
    assert first.stamp == "" and len(committed["calls"]) == 2
    assert not ys.year_directory(2020).exists()


@transactional
def test_the_cache_can_be_switched_off(committed, monkeypatch) -> None:
    monkeypatch.setenv(ys.CACHE_ENV, "0")
    ys.year_tables(2020)
    ys.year_tables(2020)
    assert len(committed["calls"]) == 2


@transactional
def test_the_process_keeps_what_it_read_within_its_limit(committed, monkeypatch) -> None:
    """The runs of a year in one process read the cached files once; with SUNSHINE_SNAPSHOT_MEMORY_MB=0 every
    run reads them; a new stamp's tables replace the old ones in memory as on disk."""
    first = ys.year_tables(2020)
    reads: list[str] = []
    read = ys.pq.read_table
    monkeypatch.setattr(ys.pq, "read_table", lambda path, *a, **k: reads.append(Path(path).name) or read(path, *a, **k))
    again = ys.year_tables(2020)
    assert again.from_cache and reads == [] and again.members.equals(first.members)

    monkeypatch.setenv(ys.MEMORY_ENV, "0")
    ys.forget_memory()
    ys.year_tables(2020)
    ys.year_tables(2020)
    assert sorted(reads) == sorted([f"{name}.parquet" for name in ys.TABLES] * 2)

    monkeypatch.delenv(ys.MEMORY_ENV)
    ys.year_tables(2020)
    person = Person.objects.get(name="甲户主")
    person.name = "改名"
    person.save()
    changed = ys.year_tables(2020)
    assert changed.stamp != first.stamp and "改名" in changed.members.column("name").to_pylist()
    assert all(first.stamp not in key for key in ys._memory)


def test_the_migration_fills_the_codes_of_rows_written_before(db) -> None:
    """0010 derives the code of every person already registered from their decrypted ID."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("sunshine.registry.migrations.0010_person_id_facts")
    numbers = [f.new_id() for _ in range(3)] + ["3203211980010100"]
    people = [Person.objects.create(id_number=n, name=f"人{i}") for i, n in enumerate(numbers)]
    Person.objects.update(id_facts="")
    migration.BATCH, batch = 2, migration.BATCH   # more than one batch
    try:
        migration.fill(apps, SimpleNamespace(connection=connection))   # all it uses of a schema editor
    finally:
        migration.BATCH = batch
    stored = dict(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "id_facts"))
    assert [stored[p.pk] for p in people] == id_fact_codes(pa.array(numbers)).to_pylist()
    assert stored[people[-1].pk] == "-"


def test_positions_of_dense_and_sparse_keys() -> None:
    wanted = pa.array([7, 3, 5], pa.int64())
    assert ys.positions(pa.chunked_array([[5, 7], [3, 4, 100, 0]], pa.int64()), wanted).tolist() == [2, 0, 1, -1, -1,
                                                                                                    -1]
    sparse = pa.array([10**12, 3, 5], pa.int64())   # keys far apart: looked up by hash, not by an array of the range
    assert ys.positions(pa.array([5, 10**12, 4], pa.int64()), sparse).tolist() == [2, 0, -1]
    assert ys.positions(pa.array([1], pa.int64()), pa.array([], pa.int64())).tolist() == [-1]


@transactional
def test_members_carry_their_persons_and_households_columns(committed) -> None:
    """The members table, read as three queries joined by key, is what one query joining the tables gives."""
    members = ys.year_tables(2020).members
    expected = MemberYear.objects.filter(year=2020).order_by("pk").values_list(
        "pk", "person_id", "person__name", "person__id_number_hash", "household_year__household_id",
        "household_year__household__household_no", "household_year__household__village_id", "household_year__status")
    columns = ["member_key", "person_key", "name", "id_hash", "household_key", "household_no", "village_code",
               "household_status"]
    assert list(zip(*(members.column(c).to_pylist() for c in columns), strict=True)) == [tuple(r) for r in expected]
    assert members.num_rows == 5


@transactional
def test_a_year_written_between_its_queries_is_read_again(committed, monkeypatch) -> None:
    """The five queries are separate reads: when a member-year's person is not among the people read (written in
    between), the year is read again; a year written during every read is an error, not a table with holes."""
    real = ys.fetch_arrow_many
    reads: list[int] = []

    def missing_a_person(requests):  # noqa: ANN001, ANN202
        households, villages, member_years, people, household_years = real(requests)
        reads.append(1)
        return [households, villages, member_years, people.slice(1) if len(reads) == 1 else people, household_years]

    monkeypatch.setattr(ys, "fetch_arrow_many", missing_a_person)
    assert ys._extract(2020, "")["members"].num_rows == 5 and len(reads) == 2

    def always_missing(requests):  # noqa: ANN001, ANN202
        tables = real(requests)
        return [*tables[:3], tables[3].slice(1), tables[4]]

    monkeypatch.setattr(ys, "fetch_arrow_many", always_missing)
    with pytest.raises(RuntimeError, match="written during each"):
        ys._extract(2020, "")
