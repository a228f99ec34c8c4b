"""Village and county pages show their latest official assessment, within the reader's scope."""

from __future__ import annotations

from decimal import Decimal

from sunshine.assessment.services import run_assessment
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f


def test_village_and_county_pages_show_latest_official_result(client, users, household_a, household_b):
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=2020, weak_village=True,
                               collective_income=Decimal("150000"))
    run_assessment(actor=users["county"], kind="villages", year=2020, division_code=f.COUNTY)
    run_assessment(actor=users["county"], kind="counties", year=2020, division_code=f.COUNTY)

    client.force_login(users["township"])
    body = client.get(f"/divisions/{f.VILLAGE_A}/?year=2020").content.decode()
    assert 'data-testid="assessment"' in body and "村集体经济收入" in body and "未达标" in body
    # the county result lies outside a township reviewer's scope
    client.force_login(users["county"])
    body = client.get(f"/divisions/{f.COUNTY}/?year=2020").content.decode()
    assert 'data-testid="assessment"' in body and "建档立卡户达标占比" in body
    # a what-if or another year is not shown
    assert 'data-testid="assessment"' not in client.get(f"/divisions/{f.COUNTY}/?year=2019").content.decode()
