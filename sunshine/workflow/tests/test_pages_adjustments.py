"""Annual adjustment pages: the county opens one (exit cases from the official assessment), follows it by
township, and closes it; other roles cannot."""

from __future__ import annotations

from django.test import Client

from sunshine.assessment.services import run_assessment
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseStatus, CaseType
from sunshine.workflow.models import AnnualAdjustment, Case


def test_county_opens_follows_and_closes_an_adjustment(client: Client, users):
    meets = f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明", members=2)
    f.make_household(users["county"], village=f.VILLAGE_A, head_name="李未达", members=3)   # 5533 a head: fails
    run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY)
    client.force_login(users["township"])
    assert client.post("/cases/adjustments/", {"county_code": f.COUNTY, "year": 2020}).status_code == 403
    client.force_login(users["county"])
    page = client.get("/cases/adjustments/").content.decode()
    assert 'data-testid="open-adjustment"' in page
    response = client.post("/cases/adjustments/", {"county_code": f.COUNTY, "year": 2020})
    assert response.status_code == 302
    adjustment = AnnualAdjustment.objects.get(county_id=f.COUNTY, year=2020)
    assert response["Location"] == f"/cases/adjustments/{adjustment.pk}/"
    case = Case.objects.get(adjustment=adjustment)
    assert case.case_type == CaseType.EXIT and case.household == meets.household
    detail = client.get(response["Location"]).content.decode()
    progress = detail.split('data-testid="progress"', 1)[1].split("</section>", 1)[0]
    assert "测试甲镇" in progress and "标注脱贫·办理中" in progress and f'data-township="{f.TOWNSHIP_A}"' in progress
    again = client.post("/cases/adjustments/", {"county_code": f.COUNTY, "year": 2020})
    assert again.status_code == 200 and "已发起" in again.content.decode()
    # Closing is refused while a case is open, unless the open cases are withdrawn.
    client.post(response["Location"], {})
    adjustment.refresh_from_db()
    assert adjustment.closed_at is None
    client.post(response["Location"], {"withdraw_open": "on"})
    adjustment.refresh_from_db()
    assert adjustment.closed_at is not None
    assert Case.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    client.force_login(users["clerk_b"])
    assert client.get(f"/cases/adjustments/{adjustment.pk}/").status_code == 404
    assert client.post(f"/cases/adjustments/{adjustment.pk}/", {"withdraw_open": "on"}).status_code == 404
