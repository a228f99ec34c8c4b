"""Benefits statements: data assembly, query codes, the staff page and its scope, PDFs in the access log."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sunshine.core.models import AccessLog, Division
from sunshine.disclosure.models import QueryCode
from sunshine.disclosure.statements import codes
from sunshine.disclosure.statements.data import build_statements
from sunshine.disclosure.tests.statement_fixtures import every_benefit
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def _statement(household_year):
    village = Division.objects.get(code=household_year.household.village_id)
    return build_statements(village, 2020, [household_year.household_id])[0]


def test_every_benefit_appears_with_its_amount_and_totals(users, household_a):
    every_benefit(users["county"], household_a)
    s = _statement(household_a)
    assert [m.relation for m in s.members][0] == "户主" and len(s.members) == 3
    assert all("*" * 8 in m.id_masked for m in s.members)
    assert [(p.item, p.period, p.amount) for p in s.payments] == [("教育资助", "2020", Decimal("2000.00"))]
    assert "苏财农〔2020〕9号" in s.payments[0].source
    assert [(p.item, p.amount) for p in s.premiums] == [("医保个人缴费补贴", Decimal("280.00"))]
    loan = s.loans[0]
    # 50000 × 3.6% ÷ 360 × 366 days of 2020, as the funds app's engine computes it; the paid subsidy beside it.
    assert loan.subsidy == Decimal("1830.00") and loan.subsidy_paid == Decimal("1830.00")
    # Household pool 6000 shared by village A's only eligible household.
    assert [(d.item, d.amount) for d in s.dividends] == [("村级光伏电站", Decimal("6000.00"))]
    assert [(m.item, m.amount) for m in s.measures] == [("帮扶措施·临时救助", Decimal("1500.00"))]
    assert [p.name for p in s.projects] == ["光伏扶贫电站"]
    totals = dict(s.totals)
    assert totals == {"教育资助": Decimal("2000.00"), "医保个人缴费补贴": Decimal("280.00"),
                      "小额信贷贴息": Decimal("1830.00"), "资产收益分红": Decimal("6000.00"),
                      "帮扶措施·临时救助": Decimal("1500.00")}
    assert s.grand_total == Decimal("11610.00")
    assert s.cadre is None   # not paired


def test_the_cadre_paired_at_the_end_of_the_year_is_on_the_statement_with_phone(users, household_a):
    import datetime as dt

    from sunshine.assistance.tests.helpers import make_cadre, pair

    ended = make_cadre(name="前任干部")
    pair(ended, household_a.household, start=dt.date(2019, 1, 1), end=dt.date(2020, 6, 30))
    current = make_cadre(name="帮扶干部甲", phone="13700001111", unit="县人社局")
    pair(current, household_a.household, start=dt.date(2020, 7, 1))
    s = _statement(household_a)
    assert (s.cadre.name, s.cadre.phone, s.cadre.unit) == ("帮扶干部甲", "13700001111", "县人社局")


def test_a_village_is_assembled_in_a_fixed_number_of_queries(users, household_a):
    every_benefit(users["county"], household_a)
    village = Division.objects.get(code=f.VILLAGE_A)
    build_statements(village, 2020)   # the dividends are stored on the first read
    with CaptureQueriesContext(connection) as few:
        build_statements(village, 2020)
    for i in range(5):
        hy = f.make_household(users["county"], village=f.VILLAGE_A, head_name=f"户主{i}", members=3)
        every_benefit(users["county"], hy, payments=3)
    build_statements(village, 2020)
    with CaptureQueriesContext(connection) as many:
        found = build_statements(village, 2020)
    assert len(found) == 6 and len(many.captured_queries) <= len(few.captured_queries) + 1


def test_query_codes_use_the_alphabet_and_are_unique_and_stable(users, household_a, household_b):
    made = codes.ensure_codes([household_a.household_id, household_b.household_id], 2020)
    assert len(set(made.values())) == 2
    for code in made.values():
        assert len(code) == 8 and set(code) <= set(codes.ALPHABET) and not set(code) & set("01OI")
    assert codes.ensure_codes([household_a.household_id], 2020) == {household_a.household_id:
                                                                    made[household_a.household_id]}
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000 and set("".join(drawn)) == set(codes.ALPHABET)


def test_reissue_revokes_the_old_code_with_an_audit_row(users, household_a):
    old = codes.ensure_codes([household_a.household_id], 2020)[household_a.household_id]
    new = codes.reissue(actor=users["clerk"], household=household_a.household, year=2020)
    assert new != old
    row = QueryCode.objects.get(code=old)
    assert row.revoked_at is not None and row.revoked_by == users["clerk"]
    assert codes.current_codes([household_a.household_id], 2020) == {household_a.household_id: new}
    with pytest.raises(Exception, match="无权"):
        codes.reissue(actor=users["supervisor"], household=household_a.household, year=2020)
    with pytest.raises(Exception, match="无权"):
        codes.reissue(actor=users["clerk_b"], household=household_a.household, year=2020)


def test_staff_page_shows_the_statement_and_the_code_to_editors(client, users, household_a):
    every_benefit(users["county"], household_a)
    url = f"/statements/households/{household_a.household_id}/2020/"
    client.force_login(users["clerk"])
    body = client.get(url).content.decode()
    code = QueryCode.objects.get(household=household_a.household, year=2020).code
    assert "甲户主" in body and "11,610.00" in body and code in body and "尚未落实帮扶责任人" in body
    assert household_a.head_id_number not in body and "data:image/svg+xml" in body
    assert "12317" in body and "/public/" in body
    client.force_login(users["supervisor"])
    body = client.get(url).content.decode()
    assert "甲户主" in body and code not in body
    # The household page links to it.
    client.force_login(users["clerk"])
    page = client.get(f"/households/{household_a.household.household_no}/").content.decode()
    assert url in page


def test_staff_pages_are_scoped(client, users, household_a, household_b):
    client.force_login(users["clerk"])
    for url in (f"/statements/households/{household_b.household_id}/2020/",
                f"/statements/households/{household_b.household_id}/2020/pdf/",
                f"/statements/villages/{f.VILLAGE_B}/2020/pdf/"):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/statements/households/{household_b.household_id}/2020/reissue/").status_code in (403, 404)
    assert client.get(f"/statements/households/{household_b.household_id}/2020/reissue/").status_code == 404
    assert not QueryCode.objects.filter(household=household_b.household).exists()
    # Inside the scope, a wrong method is 405 (after the scope check).
    assert client.get(f"/statements/households/{household_a.household_id}/2020/reissue/").status_code == 405
    assert client.post(f"/statements/households/{household_a.household_id}/2020/").status_code == 405
    assert client.post(f"/statements/villages/{f.VILLAGE_A}/2020/pdf/").status_code == 405
    # A year without a record, a township instead of a village: 404.
    assert client.get(f"/statements/households/{household_a.household_id}/2019/").status_code == 404
    client.force_login(users["county"])
    assert client.get(f"/statements/villages/{f.TOWNSHIP_A}/2020/pdf/").status_code == 404


def test_reissue_page_action(client, users, household_a):
    client.force_login(users["county"])
    url = f"/statements/households/{household_a.household_id}/2020/"
    client.get(url)
    old = QueryCode.objects.get(household=household_a.household, year=2020).code
    response = client.post(url + "reissue/")
    assert response.status_code == 302
    new = QueryCode.objects.get(household=household_a.household, year=2020, revoked_at__isnull=True).code
    assert new != old and new in client.get(url).content.decode()
    client.force_login(users["supervisor"])
    assert client.post(url + "reissue/").status_code == 403


def test_pdf_downloads_are_exports_in_the_access_log(client, users, household_a):
    client.force_login(users["clerk"])
    response = client.get(f"/statements/households/{household_a.household_id}/2020/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    response = client.get(f"/statements/villages/{f.VILLAGE_A}/2020/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    logged = list(AccessLog.objects.filter(action="export", object_type="statement_pdf")
                  .values_list("user__username", "object_ref"))
    assert sorted(logged) == sorted([("clerk_a", f"{household_a.household.household_no}/2020"),
                                     ("clerk_a", f"{f.VILLAGE_A}/2020")])
    # The code is printed for the roles that hand it out, not for a supervisor.
    code = QueryCode.objects.get(household=household_a.household).code
    from pypdf import PdfReader

    assert code in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    client.force_login(users["supervisor"])
    response = client.get(f"/statements/households/{household_a.household_id}/2020/pdf/")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "甲户主" in text and code not in text and "查询码" not in text
