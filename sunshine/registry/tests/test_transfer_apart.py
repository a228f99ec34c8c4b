"""A large household file is read and typed in a process of its own (pipeline._households_read): the same
rows, counts and errors as read in line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sunshine.core.choices import Role
from sunshine.registry.models import HouseholdYear
from sunshine.registry.tests.test_transfer_apply import read_csv, run, wipe_synthetic, write_csv
from sunshine.registry.transfer import pipeline
from sunshine.registry.transfer.export import export_year
from sunshine.registry.transfer.model import TransferFileError
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    from sunshine.demo.generator import generate_region

    generate_region(households=60, seed=5)
    return f.make_user("county_admin_apart", Role.ADMIN, "320000000000")


@pytest.fixture
def spawned(monkeypatch) -> list[object]:
    """Every household file read apart; the list collects what was read there."""
    seen: list[object] = []
    typed = pipeline.typed_households
    monkeypatch.setattr(pipeline, "APART_BYTES", 0)
    real = pipeline.apart

    def recording(function, *args):
        assert function is typed
        seen.append(args)
        return real(function, *args)

    monkeypatch.setattr(pipeline, "apart", recording)
    return seen


def _errors(result) -> list[tuple]:
    return [(e.file, e.row, e.column, e.value, e.message) for e in result.errors]


def test_an_import_with_the_households_read_apart_writes_what_one_read_in_line_writes(region, spawned, tmp_path,
                                                                                     monkeypatch):
    paths = export_year(2020, tmp_path / "first", "csv", unmasked=True)
    count = HouseholdYear.objects.filter(year=2020).count()
    wipe_synthetic()
    result = run(paths, region, villages=True)
    assert result.written and not result.errors and result.households_created == count
    assert len(spawned) == 1
    again = export_year(2020, tmp_path / "again", "csv", unmasked=True)
    for name in ("households", "members", "villages"):
        assert read_csv(again[name]) == read_csv(paths[name]), name


def test_errors_found_apart_are_the_errors_found_in_line(region, spawned, tmp_path, monkeypatch):
    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    rows = read_csv(paths["households"])
    rows[0]["工资性收入"] = "一万"          # typed apart: not a number
    rows[1]["户主姓名"] = "不是户主"          # checked in the caller against the members
    rows[2]["年度"] = "2019"                  # the year given to the import
    write_csv(paths["households"], rows)
    apart_result = run(paths, region)
    assert len(spawned) == 1
    monkeypatch.setattr(pipeline, "APART_BYTES", 1 << 40)
    in_line = run(paths, region)
    assert len(spawned) == 1 and not apart_result.written
    assert _errors(apart_result) == _errors(in_line) and len(_errors(in_line)) >= 3


def test_an_unreadable_household_file_is_reported_first(region, spawned, tmp_path):
    """Read apart, the household file's error still comes before the member file's, as when read first."""
    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    utf16 = tmp_path / "户.csv"
    utf16.write_bytes(paths["households"].read_text(encoding="utf-8-sig").encode("utf-16"))
    missing = Path(tmp_path / "没有.csv")
    with pytest.raises(TransferFileError, match="户.csv: 文件为UTF-16编码"):
        run({**paths, "households": utf16, "members": missing}, region)
    with pytest.raises(TransferFileError, match="户.csv: 文件为UTF-16编码"):
        run({**paths, "households": utf16}, region)
    assert len(spawned) == 2
    with pytest.raises(TransferFileError, match="没有.csv: 文件不存在"):
        run({**paths, "members": missing}, region)


def test_a_sheet_typed_apart_crosses_as_columns_and_its_amounts_are_typed_by_the_caller(region, tmp_path):
    """typed_households leaves the amounts (cheaper to type than to send as Decimal objects): after the pickle
    round trip they are typed in the caller, and the rows are those of a sheet typed in line."""
    import pickle

    from sunshine.registry.transfer.columns import HOUSEHOLDS, MONEY
    from sunshine.registry.transfer.readers import read_table
    from sunshine.registry.transfer.validate import HOUSEHOLD_PARSERS, TypedSheet, typed_households

    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    rows = read_csv(paths["households"])
    rows[0]["工资性收入"] = "一万"
    write_csv(paths["households"], rows)
    apart = typed_households(paths["households"], None, 2020)
    money = {col.field for col in HOUSEHOLDS if col.kind == MONEY}
    assert not apart.converted and money.isdisjoint(apart._columns) and not apart.errors
    sent = pickle.loads(pickle.dumps(apart))  # noqa: S301 - our own object
    assert sent._typed is None and not sent.converted   # no row dicts crossed
    sent.convert(2020, HOUSEHOLD_PARSERS)
    in_line = TypedSheet(read_table(paths["households"], HOUSEHOLDS), HOUSEHOLDS)
    in_line.convert(2020, HOUSEHOLD_PARSERS)
    assert sent.converted and sent.typed == in_line.typed and len(sent.typed) == len(rows)
    assert [(e.row, e.column, e.value, e.message) for e in sent.errors] == [
        (e.row, e.column, e.value, e.message) for e in in_line.errors] and sent.errors[0].value == "一万"
