"""An import may not change what only an approved case changes (issue 11): for a household-year already in
the registry, a row changing its status, identification or exit year, a member's status, or adding or
removing a member is refused with a row error naming the case type to open. A year's first import is not."""

from __future__ import annotations

import pytest

from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.registry.tests.test_transfer_apply import edit, history_counts, read_csv, registry_counts, run, write_csv
from sunshine.registry.transfer.export import export_year
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(users, household_a, household_b, tmp_path):
    return export_year(2020, tmp_path / "files", "csv", unmasked=True)


def _household(no, **cells):
    def change(row):
        if row["户编号"] == no:
            row.update(cells)
        return row
    return change


def _child_row(no, child_id, **cells):
    def change(row):
        if row["户编号"] == no and row["身份证号"] == child_id:
            row.update(cells)
        return row
    return change


CASES = [
    # (which file, cells changed, column of the error, case type named)
    ("households", {"状态": "已脱贫", "脱贫年度": "2020"}, "状态", "标注脱贫"),
    ("households", {"状态": "返贫"}, "状态", "返贫"),
    ("households", {"状态": "已销户"}, "状态", "销户"),
    ("households", {"识别年度": "2018"}, "识别年度", "纳入"),
    ("households", {"脱贫年度": "2019"}, "脱贫年度", "标注脱贫"),
    ("members", {"成员状态": "死亡", "变动日期": "2020-05-01"}, "成员状态", "自然变更"),
    ("members", {"成员状态": "迁出"}, "成员状态", "自然变更"),
]


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize(("kind", "cells", "column", "case_type"), CASES)
def test_a_change_only_a_case_may_make_is_a_row_error(users, files, household_a, kind, cells, column, case_type,
                                                      partial):
    no = household_a.household.household_no
    child = household_a.members.exclude(relation=c.Relation.HEAD).select_related("person").first()
    change = _household(no, **cells) if kind == "households" else _child_row(no, child.person.id_number, **cells)
    edit(files[kind], change)
    before, counts = history_counts(), registry_counts()
    result = run(files, users["county"], partial=partial)
    errors = [e for e in result.errors if e.column == column]
    assert len(errors) == 1, result.errors
    assert errors[0].file == f"{kind}.csv" and errors[0].row >= 2 and errors[0].value
    assert f"“{case_type}”案件" in errors[0].message
    row = HouseholdYear.objects.get(pk=household_a.pk)
    assert (row.status, row.exit_year, row.identified_year) == (c.HouseholdStatus.IN_POVERTY, None, 2016)
    assert MemberYear.objects.get(pk=child.pk).member_status == c.MemberStatus.ACTIVE
    if partial:  # B, unchanged, is still imported; A is skipped whole
        assert result.written and result.households_skipped == 1
    else:
        assert not result.written and history_counts() == before and registry_counts() == counts


@pytest.mark.parametrize("change", ["add", "remove"])
def test_adding_or_removing_a_member_is_a_row_error(users, files, household_a, change):
    child = household_a.members.exclude(relation=c.Relation.HEAD).select_related("person").first()
    rows = read_csv(files["members"])
    if change == "remove":
        rows = [r for r in rows if r["身份证号"] != child.person.id_number]
    else:
        newborn = dict(next(r for r in rows if r["身份证号"] == child.person.id_number))
        newborn.update({"姓名": "新生儿", "身份证号": f.new_id(), "性别": "男", "出生日期": "1970-05-17"})
        rows.append(newborn)
    write_csv(files["members"], rows)
    result = run(files, users["county"])
    assert not result.written
    assert len(result.errors) == 1 and "“自然变更”案件" in result.errors[0].message
    assert household_a.members.count() == 3


def test_the_first_import_of_a_year_sets_status_and_members(users, files, household_a):
    """No 2021 record yet: the file's status, years and members are taken as they are."""
    no = household_a.household.household_no
    for kind in ("households", "members"):
        edit(files[kind], lambda row: {**row, "年度": "2021"})
    edit(files["households"], _household(no, **{"状态": "已脱贫", "脱贫年度": "2021"}))
    result = run(files, users["county"], year=2021)
    assert not result.errors, result.errors
    assert HouseholdYear.objects.get(household__household_no=no, year=2021).status == c.HouseholdStatus.EXITED
    assert HouseholdYear.objects.get(pk=household_a.pk).status == c.HouseholdStatus.IN_POVERTY


def test_unchanged_status_with_other_changes_imports(users, files, household_a):
    edit(files["households"], _household(household_a.household.household_no, **{"工资性收入": "15000.00"}))
    result = run(files, users["county"])
    assert result.written and not result.errors and result.households_updated == 1
