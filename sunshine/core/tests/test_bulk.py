"""The shared bulk-write path (sunshine.core.bulk) that the importer and the demo generator both use."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from sunshine.core import bulk, encrypted_fields
from sunshine.core.crypto import is_sealed, keyed_hash
from sunshine.core.encrypted_fields import seal_rows, sealing_once
from sunshine.registry.models import Person
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def _now() -> dt.datetime:
    return timezone.now()


def test_insert_takes_a_generator_and_seals_encrypted_columns() -> None:
    ids = bulk.IdAllocator(Person).take(2)
    numbers = [f.new_id(dt.date(1980, 1, 2)), f.new_id(dt.date(1981, 3, 4))]
    rows = ((pk, _now(), _now(), number, name, "male", dt.date(1980, 1, 2))
            for pk, number, name in zip(ids, numbers, ("张三", "李四"), strict=True))
    cols = bulk.columns(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"])
    bulk.insert(Person, cols, rows)
    stored = dict(Person.objects.filter(pk__in=ids).values_list("name", "id_number"))
    assert stored == {"张三": numbers[0], "李四": numbers[1]}
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, id_number_hash FROM registry_person WHERE id = %s", [ids[0]])
        sealed, digest = cur.fetchone()
    assert is_sealed(sealed) and digest == keyed_hash(numbers[0])



def test_rows_sealed_beforehand_are_written_as_sealed() -> None:
    """The importer seals a chunk's rows in the thread that prepares it; ``insert(sealed=True)`` writes those
    very ciphertexts and hashes (nothing encrypted twice, no column added twice)."""
    ids = bulk.IdAllocator(Person).take(2)
    numbers = [f.new_id(dt.date(1982, 1, 2)), f.new_id(dt.date(1983, 3, 4))]
    cols = bulk.columns(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"])
    with sealing_once():
        sealed_cols, rows = seal_rows(Person, tuple(cols), [
            (pk, _now(), _now(), number, name, "male", dt.date(1982, 1, 2))
            for pk, number, name in zip(ids, numbers, ("张三", "李四"), strict=True)])
    assert len(sealed_cols) > len(cols) and all(is_sealed(r[cols.index("id_number")]) for r in rows)
    bulk.insert(Person, sealed_cols, rows, sealed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT id, id_number, id_number_hash FROM registry_person WHERE id IN (%s, %s)", ids)
        stored = {pk: (text, digest) for pk, text, digest in cur.fetchall()}
    assert stored == {r[0]: (r[cols.index("id_number")], keyed_hash(n)) for r, n in zip(rows, numbers, strict=True)}
    assert dict(Person.objects.filter(pk__in=ids).values_list("name", "id_number")) == {
        "张三": numbers[0], "李四": numbers[1]}


def test_sealing_once_holds_in_its_own_thread_only() -> None:
    """The importer's writing thread and its preparing thread each seal inside their own ``sealing_once``: one
    thread's block neither lends its values to the other nor outlives its own end there."""
    number = f.new_id(dt.date(1984, 5, 6))

    def sealed() -> str:
        return seal_rows(Person, ("id_number",), [(number,)])[1][0][0]

    found: dict[str, object] = {}
    entered, left = threading.Event(), threading.Event()

    def other() -> None:
        with sealing_once():
            found["first"], found["again"] = sealed(), sealed()
            entered.set()
            left.wait(5)
        found["after"] = encrypted_fields._sealing.__dict__.get("memo")

    with sealing_once():
        mine = sealed()
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(5)
        assert sealed() == mine                                   # this thread's block: one ciphertext
        assert found["first"] == found["again"] != mine           # the other's: its own, not this one's
        left.set()
        thread.join(5)
        assert sealed() == mine                                   # the other block's end left this one alone
    assert found["after"] is None and encrypted_fields._sealing.__dict__.get("memo") is None
    assert sealed() != sealed()                                   # outside any block: sealed afresh each time


