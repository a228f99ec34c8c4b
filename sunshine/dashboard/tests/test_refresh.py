"""The roll-up: a village's rows count for every division above it, and a refresh replaces the year's values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.dashboard import refresh
from sunshine.dashboard.models import IndicatorValue
from sunshine.registry.models import HouseholdYear


def test_depth_and_ancestors() -> None:
    assert refresh.depth("320102001001") == 12
    assert refresh.depth("320102001000") == 9
    assert refresh.depth("320102000000") == 6
    assert refresh.depth("320100000000") == 4
    assert refresh.depth("320000000000") == 2
    assert [c for c, _ in refresh.ancestors("320102001001")] == [
        "320000000000", "320100000000", "320102000000", "320102001000", "320102001001"]
    assert [c for c, _ in refresh.ancestors("320102000000")] == ["320000000000", "320100000000", "320102000000"]


def test_roll_up_sums_values_and_denominators() -> None:
    totals = refresh.roll_up([("320102001001", "a", 2, 4), ("320102001002", "a", 1, 1), ("320102000000", "", 5, None)])
    assert totals[("320102001000", "township", "a")] == [Decimal(3), Decimal(5)]
    assert totals[("320102000000", "county", "")] == [Decimal(5), None]
    assert totals[("320000000000", "province", "a")] == [Decimal(3), Decimal(5)]


@pytest.mark.django_db
def test_refresh_households_equals_a_plain_count(household_a, household_b) -> None:
    year = household_a.year
    outcome = refresh.refresh(year=year, codes=["households"])
    assert outcome.rows > 0
    village = household_a.household.village_id
    rows = IndicatorValue.objects.filter(code="households", year=year, division_code=village)
    stored = {v.key: v.value for v in rows}
    expected: dict[str, int] = {}
    for hy in HouseholdYear.objects.filter(year=year, household__village_id=village):
        expected[hy.status] = expected.get(hy.status, 0) + 1
    assert {k: int(v) for k, v in stored.items()} == expected
    province = village[:2].ljust(12, "0")
    assert sum(v.value for v in IndicatorValue.objects.filter(code="households", year=year, division_code=province)) \
        == HouseholdYear.objects.filter(year=year).count()
    refresh.refresh(year=year, codes=["households"])  # replaces, never doubles
    assert sum(v.value for v in IndicatorValue.objects.filter(code="households", year=year, division_code=province)) \
        == HouseholdYear.objects.filter(year=year).count()
