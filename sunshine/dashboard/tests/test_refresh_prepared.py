"""The refresh at scale (issue 17): the year's members are read once into prepared tables that the indicators
share, the tables are dropped afterwards (error or not), and PostgreSQL's work_mem is raised for the refresh
only."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from sunshine.dashboard import refresh
from sunshine.dashboard.indicators import CATALOGUE
from sunshine.dashboard.indicators.prepared import PREPARED, prepared_tables
from sunshine.registry.choices import MemberStatus
from sunshine.registry.models import MemberYear

MEMBERS = MemberYear._meta.db_table


def _exists(name: str) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {PREPARED[name].table}")  # noqa: S608 - a model-made name
    except DatabaseError:
        return False
    return True


def _member_scans(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if MEMBERS in q["sql"] and "SELECT" in q["sql"].upper()]


def test_the_registry_indicators_share_one_prepared_table() -> None:
    readers = [code for code, i in CATALOGUE.items() if "household_facts" in i.uses]
    assert {"households", "people", "exits", "exit_people", "income_bands", "income_below_line",
            "household_types", "medical_insurance"} <= set(readers)
    assert "household_results" in CATALOGUE["criteria_pass"].uses
    assert "household_results" in CATALOGUE["households_meeting"].uses


@pytest.mark.django_db(transaction=True)
def test_refresh_reads_the_members_once_and_drops_its_tables(household_a, household_b) -> None:
    """Before: people, exit_people, income_bands, income_below_line and medical_insurance each scanned the
    year's members (five scans); now one, while building the prepared table."""
    with CaptureQueriesContext(connection) as captured:
        outcome = refresh.refresh(year=household_a.year)
    scans = _member_scans(captured.captured_queries)
    assert len(scans) == 1, scans
    assert scans[0].lstrip().upper().startswith("CREATE TEMP TABLE")
    creates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("CREATE TEMP TABLE")]
    assert len(creates) == len({name for i in CATALOGUE.values() for name in i.uses})
    assert refresh.PREPARING in outcome.per_indicator
    assert not _exists("household_facts")
    assert not _exists("household_results")


@pytest.mark.django_db(transaction=True)
def test_prepared_tables_are_dropped_after_an_error(household_a, monkeypatch) -> None:
    def broken(year: int) -> tuple[str, list]:
        raise RuntimeError("boom")

    indicator = CATALOGUE["people"]
    monkeypatch.setitem(CATALOGUE, "people", dataclasses.replace(indicator, query=broken))
    with pytest.raises(RuntimeError):
        refresh.refresh(year=household_a.year, codes=["people"])
    assert not _exists("household_facts")
    refresh.refresh(year=household_a.year, codes=["households"])  # and a later refresh is not disturbed


@pytest.mark.django_db(transaction=True)
def test_a_table_left_over_in_the_session_is_replaced(household_a) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {PREPARED['household_facts'].table} (x INTEGER)")
    with prepared_tables(["household_facts"], household_a.year), connection.cursor() as cursor:
        cursor.execute(f"SELECT SUM(households) FROM {PREPARED['household_facts'].table}")  # noqa: S608
        assert cursor.fetchone()[0] > 0
    assert not _exists("household_facts")


@pytest.mark.django_db
def test_compute_alone_prepares_what_it_reads(household_a, household_b) -> None:
    totals = refresh.compute(CATALOGUE["people"], household_a.year)
    province = household_a.household.village_id[:2].ljust(12, "0")
    people = MemberYear.objects.filter(year=household_a.year, member_status=MemberStatus.ACTIVE).count()
    assert sum(v for (code, _, _), (v, _) in totals.items() if code == province) == people


def _work_mem() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_work_mem_is_raised_for_the_refresh_only(household_a, monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("work_mem is PostgreSQL's")
    before = _work_mem()
    seen: list[str] = []
    original = refresh._compute

    def spying(indicator, year):  # noqa: ANN001, ANN202
        seen.append(_work_mem())
        return original(indicator, year)

    monkeypatch.setattr(refresh, "_compute", spying)
    refresh.refresh(year=household_a.year, codes=["households", "people"])
    assert seen == [refresh.WORK_MEM, refresh.WORK_MEM]
    # Restored, though the test's own transaction is still open (SET LOCAL alone would last until its end).
    assert _work_mem() == before


@pytest.mark.django_db
def test_work_mem_is_restored_after_an_error(household_a, monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("work_mem is PostgreSQL's")
    before = _work_mem()
    monkeypatch.setattr(refresh, "_compute", lambda indicator, year: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        refresh.refresh(year=household_a.year, codes=["households"])
    assert _work_mem() == before