def test_text_insert_takes_database_text_values() -> None:
    """The demo generator's rows carry ISO text dates: text COPY on PostgreSQL, executemany on SQLite."""
    pk = bulk.next_pk(Person)
    now = connection.ops.adapt_datetimefield_value(_now())
    bulk.insert(Person, bulk.columns(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender",
                                           "birth_date"]),
                iter([(pk, now, now, f.new_id(), "王五", "", "1990-05-06")]), binary=False)
    bulk.reset_sequences([Person])
    assert Person.objects.get(pk=pk).birth_date == dt.date(1990, 5, 6)
    # The sequence moved past the explicit key: the ORM's next row does not collide.
    assert Person.objects.create(id_number=f.new_id(dt.date(1991, 1, 1)), name="赵六").pk > pk


def test_update_delete_set_value_and_any_of() -> None:
    ids = bulk.IdAllocator(Person).take(3)
    now = _now()
    bulk.insert(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender"],
                [(pk, now, now, f.new_id(dt.date(1970, 1, i + 1)), f"人{i}", "") for i, pk in enumerate(ids)])
    bulk.update(Person, ["name"], [("改名", ids[0])])
    bulk.set_value(Person, "gender", "female", ids[1:])
    assert list(Person.objects.filter(pk__in=bulk.any_of(ids, "int")).order_by("pk").values_list(
        "name", "gender")) == [("改名", ""), ("人1", "female"), ("人2", "female")]
    bulk.delete(Person, ids[2:])
    assert Person.objects.filter(pk__in=ids).count() == 2
    bulk.delete_where_pk_in(Person, Person.objects.filter(pk=ids[1]))
    assert list(Person.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [ids[0]]


def test_any_of_matches_text_exactly_whatever_it_contains() -> None:
    # Household numbers are free text: quotes, backslashes, commas, braces and spaces must not split or
    # join elements of the array PostgreSQL is sent (SQLite gets JSON).
    awkward = ['a","b', 'c\\d', '{e}', ' f ', 'NULL', '甲,乙', '"', '\\', '']
    now = _now()
    ids = bulk.IdAllocator(Person).take(len(awkward))
    bulk.insert(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender"],
                [(pk, now, now, f.new_id(dt.date(1960, 1, i + 1)), name, "") for i, (pk, name) in
                 enumerate(zip(ids, awkward, strict=True))])
    for wanted in (awkward, awkward[:1], ['a', 'b'], [], ['a","b', 'x']):
        found = Person.objects.filter(name__in=bulk.any_of(wanted)).values_list("name", flat=True)
        assert sorted(found) == sorted(set(wanted) & set(awkward)), wanted
    assert list(Person.objects.filter(pk__in=bulk.any_of([], "int"))) == []


def test_id_allocator_never_reuses_keys() -> None:
    alloc = bulk.IdAllocator(Person)
    first, second = alloc.take(2), alloc.take(1)
    assert first[1] < second[0] and alloc.take(0) == []


def test_large_cache_restores_the_setting() -> None:
    if connection.vendor != "sqlite":
        with bulk.large_cache():
            return
    connection.ensure_connection()
    before = connection.connection.execute("PRAGMA cache_size").fetchone()[0]
    with bulk.large_cache(64):
        assert connection.connection.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
    assert connection.connection.execute("PRAGMA cache_size").fetchone()[0] == before


def test_statistics_follow_a_table_the_load_grows() -> None:
    """PostgreSQL: ANALYZE inside the load's transaction whenever the load has doubled a table since its
    statistics (the planner then sees the rows the transaction inserted); SQLite has nothing to keep."""
    statistics = bulk.Statistics([Person])
    if connection.vendor != "postgresql":
        statistics.grew({Person: 50_000})
        assert statistics.rows == {}
        return
    cols = bulk.columns(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"])

    def load(n: int) -> float:
        ids = bulk.IdAllocator(Person).take(n)
        bulk.insert(Person, cols, ((pk, _now(), _now(), f"T{pk:017d}", "甲", "", None) for pk in ids))
        statistics.grew({Person: n})
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_person'")
            return cur.fetchone()[0]

    def near_count(estimate: float) -> bool:
        return abs(estimate - Person.objects.count()) <= 0.05 * Person.objects.count()

    start = statistics.rows[Person]   # the last statistics' estimate (other tests' rows may be gone since)
    first = int(max(start, bulk.Statistics.MIN_ROWS)) + 1000
    analysed = load(first)
    assert near_count(analysed)                     # doubled: analysed, the transaction's own rows counted
    assert load(100) == analysed                    # not doubled again: the statistics are left as they are
    assert near_count(load(int(start) + first + 200))


def test_write_history_copies_each_row_as_stored_with_when_why_what_and_who(users) -> None:
    ids = bulk.IdAllocator(Person).take(2)
    now = _now()
    numbers = [f.new_id(dt.date(1970, 5, 6)), f.new_id(dt.date(1971, 7, 8))]
    bulk.insert(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"],
                [(pk, now, now, number, name, "female", dt.date(1970, 5, 6))
                 for pk, number, name in zip(ids, numbers, ("王五", "赵六"), strict=True)])
    actor = users["county"]
    when = connection.ops.adapt_datetimefield_value(now)
    bulk.write_history(Person, Person.history.model, ids, when=when, reason="批量导入", kind="+", user_id=actor.pk)
    bulk.write_history(Person, Person.history.model, ids[:1], when=when, reason="批量导入", kind="-",
                       user_id=actor.pk)
    bulk.delete(Person, ids[:1])
    rows = Person.history.filter(id__in=ids).order_by("history_id")
    assert [(h.id, h.history_type, h.history_user_id, h.history_change_reason) for h in rows] == [
        (ids[0], "+", actor.pk, "批量导入"), (ids[1], "+", actor.pk, "批量导入"), (ids[0], "-", actor.pk, "批量导入")]
    for h in rows:  # the sealed number and its hash copied as stored: the history row reads back the same person
        assert (h.id_number, h.id_number_hash, h.name) == (
            numbers[ids.index(h.id)], keyed_hash(numbers[ids.index(h.id)]), ("王五", "赵六")[ids.index(h.id)])
        assert h.history_date == now and h.created_at == now
    assert not Person.objects.filter(pk=ids[0]).exists()
    bulk.write_history(Person, Person.history.model, [], when=when, reason="", kind="~", user_id=None)


def test_write_history_of_a_range_of_keys_or_of_keys_apart_copies_exactly_those_rows(users) -> None:
    """Keys that are every key from the lowest to the highest are copied by range; others by key. Either way
    exactly the rows named, not their neighbours."""
    ids = bulk.IdAllocator(Person).take(6)
    assert ids == list(range(ids[0], ids[0] + 6))
    now = _now()
    bulk.insert(Person, ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"],
                [(pk, now, now, f.new_id(dt.date(1970, 1, 1 + i)), f"人{i}", "female", dt.date(1970, 1, 1 + i))
                 for i, pk in enumerate(ids)])
    when = connection.ops.adapt_datetimefield_value(now)

    def copied(keys: list[int], kind: str) -> list[int]:
        bulk.write_history(Person, Person.history.model, keys, when=when, reason="r", kind=kind, user_id=None)
        return sorted(Person.history.filter(id__in=ids, history_type=kind).values_list("id", flat=True))

    assert copied(ids[1:4], "+") == ids[1:4]                     # a range: not ids[0] nor ids[4]
    assert copied([ids[0], ids[2], ids[5]], "~") == [ids[0], ids[2], ids[5]]   # apart
    # as many keys as the range from the lowest to the highest is long, but one twice: not the one between
    assert copied([ids[3], ids[3], ids[5]], "-") == [ids[3], ids[5]]


def test_insert_objects_stores_every_value_as_the_orms_save_would(users) -> None:
    """The values a field passes through unchanged skip get_db_prep_save; the others (an int for a float, a
    choices member, a decimal, a date, JSON, the ID) still take it: both rows must read back the same."""
    from decimal import Decimal

    from sunshine.comparison.choices import FindingStatus
    from sunshine.comparison.models import Finding
    from sunshine.comparison.tests.factories import make_run

    run = make_run(actor=users["county"])
    number = f.new_id()

    def finding(fingerprint: str) -> Finding:
        return Finding(rule="C-DEAD", severity="high", year=2020, division_id=f.COUNTY, id_number=number,
                       name="甲", dataset="deaths", evidence=[{"身份证号": number, "金额": "1.50"}], match="exact",
                       probability=1, amount=Decimal("12.50"), explanation="说明", fingerprint=fingerprint,
                       status=FindingStatus.PENDING, deadline=dt.date(2026, 2, 9), first_run=run, last_run=run)

    by_orm = finding("a" * 64)
    by_orm.save()
    bulk.insert_objects(Finding, [inserted := finding("b" * 64)])
    assert inserted.created_at is not None and inserted.updated_at == inserted.created_at

    skip = {"id", "fingerprint", "created_at", "updated_at", "id_number", "evidence"}  # sealed: random nonces
    names = [fld.column for fld in Finding._meta.concrete_fields if fld.column not in skip]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(names)} FROM comparison_finding WHERE fingerprint IN (%s, %s) "  # noqa: S608
                    "ORDER BY fingerprint", ["a" * 64, "b" * 64])
        orm_row, bulk_row = cur.fetchall()
    assert dict(zip(names, bulk_row, strict=True)) == dict(zip(names, orm_row, strict=True))
    back = Finding.objects.get(fingerprint="b" * 64)
    assert (back.id_number, back.evidence, back.probability) == (number, by_orm.evidence, 1.0)
    assert type(back.probability) is float and back.status == FindingStatus.PENDING


