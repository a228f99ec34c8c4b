"""apply_registry: round trip with a demo region, idempotent re-import, updates with history, partial
imports, all-or-nothing, scope, members removed, heads changed and people moved between households."""

from __future__ import annotations

import csv
import filecmp
import sys
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from sunshine.core.choices import Role
from sunshine.core.crypto import keyed_hash
from sunshine.core.models import Division
from sunshine.registry import choices as c
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES
from sunshine.registry.transfer.export import export_year
from sunshine.registry.transfer.pipeline import ImportFiles, import_registry
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.transfer.validate import validate_registry
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
HISTORY = (Household, HouseholdYear, Person, MemberYear, VillageYear, Division)


def history_counts() -> dict[str, int]:
    return {m.__name__: m.history.count() for m in HISTORY}


def registry_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Household, HouseholdYear, Person, MemberYear, VillageYear))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict[str, str]], fields: list[str] | None = None) -> Path:
    fields = fields or list(rows[0])
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(paths: dict[str, Path], actor: Any, *, partial: bool = False, villages: bool = False, year: int = 2020):
    files = ImportFiles(paths["households"], paths["members"], paths["villages"] if villages else None)
    return import_registry(files, actor=actor, partial=partial, year=year).result


def wipe_synthetic(county6: str = "320321") -> None:
    """Everything the demo generated (divisions, registry rows, history): an empty registry."""
    from sunshine.demo.db import delete_synthetic

    delete_synthetic(county6)
    assert registry_counts() == (0, 0, 0, 0, 0)


def xlsx_values(path: Path) -> list[list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]


# ---- round trip with a demo region ----

@pytest.fixture
def demo(db):
    from sunshine.demo.generator import generate_region

    generate_region(households=300, seed=1)
    return f.make_user("county_admin", Role.ADMIN, "320000000000")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_round_trip_export_import_export_gives_identical_files(demo, tmp_path, fmt):
    first = export_year(2020, tmp_path / "first", fmt, unmasked=True)
    counts = registry_counts()
    hy = HouseholdYear.objects.filter(year=2020).count()
    members = MemberYear.objects.filter(year=2020).count()
    wipe_synthetic()

    result = run(first, demo, villages=True)
    assert result.written and not result.errors
    assert result.households_created == hy and result.members_created == members
    assert result.villages_created == VillageYear.objects.count() > 0
    assert HouseholdYear.objects.count() == hy < counts[1]  # only the year exported

    second = export_year(2020, tmp_path / "second", fmt, unmasked=True)
    for name in ("households", "members", "villages"):
        if fmt == "xlsx":
            assert xlsx_values(first[name]) == xlsx_values(second[name]), name
        else:
            assert filecmp.cmp(first[name], second[name], shallow=False), name


def test_identical_reimport_changes_nothing(demo, tmp_path):
    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    wipe_synthetic()
    run(paths, demo, villages=True)
    before, rows = history_counts(), registry_counts()
    stamps = set(HouseholdYear.objects.values_list("updated_at", flat=True))

    result = run(paths, demo, villages=True)
    assert result.written and not result.errors
    assert result.households_created == result.households_updated == 0
    assert result.households_unchanged == HouseholdYear.objects.count()
    assert result.members_written == result.members_deleted == result.villages_written == 0
    assert history_counts() == before and registry_counts() == rows
    assert set(HouseholdYear.objects.values_list("updated_at", flat=True)) == stamps


def test_first_import_writes_one_history_row_per_row_with_the_actor(demo, tmp_path):
    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    wipe_synthetic()
    run(paths, demo, villages=True)
    for model in (Household, HouseholdYear, Person, MemberYear, VillageYear):
        history = model.history.all()
        assert history.count() == model.objects.count(), model
        assert set(history.values_list("history_user_id", "history_type").distinct()) == {(demo.pk, "+")}
    record = HouseholdYear.objects.first()
    assert [h.history_type for h in record.history.all()] == ["+"]
    assert record.history.first().wage_income == record.wage_income



