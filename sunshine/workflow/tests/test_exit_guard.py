"""An exit case for a household that fails its latest official assessment is refused at opening (page, API,
service), stopped before the public notice, and the case page offers no approval on a step that would refuse,
saying why in Chinese criterion names (收入, not H-INC)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from sunshine.workflow import services
from sunshine.workflow.choices import Step
from sunshine.workflow.tests.helpers import official_run, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(users, household_a):
    """The factory's household of three is below the income line: the official run says 未达标."""
    official_run(users)
    return household_a


def test_service_refuses_opening_with_chinese_criteria(users, failing):
    with pytest.raises(ValidationError) as caught:
        services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=failing.household)
    text = " ".join(caught.value.messages)
    assert "收入 未通过" in text and "H-" not in text and "未达标" in text


def test_page_and_api_refuse_opening(client: Client, users, failing):
    client.force_login(users["clerk"])
    no = failing.household.household_no
    page = client.post("/cases/new/", {"case_type": "exit", "year": 2020, "household_no": no, "reason": "申请"})
    assert page.status_code == 200 and "收入 未通过" in page.content.decode()
    api = client.post("/api/cases", data=json.dumps({"case_type": "exit", "year": 2020, "household_no": no}),
                      content_type="application/json")
    assert api.status_code == 422 and "收入" in json.dumps(api.json(), ensure_ascii=False)


def test_stopped_before_notice_and_no_approval_offered(client: Client, users, household_a):
    case = services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)
    notice = case.steps.index(Step.VILLAGE_NOTICE)
    case = walk(users, case, case.steps[notice - 1])
    official_run(users)  # assessed after opening: fails
    client.force_login(users["clerk"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="refusal"' in body and "收入 未通过" in body and 'value="approve"' not in body
    with pytest.raises(ValidationError):
        services.advance(actor=users["clerk"], case=case, step=case.step, decision="approve", note="同意")
    case.refresh_from_db()
    assert case.notice_start is None
    # The CLI goes through the same service.
    with pytest.raises(CommandError):
        call_command("cases", "advance", str(case.pk), "--step", case.step, "--user", users["clerk"].username,
                     "--decision", "approve",
                     stdout=io.StringIO())
