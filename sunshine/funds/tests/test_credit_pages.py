"""The micro-credit and asset pages: loan list and detail (subsidy, outstanding, overdue, extension and renewal),
the portfolio, the asset register, the dividend list and its export, the public dividend announcement; scope
(404 for another village or county), masking, refused posts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client

from sunshine.core.models import AccessLog
from sunshine.funds.models_credit import Asset, AssetEvent, Loan, LoanEvent
from sunshine.funds.tests import credit_factories as cf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
OTHER_COUNTY = "320322000000"  # 沛县, shipped by the reference data


@pytest.fixture
def loan(household_a):
    # 36,000 at 3.6%: 3.60 a day; 2020 is a leap year, 1 Jan – 30 Jun is 182 days.
    return cf.make_loan(household_year=household_a, amount="36000.00", rate="0.036", loan_date=dt.date(2020, 1, 1),
                        due_date=dt.date(2020, 6, 30), loan_no="DK-A-1")


def subsidy_2020(client: Client, loan: Loan) -> str:
    body = client.get(f"/loans/{loan.pk}/").content.decode()
    return body.split('data-testid="subsidy-2020">', 1)[1].split("<", 1)[0]


def test_loan_detail_shows_subsidy_outstanding_overdue_and_masks_for_clerk(client: Client, users, loan, household_a):
    cf.repay(loan, dt.date(2020, 3, 1), "6000.00")
    client.force_login(users["county"])
    body = client.get(f"/loans/{loan.pk}/").content.decode()
    # 1 Jan – 29 Feb (60 days) at 36,000 and 1 Mar – 30 Jun (122 days) at 30,000: 216 + 366 = 582.00
    assert 'data-testid="subsidy-2020">582.00<' in body
    assert "30,000.00" in body and 'data-testid="outstanding-chart"' in body and "<polyline" in body
    intervals = body.split('data-testid="intervals"', 1)[1].split("</table>", 1)[0]
    assert "<td>2020-02-29</td><td class=\"num\">60</td>" in intervals and "至今" in intervals
    assert 'data-status="overdue_long"' in body and household_a.head_id_number in body
    assert AccessLog.objects.filter(user=users["county"], object_type="loan", object_ref="DK-A-1").exists()
    assert 'style="' not in body.split('data-testid="outstanding"', 1)[1].split("</section>", 1)[0]
    client.force_login(users["clerk"])
    body = client.get(f"/loans/{loan.pk}/").content.decode()
    assert household_a.head_id_number not in body and "582.00" in body
    assert 'data-testid="extension-form"' not in body  # only county managers record


def test_extension_and_renewal_change_the_subsidy_and_are_recorded(client: Client, users, loan):
    client.force_login(users["county"])
    assert subsidy_2020(client, loan) == "655.20"
    response = client.post(f"/loans/{loan.pk}/extend/",
                           {"extend-new_due_date": "2020-12-31", "extend-note": "因灾展期"})
    assert response.status_code == 302
    assert subsidy_2020(client, loan) == "1,317.60"   # 366 days
    event = LoanEvent.objects.get(loan=loan, action="extension")
    assert event.user == users["county"] and event.new_due_date == dt.date(2020, 12, 31)
    response = client.post(f"/loans/{loan.pk}/renew/", {"renew-loan_no": "DK-A-2", "renew-loan_date": "2020-10-01",
                                                        "renew-due_date": "2021-09-30", "renew-amount": "36000.00",
                                                        "renew-annual_rate": "0.036", "renew-note": "无还本续贷"})
    new = Loan.objects.get(loan_no="DK-A-2")
    assert response.status_code == 302 and response["Location"] == f"/loans/{new.pk}/"
    assert new.renewal_of == loan and new.household_id == loan.household_id
    assert subsidy_2020(client, loan) == "986.40"     # 1 Jan – 30 Sep: 274 days
    body = client.get(f"/loans/{loan.pk}/").content.decode()
    assert 'data-status="settled"' in body and "DK-A-2" in body and 'data-testid="renewal-form"' not in body
    assert LoanEvent.objects.get(loan=loan, action="renewal").new_loan == new


def test_loan_posts_are_refused_unless_county_manager_and_valid(client: Client, users, loan):
    for role in ("clerk", "township", "supervisor"):
        client.force_login(users[role])
        response = client.post(f"/loans/{loan.pk}/extend/",
                               {"extend-new_due_date": "2021-12-31", "extend-note": "x"})
        assert response.status_code in (403, 404), role
    client.force_login(users["county"])
    assert client.get(f"/loans/{loan.pk}/extend/").status_code == 405
    # An earlier due date, a renewal before the loan date, a duplicate number: refused, nothing written.
    response = client.post(f"/loans/{loan.pk}/extend/", {"extend-new_due_date": "2020-05-01", "extend-note": "x"})
    assert response.status_code == 400 and "展期到期日应晚于现到期日" in response.content.decode()
    response = client.post(f"/loans/{loan.pk}/renew/", {"renew-loan_no": "DK-A-1", "renew-loan_date": "2019-10-01",
                                                        "renew-due_date": "2021-09-30", "renew-amount": "1.00",
                                                        "renew-annual_rate": "0.036"})
    assert response.status_code == 400
    assert client.post(f"/loans/{loan.pk}/renew/", {"renew-loan_no": "X", "renew-loan_date": "2020-10-01",
                                                    "renew-due_date": "2021-09-30", "renew-amount": "-5",
                                                    "renew-annual_rate": "7"}).status_code == 400
    loan.refresh_from_db()
    assert loan.extended_due_date is None and not LoanEvent.objects.exists() and Loan.objects.count() == 1


def test_loans_of_another_village_or_county_are_404(client: Client, users, household_b):
    theirs = cf.make_loan(household_year=household_b)
    elsewhere = cf.make_loan(county=OTHER_COUNTY)
    client.force_login(users["clerk"])
    assert client.get(f"/loans/{theirs.pk}/").status_code == 404
    assert theirs.loan_no not in client.get("/loans/").content.decode()
    client.force_login(users["county"])
    assert client.get(f"/loans/{elsewhere.pk}/").status_code == 404
    assert client.post(f"/loans/{elsewhere.pk}/extend/", {"extend-new_due_date": "2030-01-01"}).status_code == 404
    body = client.get("/loans/").content.decode()
    assert theirs.loan_no in body and elsewhere.loan_no not in body


def test_loan_list_filters_by_status_bank_and_year(client: Client, users, household_a, household_b):
    on = dt.date.today()
    normal = cf.make_loan(household_year=household_a, loan_date=on - dt.timedelta(days=30),
                          due_date=on + dt.timedelta(days=300), bank="甲银行")
    short = cf.make_loan(household_year=household_a, loan_date=on - dt.timedelta(days=400),
                         due_date=on - dt.timedelta(days=10))
    long_ = cf.make_loan(household_year=household_b, loan_date=on - dt.timedelta(days=900),
                         due_date=on - dt.timedelta(days=200))
    settled = cf.make_loan(household_year=household_b, amount="1000.00", loan_date=on - dt.timedelta(days=900),
                           due_date=on - dt.timedelta(days=200))
    cf.repay(settled, on - dt.timedelta(days=300), "1000.00")
    client.force_login(users["county"])
    for status, expected in (("normal", normal), ("overdue", short), ("overdue_long", long_), ("settled", settled)):
        body = client.get(f"/loans/?status={status}").content.decode().split('id="results"', 1)[1]
        shown = {loan.loan_no for loan in (normal, short, long_, settled) if f'data-loan="{loan.loan_no}"' in body}
        assert shown == {expected.loan_no}, status
    body = client.get("/loans/?bank=甲银行").content.decode().split('id="results"', 1)[1]
    assert normal.loan_no in body and short.loan_no not in body
    body = client.get(f"/loans/?division={f.VILLAGE_B}").content.decode().split('id="results"', 1)[1]
    assert long_.loan_no in body and normal.loan_no not in body
    body = client.get(f"/loans/?status=nonsense&year={on.year - 3}").content.decode()
    assert "共" in body


def test_portfolio_by_bank_and_township(client: Client, users, household_a, household_b):
    on = dt.date(2024, 6, 30)
    cf.make_loan(household_year=household_a, amount="10000.00", loan_date=dt.date(2023, 1, 1),
                 due_date=dt.date(2025, 1, 1), bank="甲银行")
    overdue = cf.make_loan(household_year=household_a, amount="20000.00", loan_date=dt.date(2022, 1, 1),
                           due_date=dt.date(2024, 5, 1), bank="甲银行")
    cf.repay(overdue, dt.date(2023, 1, 1), "5000.00")
    cf.repay(overdue, dt.date(2024, 7, 1), "5000.00")   # after the day counted: not yet repaid then
    cf.make_loan(household_year=household_b, amount="30000.00", loan_date=dt.date(2021, 1, 1),
                 due_date=dt.date(2023, 1, 1), bank="乙银行")
    client.force_login(users["county"])
    body = client.get("/loans/portfolio/?on=2024-06-30").content.decode()
    bank = body.split('data-testid="by-bank"', 1)[1].split("</section>", 1)[0]
    assert 'data-key="甲银行"' in bank and "25,000.00" in bank and "15,000.00" in bank
    assert "30,000.00" in bank and "55,000.00" in bank  # 乙 > 90 days; the total
    town = body.split('data-testid="by-township"', 1)[1].split("</section>", 1)[0]
    assert f'data-key="{f.TOWNSHIP_A}"' in town and f'data-key="{f.TOWNSHIP_B}"' in town
    assert 'data-testid="bank-chart"' in body and 'data-testid="township-chart"' in body
    client.force_login(users["clerk"])
    body = client.get(f"/loans/portfolio/?on={on}").content.decode()
    assert "30,000.00" not in body and "乙银行" not in body


@pytest.fixture
def shared(household_a, household_b, users):
    """A solar plant of village A shared with village B, 按户, 60% to households; 2020 income 1,000.01."""
    extra = f.make_household(users["county"], village=f.VILLAGE_A, head_name="丙户主", members=1)
    asset = cf.make_asset(division=f.VILLAGE_A, villages=(f.VILLAGE_A, f.VILLAGE_B), ratio="0.6",
                          income={2020: "1000.01"}, asset_no="ZC-GF-1")
    return asset, extra


def test_asset_pages_and_disposal(client: Client, users, shared):
    asset, _extra = shared
    client.force_login(users["county"])
    assert "ZC-GF-1" in client.get("/assets/").content.decode()
    body = client.get(f"/assets/{asset.pk}/").content.decode()
    # 100,001 fen: 60,000 to the 3 households, 40,001 to the 2 villages.
    assert 'data-year="2020"' in body and "600.00" in body and "400.01" in body
    assert 'data-testid="asset-event-form"' in body
    response = client.post(f"/assets/{asset.pk}/dispose/", {"kind": "disposal", "date": "2021-03-01",
                                                            "note": "电站整体转让", "proceeds": "120000"})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.status == "disposed" and AssetEvent.objects.get(asset=asset).user == users["county"]
    body = client.get(f"/assets/{asset.pk}/").content.decode()
    assert "电站整体转让" in body and 'data-testid="asset-event-form"' not in body
    assert client.post(f"/assets/{asset.pk}/dispose/", {"kind": "scrapping", "date": "2021-03-02",
                                                        "note": "x"}).status_code == 400
    client.force_login(users["clerk"])
    assert client.post(f"/assets/{asset.pk}/dispose/", {"kind": "scrapping", "date": "2021-03-02",
                                                        "note": "x"}).status_code == 403


def test_assets_of_another_village_or_county_are_404(client: Client, users):
    theirs = cf.make_asset(division=f.VILLAGE_B, villages=(f.VILLAGE_B,))
    elsewhere = cf.make_asset(division=OTHER_COUNTY)
    client.force_login(users["clerk"])
    assert client.get(f"/assets/{theirs.pk}/").status_code == 404
    assert theirs.asset_no not in client.get("/assets/").content.decode()
    client.force_login(users["county"])
    assert client.get(f"/assets/{elsewhere.pk}/").status_code == 404


def test_dividend_list_of_own_village_only_masked_for_clerk(client: Client, users, shared, household_a,
                                                            household_b):
    client.force_login(users["clerk"])
    body = client.get("/dividends/?year=2020").content.decode()   # the clerk's village is preselected
    rows = body.split('id="results"', 1)[1]
    assert household_a.household.household_no in rows and household_b.household.household_no not in rows
    assert "200.00" in rows and "甲户主" not in rows and "200.01" in rows  # village share 40,001 fen → 200.01
    body = client.get(f"/dividends/?division={f.VILLAGE_B}&year=2020").content.decode()
    assert household_b.household.household_no not in body
    assert client.get(f"/dividends/{f.VILLAGE_B}/2020/export/").status_code == 404
    client.force_login(users["county"])
    rows = client.get(f"/dividends/?division={f.VILLAGE_A}&year=2020").content.decode().split('id="results"')[1]
    assert "甲户主" in rows


def test_dividend_export_round_trip(client: Client, users, shared, household_a):
    from openpyxl import load_workbook

    asset, extra = shared
    client.force_login(users["county"])
    response = client.get(f"/dividends/{f.VILLAGE_A}/2020/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("户编号", "户主姓名", "分红金额(元)", "资产编号")
    got = {r[0]: (r[1], Decimal(str(r[2]))) for r in rows[1:]}
    assert {r[3] for r in rows[1:]} == {asset.asset_no}
    assert got == {household_a.household.household_no: ("甲户主", Decimal("200.00")),
                   extra.household.household_no: ("丙户主", Decimal("200.00"))}
    assert AccessLog.objects.filter(user=users["county"], action="export", object_type="dividend_list").exists()


def test_export_is_formula_safe(client: Client, users, household_a):
    from openpyxl import load_workbook

    cf.make_asset(division=f.VILLAGE_A, asset_no="=HYPERLINK(1)", income={2020: "10.00"}, ratio="1")
    client.force_login(users["county"])
    sheet = load_workbook(io.BytesIO(client.get(f"/dividends/{f.VILLAGE_A}/2020/export/").content)).active
    assert sheet.cell(row=2, column=3).value == 10 and "HYPERLINK" in sheet.cell(row=2, column=4).value
    assert not str(sheet.cell(row=2, column=4).value).startswith("=")


def test_public_dividend_page_masks_names_and_shows_no_ids(client: Client, shared, household_a):
    from sunshine.funds.announcements import mask_name

    body = client.get(f"/public/dividends/{f.VILLAGE_A}/2020/").content.decode()
    assert "200.00" in body and "甲户主" not in body and mask_name("甲户主") in body
    assert household_a.head_id_number not in body and household_a.household.household_no not in body
    assert client.get(f"/public/dividends/{f.VILLAGE_A}/2019/").status_code == 404
    assert client.get("/public/dividends/999999999999/2020/").status_code == 404


def test_disposed_asset_pays_no_dividends(client: Client, users, shared, household_a):
    asset, _ = shared
    Asset.objects.filter(pk=asset.pk).update(status="scrapped")
    client.force_login(users["county"])
    rows = client.get(f"/dividends/?division={f.VILLAGE_A}&year=2020").content.decode().split('id="results"')[1]
    assert household_a.household.household_no not in rows


def test_household_page_shows_its_loans_and_dividends(client: Client, users, shared, household_a, loan):
    client.force_login(users["clerk"])
    body = client.get(f"/households/{household_a.household.household_no}/").content.decode()
    section = body.split('data-testid="household-credit"', 1)[1].split("</section>", 1)[0]
    assert "DK-A-1" in section and 'data-year="2020"' in section and "200.00" in section


def test_a_loan_finding_links_to_the_loan_page_in_scope(users, household_a, household_b, loan):
    from types import SimpleNamespace

    from sunshine.funds.selectors import finding_links

    theirs = cf.make_loan(household_year=household_b)
    finding = SimpleNamespace(subject="loan", key=f"{loan.loan_no};{theirs.loan_no}", division_id=f.VILLAGE_A)
    links = finding_links(users["clerk"], finding)
    assert [(x.label, x.url) for x in links] == [(loan.loan_no, f"/loans/{loan.pk}/"), (theirs.loan_no, "")]


def test_disposal_record_keeps_a_checked_scan_readable_in_scope_only(client: Client, users, shared):
    from django.core.files.uploadedfile import SimpleUploadedFile

    asset, _ = shared
    client.force_login(users["county"])
    fake = SimpleUploadedFile("批文.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(f"/assets/{asset.pk}/dispose/", {"kind": "scrapping", "date": "2021-03-01",
                                                            "note": "台风损毁", "attachment": fake})
    assert response.status_code == 400 and not AssetEvent.objects.exists()
    scan = SimpleUploadedFile("批文320321199001011234.pdf", b"%PDF-1.4 ok", content_type="application/pdf")
    response = client.post(f"/assets/{asset.pk}/dispose/", {"kind": "scrapping", "date": "2021-03-01",
                                                            "note": "台风损毁", "attachment": scan})
    assert response.status_code == 302
    event = AssetEvent.objects.get()
    assert "199001011234" not in event.attachment.name
    url = f"/assets/events/{event.pk}/attachment/"
    assert url in client.get(f"/assets/{asset.pk}/").content.decode()
    assert b"".join(client.get(url).streaming_content) == b"%PDF-1.4 ok"
    from sunshine.core.choices import Role

    other = f.make_user("clerk_other", Role.VILLAGE_CLERK, f.VILLAGE_A2)   # the asset is A's and B's
    client.force_login(other)
    assert client.get(url).status_code == 404