_PERSON_COLUMNS = ["id", "created_at", "updated_at", "id_number", "name", "gender", "birth_date"]


def _people(n: int, *, analysed: bool = True) -> float:
    """``n`` more persons (through ``bulk.insert``, or around its statistics step), then what pg_class knows."""
    ids = bulk.IdAllocator(Person).take(n)
    rows = [(pk, _now(), _now(), f"T{pk:017d}", "甲", "", None) for pk in ids]
    write = bulk.insert if analysed else (lambda *a: bulk._write(*a, binary=True))
    write(Person, bulk.columns(Person, _PERSON_COLUMNS), rows)
    return _known()


def _known() -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = 'registry_person'")
        return cur.fetchone()[0]


def _near_count(estimate: float) -> bool:
    return abs(estimate - Person.objects.count()) <= 0.05 * Person.objects.count()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_a_bulk_write_that_grows_a_table_by_a_tenth_analyses_it(monkeypatch) -> None:
    """Right after a run stores its results (or an import a third year) the next statements must be planned for
    the rows just written, not for what autovacuum last saw: a write of a tenth of a table's known rows or more
    (and MIN_ROWS at least) analyses it; smaller writes leave the statistics alone."""
    monkeypatch.setattr(bulk, "MIN_ROWS", 10)
    _people(400)
    bulk.analyze([Person])
    known = _known()
    assert _people(int(0.05 * known), analysed=True) == known      # a twentieth: left to autovacuum
    assert _near_count(_people(int(0.2 * known) + 10))              # a fifth: analysed now
    assert bulk.analyze_grown({Person: 5}) is None                  # under MIN_ROWS: nothing asked


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_end_of_a_load_analyses_the_tables_it_grew_by_a_tenth(monkeypatch) -> None:
    """A third year adds half of what the member table held: ``grew`` (doubling) never analyses it, ``finish``
    does."""
    monkeypatch.setattr(bulk.Statistics, "MIN_ROWS", 10)
    _people(400)
    bulk.analyze([Person])
    statistics = bulk.Statistics([Person])
    known = statistics.rows[Person]
    added = int(0.5 * known)
    assert _people(added, analysed=False) == known
    statistics.grew({Person: added})
    assert statistics.analysed[Person] == known                     # not doubled: not analysed
    statistics.finish()
    assert _near_count(_known())
