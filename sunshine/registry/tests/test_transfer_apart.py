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