def test_a_year_not_registered_yet_is_checked_without_hashing_its_people(demo, tmp_path, monkeypatch):
    """Nobody can move between households, or stop being head, in a year the registry does not have yet: the checks
    ask once whether the year has members, and neither hash the file's ID numbers nor look them up (a province's new
    year spent ≈ 10 s there before writing). The write still hashes each number as it looks the people up; a year
    already registered is checked person by person as before."""
    from sunshine.registry.transfer import checks

    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    stored = dict(Person.objects.values_list("id_number", "id_number_hash"))
    wipe_synthetic()
    hashed: list[str] = []

    def counted(value: str | None) -> str:
        caller = sys._getframe(1)
        if "_check_memberships" in (caller.f_code.co_name, caller.f_back.f_code.co_name):  # (a comprehension's frame)
            hashed.append(value or "")
        return keyed_hash(value)

    monkeypatch.setattr(checks, "keyed_hash", counted)
    result = run(paths, demo, villages=True)
    assert result.written and not result.errors and result.members_created == MemberYear.objects.count() > 0
    assert hashed == []
    after = dict(Person.objects.values_list("id_number", "id_number_hash"))   # 2020's people, hashed as before
    assert after and after == {number: stored[number] for number in after}

    again = run(paths, demo, villages=True)          # now registered: every member looked up by its hash
    assert again.written and not again.errors and again.households_unchanged == HouseholdYear.objects.count()
    assert len(hashed) == MemberYear.objects.count()


