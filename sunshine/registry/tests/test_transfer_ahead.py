"""The import's chunks read and compared ahead on a second connection (apply.may_prepare_ahead, core.ahead):
the same rows, history and counts as one chunk after the other, on a committed registry with many chunks —
a first import, an import that changes values, swaps a head and renames a person, and a re-import; and nothing
written when a chunk fails on either side."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from sunshine.core.choices import Role
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear
from sunshine.registry.tests.test_transfer_apply import (
    history_counts,
    read_csv,
    registry_counts,
    run,
    wipe_synthetic,
    write_csv,
)
from sunshine.registry.transfer import apply
from sunshine.registry.transfer.export import export_year
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db(transaction=True)
CHUNK = 7


@pytest.fixture
def region(monkeypatch):
    from sunshine.demo.generator import generate_region

    generate_region(households=120, seed=3)
    monkeypatch.setattr(apply, "CHUNK_HOUSEHOLDS", CHUNK)
    return f.make_user("county_admin_ahead", Role.ADMIN, "320000000000")


@pytest.fixture(params=["ahead", "in line"])
def mode(request, monkeypatch) -> dict[str, Any]:
    """How the chunks are prepared; ``used`` counts the imports that prepared them ahead."""
    from django.db import connection

    if request.param == "ahead" and connection.vendor != "postgresql":
        pytest.skip("chunks are prepared ahead on PostgreSQL only (apply.may_prepare_ahead)")
    state: dict[str, Any] = {"name": request.param, "used": 0}
    if request.param == "in line":
        monkeypatch.setattr(apply, "may_prepare_ahead", lambda keys: False)
    real = apply.prepared_ahead

    def counted(*args, **kwargs):
        state["used"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(apply, "prepared_ahead", counted)
    return state


def _edit(paths: dict[str, Path]) -> dict[str, int]:
    """Change 2020's files: incomes of three households, a head swapped with the spouse in a fourth, a person
    renamed and a health status changed in a fifth and sixth — spread over several chunks."""
    households, members = read_csv(paths["households"]), read_csv(paths["members"])
    numbers = [h["户编号"] for h in households]
    by_household: dict[str, list[dict[str, str]]] = {}
    for m in members:
        by_household.setdefault(m["户编号"], []).append(m)
    taken: set[str] = set()

    def pick(start: int, fits: Any = lambda no: True) -> str:
        found = next(no for no in numbers[start:] if no not in taken and fits(no))
        taken.add(found)
        return found

    richer = [pick(1), pick(CHUNK + 2), pick(3 * CHUNK)]
    swapped = pick(2 * CHUNK, lambda no: any(m["与户主关系"] == "配偶" for m in by_household[no]))
    renamed, healthier = (pick(i, lambda no: len(by_household[no]) > 1) for i in (4 * CHUNK + 1, 5 * CHUNK + 3))
    for h in households:
        if h["户编号"] in richer:
            h["工资性收入"] = "98765.43"
    spouse = next(m for m in by_household[swapped] if m["与户主关系"] == "配偶")
    head = next(m for m in by_household[swapped] if m["与户主关系"] == "户主")
    head["与户主关系"], spouse["与户主关系"] = "配偶", "户主"
    household = next(h for h in households if h["户编号"] == swapped)
    household["户主姓名"], household["户主身份证号"] = spouse["姓名"], spouse["身份证号"]
    by_household[renamed][-1]["姓名"] = "改名测试"
    target = by_household[healthier][-1]
    target["健康状况"] = "长期慢性病" if target["健康状况"] == "健康" else "健康"
    write_csv(paths["households"], households)
    write_csv(paths["members"], members)
    return {"households": 6, "persons": 1}


def _rows(path: Path) -> list[tuple[str, ...]]:
    return sorted(tuple(row.values()) for row in read_csv(path))


def _state() -> dict[str, Any]:
    return {
        "rows": registry_counts(),
        "history": history_counts(),
        "household_years": sorted(HouseholdYear.objects.values_list(
            "household__household_no", "year", "head_name", "wage_income", "updated_at")),
        "members": sorted(MemberYear.objects.values_list("person__name", "year", "household_year__household__"
                                                         "household_no", "relation", "health", "updated_at")),
        "persons": Person.objects.count(),
    }


def test_first_import_changes_and_reimport(region, mode, tmp_path):
    first = export_year(2020, tmp_path / "first", "csv", unmasked=True)
    hy = HouseholdYear.objects.filter(year=2020).count()
    assert hy > 6 * CHUNK
    wipe_synthetic()

    created = run(first, region, villages=True)
    assert created.written and not created.errors and created.households_created == hy
    again = export_year(2020, tmp_path / "again", "csv", unmasked=True)
    for name in ("households", "members", "villages"):
        assert read_csv(again[name]) == read_csv(first[name]), name
    for model in (Household, HouseholdYear, Person, MemberYear, VillageYear):
        assert model.history.count() == model.objects.count(), model

    edited = export_year(2020, tmp_path / "edited", "csv", unmasked=True)
    expected = _edit(edited)
    before = _state()
    changed = run(edited, region)
    assert changed.written and not changed.errors, changed.errors[:3]
    assert (changed.households_updated, changed.households_created) == (expected["households"], 0)
    assert changed.households_unchanged == hy - expected["households"]
    assert (changed.persons_updated, changed.persons_created) == (expected["persons"], 0)
    after = export_year(2020, tmp_path / "after", "csv", unmasked=True)
    for name in ("households", "members"):   # the export lists a household's head first: compare as sets
        assert _rows(after[name]) == _rows(edited[name]), name
    history = {k: v - before["history"][k] for k, v in history_counts().items()}
    assert history["HouseholdYear"] == 4 and history["Person"] == 1   # 3 incomes + the swapped head
    assert history["MemberYear"] == 3 and history["Household"] == 0    # the swapped pair + a health status

    settled = _state()
    same = run(edited, region)
    assert same.households_unchanged == hy and same.members_written == 0
    assert _state() == settled
    assert mode["used"] == (3 if mode["name"] == "ahead" else 0)
    assert not [t for t in threading.enumerate() if t.name == "prepared-ahead"]


@pytest.mark.parametrize("side", ["prepare", "flush"])
def test_a_chunk_that_fails_leaves_nothing(region, mode, tmp_path, monkeypatch, side):
    paths = export_year(2020, tmp_path, "csv", unmasked=True)
    wipe_synthetic()
    original, calls = getattr(apply._ChunkWriter, side), []

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("第三块失败(测试)")
        return original(self, *args)

    monkeypatch.setattr(apply._ChunkWriter, side, failing)
    with pytest.raises(RuntimeError, match="第三块失败"):
        run(paths, region, villages=True)
    assert registry_counts() == (0, 0, 0, 0, 0)
    assert mode["used"] == (1 if mode["name"] == "ahead" else 0)
    assert not [t for t in threading.enumerate() if t.name == "prepared-ahead"]
