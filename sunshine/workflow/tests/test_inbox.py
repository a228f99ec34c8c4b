"""The inbox: what awaits me first (not cases still in their notice period), household numbers as links,
signers by name, the region filter a township → village picker (never a typed code); and
``selectors.cases_awaiting`` that the home page's to-do uses."""

from __future__ import annotations

import pytest
from django.test import Client

from sunshine.testing import factories as f
from sunshine.workflow import selectors
from sunshine.workflow.tests import factories as wf

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(users):
    waiting = wf.open_exit(users["clerk"], f.make_household(users["county"], village=f.VILLAGE_A, head_name="王小明"))
    noticed = wf.to_notice(users["clerk"], wf.open_exit(
        users["clerk"], f.make_household(users["county"], village=f.VILLAGE_A, head_name="李四光")))
    return waiting, noticed


def test_cases_awaiting_leaves_out_running_notice(users, two_cases):
    waiting, noticed = two_cases
    assert list(selectors.cases_awaiting(users["clerk"])) == [waiting]
    assert not selectors.cases_awaiting(users["clerk_b"]).exists()
    assert not selectors.cases_awaiting(users["township"]).exists()
    wf.end_notice(noticed)
    assert set(selectors.cases_awaiting(users["clerk"])) == {waiting, noticed}


def test_inbox_links_households_and_picks_regions(client: Client, users, two_cases):
    waiting, noticed = two_cases
    users["clerk"].full_name = "胡红霞"
    users["clerk"].save()
    client.force_login(users["clerk"])
    body = client.get("/cases/").content.decode()
    awaiting = body.split('data-testid="awaiting"', 1)[1].split("</table>", 1)[0]
    assert f'data-case="{waiting.pk}"' in awaiting and f'data-case="{noticed.pk}"' not in awaiting
    assert f'href="/households/{waiting.household.household_no}/' in awaiting
    # The region filter is a select with the clerk's village preselected, not a typed code.
    assert '<select name="division"' in body and f'<option value="{f.VILLAGE_A}" selected>' in body
    client.force_login(users["county"])
    page = client.get(f"/cases/?division={f.VILLAGE_B}").content.decode()
    assert 'data-case="' not in page.split('data-testid="cases"', 1)[1].split("</table>", 1)[0]
    assert f'<option value="{f.VILLAGE_A}"' in page
    # Signers by name.
    body = client.get(f"/cases/{noticed.pk}/").content.decode()
    assert "胡红霞" in body and "clerk_a" not in body