def _plan(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cur.fetchall())
        # Tiny tables are cheaper to read whole (a scan, or a merge join over a whole index): without those
        # choices the plan shows whether the look-up can search an index, as it does on a province's tables.
        switches = ("enable_seqscan", "enable_mergejoin", "enable_hashjoin")
        for name in switches:
            cur.execute(f"SET LOCAL {name} = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
        for name in switches:
            cur.execute(f"SET LOCAL {name} = on")
        return plan


def test_an_import_looks_members_up_by_index(demo, tmp_path):
    """Each chunk's look-up of the rows already registered searches an index by its keys: once it scanned the whole
    member table per chunk (an OR of two IN-subqueries, which PostgreSQL cannot combine into index scans), and a
    year in the look-up let PostgreSQL read every row of the year being imported (its statistics said none) —
    each made a province's import minutes slower."""
    from django.db import connection

    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    queries: list[tuple[str, Any]] = []
    lookups: list[str] = []

    def capture(execute, sql, params, many, context):
        writer = {frame.name for frame in traceback.extract_stack()} & {"_household_years", "_member_years"}
        if writer and sql.startswith("SELECT"):   # the writer's look-ups (apply.py), chunk by chunk
            lookups.append(sql)
            if 'FROM "registry_memberyear"' in sql:
                queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        result = run(paths, demo, villages=True)
    assert result.written and not result.errors
    assert len(queries) >= 2
    assert not [sql for sql in lookups if '"year" IN' in sql or '"year" =' in sql]
    for sql, params in queries:
        plan = _plan(sql, params)
        # Every step that reads the member table searches an index by a condition (not a scan of all of it).
        steps = [step for step in plan.split("->") if " on registry_memberyear" in step or "registry_memberyear" in
                 step.split("\n")[0]] if connection.vendor == "postgresql" else plan.split("\n")
        for step in steps:
            if connection.vendor == "postgresql":
                assert "Index Cond" in step, (sql, plan)
            else:
                assert not step.startswith("SCAN registry_memberyear"), (sql, plan)


# ---- small files made from the test region ----

@pytest.fixture
def files(users, household_a, household_b, tmp_path):
    """The 2020 files of the test region (households A and B), in full."""
    return export_year(2020, tmp_path / "files", "csv", unmasked=True)


def edit(path: Path, change) -> Path:
    rows = read_csv(path)
    rows = [r for r in (change(dict(r)) for r in rows) if r is not None]
    return write_csv(path, rows, list(read_csv(path)[0]))


def test_a_changed_value_updates_in_place_with_one_history_row(users, files, household_a):
    county = users["county"]
    before = history_counts()
    no = household_a.household.household_no

    def richer(row):
        if row["户编号"] == no:
            row["工资性收入"] = "15000.00"
        return row

    edit(files["households"], richer)
    result = run(files, county)
    assert (result.households_updated, result.households_unchanged, result.households_created) == (1, 1, 0)
    record = HouseholdYear.objects.get(pk=household_a.pk)
    assert record.wage_income == Decimal("15000.00")
    after = history_counts()
    assert after["HouseholdYear"] == before["HouseholdYear"] + 1
    assert {k: v for k, v in after.items() if k != "HouseholdYear"} == \
        {k: v for k, v in before.items() if k != "HouseholdYear"}
    latest = record.history.first()
    assert (latest.history_type, latest.history_user_id, latest.wage_income) == ("~", county.pk, Decimal("15000.00"))


def test_a_member_left_out_or_added_is_refused_naming_the_change_case(users, files, household_a):
    """Members of a household-year already registered join and leave through 自然变更 (issue 11): the import
    used to delete the member left out and add the newcomer."""
    no = household_a.household.household_no
    gone = household_a.members.exclude(relation=c.Relation.HEAD).select_related("person").first()
    newcomer = f.new_id(male=False)

    rows = read_csv(files["members"])
    kept = [r for r in rows if r["身份证号"] != gone.person.id_number]
    baby = dict(next(r for r in kept if r["户编号"] == no and r["与户主关系"] == "子女"))
    baby.update({"姓名": "新成员", "身份证号": newcomer, "性别": "女", "出生日期": "1970-05-17"})
    write_csv(files["members"], [*kept, baby])

    before, counts = history_counts(), registry_counts()
    result = run(files, users["county"])
    assert not result.written
    assert sorted((e.file, e.column) for e in result.errors) == [("households.csv", "户编号"),
                                                                 ("members.csv", "身份证号")]
    assert all("自然变更" in e.message for e in result.errors)
    assert history_counts() == before and registry_counts() == counts


def test_head_swapped_within_a_household_and_person_moved_between_households(users, files, household_a,
                                                                          household_b):
    a_no, b_no = household_a.household.household_no, household_b.household.household_no
    a_head = household_a.members.get(relation=c.Relation.HEAD).person
    a_child = household_a.members.exclude(relation=c.Relation.HEAD).first().person
    b_head = household_b.members.get(relation=c.Relation.HEAD).person

    def members(row):
        if row["身份证号"] == a_head.id_number:          # A's head stays, as a parent
            row["与户主关系"] = "父母"
        elif row["身份证号"] == a_child.id_number:       # A's child becomes A's head
            row["与户主关系"] = "户主"
        return row

    def households(row):
        if row["户编号"] == a_no:
            row.update({"户主姓名": a_child.name, "户主身份证号": a_child.id_number})
        return row

    edit(files["members"], members)
    edit(files["households"], households)
    result = run(files, users["county"])
    assert not result.errors, result.errors
    assert result.households_updated == 1
    head_a = MemberYear.objects.get(household_year=household_a, relation=c.Relation.HEAD)
    assert head_a.person == a_child
    assert MemberYear.objects.get(person=a_head, year=2020).relation == c.Relation.PARENT
    assert HouseholdYear.objects.get(pk=household_a.pk).head_id_number == a_child.id_number
    # A second run of the same files changes nothing.
    before = history_counts()
    again = run(files, users["county"])
    assert again.households_unchanged == 2 and history_counts() == before

    # Moving A's old head to B (a move out and a move in) is a change case for each, not an import.
    edit(files["members"], lambda row: {**row, "户编号": b_no} if row["身份证号"] == a_head.id_number else row)
    moved = run(files, users["county"])
    assert not moved.written and {e.file for e in moved.errors} == {"households.csv", "members.csv"}
    assert MemberYear.objects.get(person=a_head, year=2020).household_year_id == household_a.pk
    assert MemberYear.objects.get(household_year=household_b, relation=c.Relation.HEAD).person == b_head


def _break_member(files: dict[str, Path], household_no: str, spare: str = "") -> None:
    def bad(row):
        if row["户编号"] == household_no and row["与户主关系"] != "户主" and row["身份证号"] != spare:
            row["身份证号"] = row["身份证号"][:-1] + ("0" if row["身份证号"][-1] != "0" else "1")  # checksum
        return row

    edit(files["members"], bad)


def _add_new_household(files: dict[str, Path], household_no: str, village: str) -> str:
    head_id = f.new_id()
    hh = read_csv(files["households"])
    template = dict(hh[0])
    template.update({"户编号": household_no, "区划代码": village, "户主姓名": "新户主", "户主身份证号": head_id})
    write_csv(files["households"], [*hh, template])
    members = read_csv(files["members"])
    head = dict(next(r for r in members if r["与户主关系"] == "户主"))
    head.update({"户编号": household_no, "姓名": "新户主", "身份证号": head_id, "性别": "男", "出生日期": "1970-05-17"})
    write_csv(files["members"], [*members, head])
    return head_id


def test_all_or_nothing_writes_nothing_on_any_error(users, files, household_a):
    _add_new_household(files, "NEW0001", f.VILLAGE_A)
    _break_member(files, household_a.household.household_no)
    before, rows = history_counts(), registry_counts()
    result = run(files, users["county"])
    assert not result.written and len(result.errors) == 2  # two children of A with a bad checksum
    assert {e.column for e in result.errors} == {"身份证号"}
    assert history_counts() == before and registry_counts() == rows
    assert not Household.objects.filter(household_no="NEW0001").exists()


def test_partial_writes_valid_households_and_skips_a_household_with_one_bad_member(users, files, household_a):
    _add_new_household(files, "NEW0002", f.VILLAGE_A)
    no = household_a.household.household_no
    wage = household_a.wage_income

    def changed(row):
        row["工资性收入"] = "99999.00"
        return row

    edit(files["households"], changed)
    _break_member(files, no)
    result = run(files, users["county"], partial=True)
    assert result.written and result.errors
    assert (result.households_created, result.households_updated, result.households_skipped) == (1, 1, 1)
    assert Household.objects.filter(household_no="NEW0002").exists()
    assert HouseholdYear.objects.get(pk=household_a.pk).wage_income == wage   # skipped whole
    assert HouseholdYear.objects.filter(wage_income=Decimal("99999.00")).count() == 2  # B and the new one


def test_clerk_cannot_import_a_household_of_another_village(users, files, household_b):
    clerk = users["clerk"]  # village A
    b_no = household_b.household.household_no
    only_b = {
        "households": write_csv(files["households"], [r for r in read_csv(files["households"]) if r["户编号"] == b_no]),
        "members": write_csv(files["members"], [r for r in read_csv(files["members"]) if r["户编号"] == b_no]),
    }
    before, rows = history_counts(), registry_counts()
    result = run(only_b, clerk)
    assert not result.written
    assert [(e.row, e.column) for e in result.errors] == [(2, "区划代码")]
    # A new household in village B, with A's own new household next to it: only A's is written.
    _add_new_household(only_b, "B-NEW-1", f.VILLAGE_B)
    _add_new_household(only_b, "A-NEW-1", f.VILLAGE_A)
    result = run(only_b, clerk, partial=True)
    assert (result.households_skipped, result.households_created) == (2, 1)
    assert [(e.row, e.column) for e in result.errors] == [(2, "区划代码"), (3, "区划代码")]
    assert registry_counts()[:2] == (rows[0] + 1, rows[1] + 1)
    assert not Household.objects.filter(household_no="B-NEW-1").exists()
    assert history_counts()["Household"] == before["Household"] + 1


def test_household_number_registered_in_another_village_is_refused(users, files, household_b):
    """A clerk of A cannot take over B's household by importing its 户编号 under village A."""
    b_no = household_b.household.household_no

    def to_a(row):
        if row.get("户编号") == b_no and "区划代码" in row:
            row["区划代码"] = f.VILLAGE_A
        return row

    edit(files["households"], to_a)
    result = run(files, users["clerk"], partial=True)
    assert Household.objects.get(household_no=b_no).village_id == f.VILLAGE_B
    assert any(e.column == "户编号" and "其他村" in e.message for e in result.errors)


def test_actor_who_may_not_edit_is_refused(users, files):
    parsed = validate_registry(households=read_table(files["households"], HOUSEHOLDS),
                               members=read_table(files["members"], MEMBERS))
    from sunshine.registry.transfer.apply import apply_registry

    with pytest.raises(PermissionDenied):
        apply_registry(parsed, actor=users["supervisor"])


def test_partial_skips_both_households_of_a_move_when_one_is_bad(users, files, household_a, household_b):
    """A person moved from A to B, and B has an error: A is skipped too (else the person would vanish)."""
    a_no, b_no = household_a.household.household_no, household_b.household.household_no
    mover = household_a.members.exclude(relation=c.Relation.HEAD).first().person

    def move(row):
        if row["身份证号"] == mover.id_number:
            row["户编号"] = b_no
        return row

    edit(files["members"], move)
    _break_member(files, b_no, spare=mover.id_number)   # B's own child gets a bad checksum
    result = run(files, users["county"], partial=True)
    assert result.households_skipped == 2 and result.households_updated == 0
    assert MemberYear.objects.get(person=mover, year=2020).household_year_id == household_a.pk
    # A's row is refused for the member it loses (a change case), which also keeps it with B.
    assert any(e.column == "户编号" and e.value == a_no and "自然变更" in e.message for e in result.errors)


def test_village_file_creates_township_and_village(users, files, tmp_path):
    village_rows = read_csv(files["villages"]) if files["villages"].stat().st_size else []
    header = [col.header for col in VILLAGES]
    new = {h: "" for h in header}
    new.update({"区划代码": "320321199001", "年度": "2020", "村名": "新建村", "乡镇名称": "新建镇",
                "村集体经济收入": "52000.00", "省定经济薄弱村": "是"})
    write_csv(files["villages"], [*village_rows, new], header)
    result = run(files, users["county"], villages=True)
    assert result.written and not result.errors, result.errors
    assert (result.townships_created, result.villages_created) == (1, 1)
    village = Division.objects.get(code="320321199001")
    assert village.parent.name == "新建镇" and not village.synthetic
    assert VillageYear.objects.get(village=village, year=2020).collective_income == Decimal("52000.00")
    assert Division.history.filter(code="320321199001", history_user=users["county"]).count() == 1
    assert run(files, users["county"], villages=True).villages_written == 0


def test_village_out_of_scope_is_refused(users, files, household_a):
    a_no = household_a.household.household_no
    for name in ("households", "members"):
        write_csv(files[name], [r for r in read_csv(files[name]) if r["户编号"] == a_no])
    header = [col.header for col in VILLAGES]
    new = {h: "" for h in header}
    new.update({"区划代码": "320321102099", "年度": "2020", "村名": "乙镇新村"})
    write_csv(files["villages"], [new], header)
    result = run(files, users["clerk"], villages=True)  # clerk of village A, township 101
    assert not result.written
    assert [(e.file, e.column) for e in result.errors] == [("villages.csv", "区划代码")]
    assert not Division.objects.filter(code="320321102099").exists()


# ---- many chunks: what one chunk writes, the next ones see ----

@pytest.fixture
def small_chunks(monkeypatch):
    from sunshine.registry.transfer import apply

    monkeypatch.setattr(apply, "CHUNK_HOUSEHOLDS", 7)


def test_chunk_after_chunk_round_trip_and_reimport(demo, small_chunks, tmp_path):
    first = export_year(2020, tmp_path / "first", "csv", unmasked=True)
    hy = HouseholdYear.objects.filter(year=2020).count()
    assert hy > 7 * 10   # dozens of chunks
    wipe_synthetic()
    result = run(first, demo, villages=True)
    assert result.written and not result.errors and result.households_created == hy
    second = export_year(2020, tmp_path / "second", "csv", unmasked=True)
    for name in ("households", "members", "villages"):
        assert filecmp.cmp(first[name], second[name], shallow=False), name
    before, rows = history_counts(), registry_counts()
    again = run(first, demo, villages=True)
    assert again.households_unchanged == hy and again.members_written == 0
    assert history_counts() == before and registry_counts() == rows


def test_chunk_after_chunk_with_two_years_in_one_file(demo, small_chunks, tmp_path):
    """Two years in one file: a household and its people appear in two chunks (here adjacent ones), and the later
    chunk must find what the earlier one wrote (the later year's values win for the person)."""
    y19, y20 = (export_year(year, tmp_path / str(year), "csv", unmasked=True) for year in (2019, 2020))
    counts = {year: (HouseholdYear.objects.filter(year=year).count(), MemberYear.objects.filter(year=year).count())
              for year in (2019, 2020)}
    people = Person.objects.filter(memberships__year__in=[2019, 2020]).distinct().count()
    both = {}
    for name in ("households", "members", "villages"):
        # 2020's households in reverse order: the last chunk of 2019 and the first of 2020 hold the same households
        later = read_csv(y20[name])[::-1] if name == "households" else read_csv(y20[name])
        both[name] = write_csv(tmp_path / f"both-{name}.csv", read_csv(y19[name]) + later)
    wipe_synthetic()
    files = ImportFiles(both["households"], both["members"], both["villages"])
    result = import_registry(files, actor=demo).result
    assert result.written and not result.errors, result.errors[:3]
    assert result.households_created == counts[2019][0] + counts[2020][0]
    for year, (households, members) in counts.items():
        assert HouseholdYear.objects.filter(year=year).count() == households
        assert MemberYear.objects.filter(year=year).count() == members
    assert Person.objects.count() == people
    again = import_registry(files, actor=demo).result
    assert again.households_unchanged == result.households_created and again.members_written == 0


def test_an_error_in_the_third_chunk_leaves_nothing(demo, small_chunks, tmp_path, monkeypatch):
    from sunshine.registry.transfer import apply

    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    wipe_synthetic()
    write, calls = apply._ChunkWriter.flush, []

    def failing(self, changes):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("写入失败(测试)")
        write(self, changes)

    monkeypatch.setattr(apply._ChunkWriter, "flush", failing)
    with pytest.raises(RuntimeError, match="写入失败"):
        run(paths, demo, villages=True)
    assert registry_counts() == (0, 0, 0, 0, 0) and len(calls) == 3
