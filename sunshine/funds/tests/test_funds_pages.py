"""Fund list and trail, payment search (masked for masked roles), and 资金到户 on the household page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from sunshine.funds.tests.project_factories import make_project
from sunshine.funds.tests.trail_factories import allocate, make_fund, pay, spend
from sunshine.testing import factories as f

D = Decimal


@pytest.fixture
def money(users, household_a, household_b):
    county = users["county"]
    project = make_project(actor=county, division=f.VILLAGE_A, status="implementing", name="甲村产业园",
                           budget=D("500000"))
    fund = make_fund(amount="800000.00", fund_no="ZJ2020-001", document_no="徐财农〔2020〕8号")
    allocate(fund, project, "500000.00")
    spend(project, "120000.00", payee="丰县建工")
    paid_a = pay(household_year=household_a, fund=fund, project=project, amount="2000.00")
    paid_b = pay(household_year=household_b, fund=fund, project=project, amount="3000.00",
                 item="industry_award")
    return {"fund": fund, "project": project, "paid_a": paid_a, "paid_b": paid_b}


def test_fund_list_shows_totals_by_source(client: Client, users, money):
    client.force_login(users["county"])
    body = client.get("/funds/?year=2020").content.decode()
    assert "ZJ2020-001" in body and "徐财农〔2020〕8号" in body
    assert "800,000.00" in body and "500,000.00" in body and "300,000.00" in body  # issued, allocated, idle
    assert "125,000.00" in body and "375,000.00" in body  # spent (works + two payments), unspent
    assert 'data-testid="totals-chart"' in body and "<rect" in body and "style=" not in body.split("<svg", 1)[1]
    assert client.get("/funds/?year=2019").content.decode().count("ZJ2020-001") == 0


def test_trail_goes_down_to_households_and_back(client: Client, users, money, household_a):
    client.force_login(users["county"])
    body = client.get(f"/funds/{money['fund'].pk}/").content.decode()
    assert money["project"].project_no in body and "甲村产业园" in body and "丰县建工" in body
    assert f'/households/{household_a.household.household_no}/' in body  # down to the household
    assert 'href="#fund"' in body  # and back up
    assert 'data-testid="reconciles"' in body
    assert "800,000.00" in body and "300,000.00" in body and "375,000.00" in body
    household = client.get(f"/households/{household_a.household.household_no}/").content.decode()
    section = household.split('data-testid="household-payments"', 1)[1].split("</section>", 1)[0]
    assert money["paid_a"].payment_no in section and f"/funds/{money['fund'].pk}/" in section  # and back up
    assert money["paid_b"].payment_no not in section


def test_payment_search_by_id_number_name_household_and_filters(client: Client, users, money, household_a,
                                                               household_b):
    client.force_login(users["county"])
    body = client.get("/payments/", {"id_number": household_a.head_id_number}).content.decode()
    assert money["paid_a"].payment_no in body and money["paid_b"].payment_no not in body
    assert household_a.head_id_number in body  # the county sees the full number
    body = client.get("/payments/", {"household_no": household_b.household.household_no}).content.decode()
    assert money["paid_b"].payment_no in body and money["paid_a"].payment_no not in body
    body = client.get("/payments/", {"item": "industry_award", "fund": "ZJ2020-001"}).content.decode()
    assert money["paid_b"].payment_no in body and money["paid_a"].payment_no not in body
    body = client.get("/payments/", {"name": household_a.head_name, "period": "2020"}).content.decode()
    assert money["paid_a"].payment_no in body and "共 1 笔" in body
    body = client.get("/payments/", {"id_number": "123"}).content.decode()
    assert 'data-field="id_number"' in body and "共 0 笔" in body
    detail = client.get(f"/payments/{money['paid_a'].pk}/").content.decode()
    assert household_a.head_id_number in detail and "ZJ2020-001" in detail


def test_masked_roles_see_masked_ids_and_only_their_village(client: Client, users, money, household_a,
                                                             household_b):
    client.force_login(users["clerk"])
    body = client.get("/payments/", {"id_number": household_a.head_id_number}).content.decode()
    assert money["paid_a"].payment_no in body
    assert household_a.head_id_number not in body.split('id="results"', 1)[1]
    body = client.get("/payments/").content.decode()
    assert money["paid_b"].payment_no not in body  # village B's payment
    assert client.get(f"/payments/{money['paid_b'].pk}/").status_code == 404
    assert client.get(f"/funds/{money['fund'].pk}/").status_code == 404  # a county's fund
    assert money["fund"].fund_no not in client.get("/funds/").content.decode()
    household = client.get(f"/households/{household_a.household.household_no}/").content.decode()
    section = household.split('data-testid="household-payments"', 1)[1].split("</section>", 1)[0]
    assert money["paid_a"].payment_no in section and household_a.head_id_number not in section
    assert f"/funds/{money['fund'].pk}/" not in section  # no link to a page the clerk cannot open


def test_funds_check_button_runs_the_check(client: Client, users, money):
    client.force_login(users["clerk"])
    assert client.get("/funds/check/").status_code == 403
    client.force_login(users["county"])
    assert "运行资金项目核查" in client.get("/funds/").content.decode()
    response = client.post("/funds/check/", {"year": 2020, "division_code": f.COUNTY})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="check-counts"' in body, body[:3000]
    assert 'data-rule="F-DELAY"' in body


def test_funds_findings_are_readable_and_filtered_by_type(client: Client, users, money, household_a):
    from sunshine.comparison.models import Finding
    from sunshine.comparison.tests import factories as cf

    cf.at_ids(actor=users["county"], household_year=household_a, run_id=9001, id=9001)  # a comparison finding
    client.force_login(users["county"])
    client.post("/funds/check/", {"year": 2020, "division_code": f.COUNTY})
    delay = Finding.objects.get(rule="F-DELAY")
    assert (delay.subject, delay.key, delay.amount) == ("fund", "ZJ2020-001", D("300000.00"))
    funds_only = client.get("/comparison/findings/", {"kind": "funds"}).content.decode()
    assert f'data-finding="{delay.pk}"' in funds_only and 'data-finding="9001"' not in funds_only
    assert "资金滞留" in funds_only and "ZJ2020-001" in funds_only
    comparison_only = client.get("/comparison/findings/", {"kind": "comparison"}).content.decode()
    assert 'data-finding="9001"' in comparison_only and f'data-finding="{delay.pk}"' not in comparison_only
    everything = client.get("/comparison/findings/").content.decode()
    assert 'data-finding="9001"' in everything and f'data-finding="{delay.pk}"' in everything
    assert 'data-testid="funds-check"' in everything
    detail = client.get(f"/comparison/findings/{delay.pk}/").content.decode()
    key = detail.split('data-testid="key"', 1)[1].split("</dd>", 1)[0]
    assert f'href="/funds/{money["fund"].pk}/"' in key and "ZJ2020-001" in key
    assert "300,000.00" in detail.split('data-testid="amount"', 1)[1].split("</dd>", 1)[0]
    assert 'data-testid="evidence"' not in detail
    client.force_login(users["clerk"])
    assert 'data-testid="funds-check"' not in client.get("/comparison/findings/").content.decode()


def test_findings_of_a_funds_run_name_the_run_without_a_dead_link(client: Client, users, money):
    from sunshine.comparison.models import ComparisonRun

    client.force_login(users["county"])
    client.post("/funds/check/", {"year": 2020, "division_code": f.COUNTY})
    run = ComparisonRun.objects.get(kind="funds")
    body = client.get("/comparison/findings/", {"run": run.pk}).content.decode()
    assert f"#{run.pk}(资金项目核查)" in body and f"/comparison/runs/{run.pk}/" not in body


def test_the_trail_reads_the_newest_payments_of_all_projects_in_one_query(client: Client, users, money,
                                                                             household_a,
                                                                             django_assert_max_num_queries):
    """A fund may reach hundreds of projects: the trail's queries do not grow with them, and each project lists
    its newest payments only (the rest through the payment search)."""
    from sunshine.funds import views_funds

    client.force_login(users["county"])
    url = f"/funds/{money['fund'].pk}/"
    client.get(url)
    with django_assert_max_num_queries(100) as before:
        client.get(url)
    for n in range(4):
        project = make_project(actor=users["county"], division=f.VILLAGE_A, status="implementing",
                               name=f"项目{n}")
        allocate(money["fund"], project, "1000.00")
        for _ in range(3):
            pay(household_year=household_a, fund=money["fund"], project=project, amount="10.00")
    with django_assert_max_num_queries(len(before.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count("项目3") >= 1
    old, views_funds.TRAIL_PAYMENTS = views_funds.TRAIL_PAYMENTS, 1
    try:
        shown = views_funds._newest_payments([money["project"].pk])
    finally:
        views_funds.TRAIL_PAYMENTS = old
    # Both were paid on one day: the newest first, then by payment number.
    assert [p.pk for p in shown[money["project"].pk]] == [money["paid_a"].pk]
