"""The micro-credit and asset services of sunshine.funds.credit: extension and renewal (roles, validation, one
recorded event each), a loan's schedule with the engine's subsidy, the portfolio by bank and township, a
village's dividend list and disposal/scrapping (an asset that stops sharing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.funds import credit
from sunshine.funds.choices import LoanAction
from sunshine.funds.models_credit import Asset, AssetEvent, AssetIncome, Loan, LoanEvent, LoanRepayment
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
D = dt.date


def make_loan(household_year, loan_no: str, start: dt.date, due: dt.date, *, amount: str = "36000",
              bank: str = "农商行", **extra) -> Loan:
    household = household_year.household
    return Loan.objects.create(county_id=f.COUNTY, loan_no=loan_no, household=household,
                               household_no=household.household_no, id_number=f.new_id(), name="借款人", bank=bank,
                               loan_date=start, due_date=due, amount=Decimal(amount), annual_rate=Decimal("0.05"),
                               guarantee="none", **extra)


@pytest.fixture
def loan(household_a) -> Loan:
    return make_loan(household_a, "DK-1", D(2020, 1, 1), D(2020, 6, 30))


def test_extension_is_recorded_by_a_county_manager_only(loan, users):
    for role in ("clerk", "township", "supervisor"):
        with pytest.raises(PermissionDenied):
            credit.record_extension(actor=users[role], loan=loan, new_due_date=D(2020, 12, 31))
    with pytest.raises(ValidationError) as exc:
        credit.record_extension(actor=users["county"], loan=loan, new_due_date=D(2020, 6, 30))
    assert "展期到期日应晚于现到期日" in str(exc.value)
    event = credit.record_extension(actor=users["county"], loan=loan, new_due_date=D(2020, 12, 31), note="受灾")
    loan.refresh_from_db()
    assert loan.due == D(2020, 12, 31)
    assert (event.action, event.user, event.new_due_date, event.note) == (
        LoanAction.EXTENSION, users["county"], D(2020, 12, 31), "受灾")
    # The extension moves the overdue days out: the whole leap year is subsidised.
    assert credit.schedule(loan, D(2020, 12, 31)).subsidy_by_year == {2020: Decimal("1830.00")}


def test_renewal_creates_the_new_loan_and_ends_the_old(loan, users):
    with pytest.raises(ValidationError) as exc:
        credit.record_renewal(actor=users["county"], loan=loan, loan_no="DK-1", loan_date=D(2019, 12, 1),
                              due_date=D(2019, 12, 2), amount=Decimal("36000"), annual_rate=Decimal("5"))
    assert set(exc.value.message_dict) == {"loan_no", "loan_date", "annual_rate"}
    with pytest.raises(PermissionDenied):
        credit.record_renewal(actor=users["clerk"], loan=loan, loan_no="DK-2", loan_date=D(2020, 4, 1),
                              due_date=D(2022, 3, 31), amount=Decimal("36000"), annual_rate=Decimal("0.05"))
    new = credit.record_renewal(actor=users["county"], loan=loan, loan_no="DK-2", loan_date=D(2020, 4, 1),
                                due_date=D(2022, 3, 31), amount=Decimal("36000"), annual_rate=Decimal("0.05"))
    assert new.renewal_of == loan and new.id_number == loan.id_number and new.household == loan.household
    event = LoanEvent.objects.get(loan=loan)
    assert (event.action, event.new_loan, event.user) == (LoanAction.RENEWAL, new, users["county"])
    # The old loan counts as repaid on the new one's date: 91 days (29 February included), not overdue.
    old = credit.schedule(loan, D(2020, 12, 31))
    assert old.settled_on == D(2020, 4, 1) and old.overdue_days == 0 and old.outstanding == 0
    assert old.subsidy_by_year == {2020: Decimal("455.00")}
    assert credit.schedule(new, D(2020, 12, 31)).subsidy_by_year == {2020: Decimal("1375.00")}
    with pytest.raises(ValidationError):   # renewed once only
        credit.record_renewal(actor=users["county"], loan=loan, loan_no="DK-3", loan_date=D(2020, 5, 1),
                              due_date=D(2022, 3, 31), amount=Decimal("36000"), annual_rate=Decimal("0.05"))
    with pytest.raises(ValidationError):   # nor extended after
        credit.record_extension(actor=users["county"], loan=loan, new_due_date=D(2021, 1, 1))


def test_schedule_intervals_overdue_days_and_subsidy(loan):
    LoanRepayment.objects.create(loan=loan, date=D(2020, 9, 1), principal=Decimal("18000"))
    s = credit.schedule(loan, D(2020, 12, 31))
    assert s.intervals == [credit.Interval(D(2020, 1, 1), D(2020, 8, 31), Decimal("36000")),
                           credit.Interval(D(2020, 9, 1), None, Decimal("18000"))]
    assert (s.outstanding, s.overdue_days, s.settled_on) == (Decimal("18000"), 184, None)
    assert s.subsidy_by_year == {2020: Decimal("910.00")}   # overdue days not subsidised
    assert credit.schedule(loan, D(2020, 6, 30)).overdue_days == 0
    LoanRepayment.objects.create(loan=loan, date=D(2021, 1, 5), principal=Decimal("18000"))
    paid = credit.schedule(loan, D(2021, 3, 1))
    assert paid.settled_on == D(2021, 1, 5) and paid.outstanding == 0 and paid.overdue_days == 0
    assert paid.subsidy_by_year == {2020: Decimal("910.00"), 2021: Decimal("0.00")}


def test_portfolio_by_bank_and_township(household_a, household_b, users):
    make_loan(household_a, "P-1", D(2020, 1, 1), D(2022, 1, 1))                          # current
    make_loan(household_a, "P-2", D(2019, 1, 1), D(2020, 11, 30), amount="10000")        # 31 days overdue
    late = make_loan(household_b, "P-3", D(2019, 1, 1), D(2020, 6, 30), bank="邮储银行")  # 184 days overdue
    LoanRepayment.objects.create(loan=late, date=D(2020, 12, 1), principal=Decimal("6000"))
    make_loan(household_a, "P-4", D(2019, 1, 1), D(2020, 6, 30), amount="5000")
    LoanRepayment.objects.create(loan=Loan.objects.get(loan_no="P-4"), date=D(2020, 3, 1), principal=Decimal("5000"))
    lines = credit.portfolio(users["county"], D(2020, 12, 31))
    got = {(x.bank, x.township): (x.loans, x.outstanding, x.overdue_1_90, x.overdue_over_90) for x in lines}
    assert got == {
        ("农商行", f.TOWNSHIP_A): (2, Decimal("46000"), Decimal("10000"), 0),
        ("邮储银行", f.TOWNSHIP_B): (1, Decimal("30000"), 0, Decimal("30000")),
    }
    # A township reviewer sees their township only.
    assert [x.township for x in credit.portfolio(users["township"], D(2020, 12, 31))] == [f.TOWNSHIP_A]


def make_asset(asset_no: str, income: str, **extra) -> Asset:
    asset = Asset.objects.create(county_id=f.COUNTY, asset_no=asset_no, name="光伏", kind="solar",
                                 division_id=f.VILLAGE_A, value=Decimal("100000"), formed_date=D(2019, 1, 1),
                                 method="per_household", household_ratio=Decimal("0.6"), **extra)
    asset.villages.set([f.VILLAGE_A, f.VILLAGE_B])
    AssetIncome.objects.create(asset=asset, year=2020, income=Decimal(income))
    return asset


def test_dividend_list_of_a_village_and_disposal(household_a, household_b, users):
    asset = make_asset("ZC-1", "1000.01")
    # households ⌊100001 × 0.6⌋ = 60000 fen between A and B; villages 40001: 20001 to VILLAGE_A.
    lines = credit.dividend_list(users["clerk"], f.VILLAGE_A, 2020)
    assert [(x.household_no, x.head_name, x.amount) for x in lines] == [
        (household_a.household.household_no, "甲户主", Decimal("300.00")), (None, "", Decimal("200.01"))]
    with pytest.raises(PermissionDenied):
        credit.dividend_list(users["clerk"], f.VILLAGE_B, 2020)
    table = credit.dividends(users["county"], 2020)
    assert sum(table.column("amount").to_pylist()) == Decimal("1000.01")

    with pytest.raises(PermissionDenied):
        credit.record_disposal(actor=users["clerk"], asset=asset, date=D(2020, 12, 1), note="转让")
    with pytest.raises(ValidationError):
        credit.record_disposal(actor=users["county"], asset=asset, date=D(2020, 12, 1), note=" ")
    event = credit.record_disposal(actor=users["county"], asset=asset, date=D(2020, 12, 1), note="转让",
                                   proceeds=Decimal("50000"))
    asset.refresh_from_db()
    assert asset.status == "disposed" and event.user == users["county"] and event.proceeds == Decimal("50000")
    assert credit.dividends(users["county"], 2020).num_rows == 0     # a disposed asset shares nothing
    with pytest.raises(ValidationError):
        credit.record_scrapping(actor=users["county"], asset=asset, date=D(2020, 12, 2), note="损坏")
    other = make_asset("ZC-2", "10")
    credit.record_scrapping(actor=users["county"], asset=other, date=D(2020, 12, 2), note="损坏")
    assert AssetEvent.objects.get(asset=other).kind == "scrapping"
    assert Asset.objects.get(pk=other.pk).status == "scrapped"


def test_a_loan_finding_without_a_household_is_owned_by_the_loans_county(users):
    import pyarrow as pa

    from sunshine.core.models import Division
    from sunshine.engine.funds.tables import FINDINGS
    from sunshine.funds.check.services import candidates

    Loan.objects.create(county_id=f.COUNTY, loan_no="DK-X", id_number=f.new_id(), bank="农商行",
                        loan_date=D(2020, 1, 1), due_date=D(2021, 1, 1), amount=Decimal("1000"),
                        annual_rate=Decimal("0.05"), guarantee="none")
    row = {"rule": "L-INELIGIBLE", "severity": "high", "year": 2020, "subject": "loan", "key": "DK-X",
           "household_no": None, "id_hash": None, "division_code": None, "amount": Decimal("1000"),
           "explanation": "借款人不是建档立卡人员"}
    province = Division.objects.get(code="320000000000")
    found = candidates(pa.Table.from_pylist([row], schema=FINDINGS), province)
    assert [x.division_id for x in found] == [f.COUNTY]     # not the province the run was over


def test_a_distribution_is_stored_once_and_computed_again_after_a_change(household_a, household_b, users,
                                                                          monkeypatch):
    """Pages read the stored distribution (the household page must not recompute a county); a change to an
    asset, its villages or its income drops it, and `sunshine assets dividends` (refresh) computes it again."""
    from sunshine.funds.models_credit import DividendShare

    computed = []
    engine = credit.engine_dividends
    monkeypatch.setattr(credit, "engine_dividends", lambda *a, **k: computed.append(1) or engine(*a, **k))
    asset = make_asset("ZC-1", "1000.01")
    first = credit.dividends(users["county"], 2020)
    again = credit.dividends(users["county"], 2020)
    assert len(computed) == 1 and first.equals(again)
    assert DividendShare.objects.filter(year=2020).count() == first.num_rows == 4   # 2 villages, 2 households
    assert credit.dividends(users["county"], 2019).num_rows == 0 and len(computed) == 1   # no income: nothing

    income = AssetIncome.objects.get(asset=asset, year=2020)
    income.income = Decimal("2000.00")
    income.save()
    assert not DividendShare.objects.exists()
    assert sum(credit.dividends(users["county"], 2020).column("amount").to_pylist()) == Decimal("2000.00")
    asset.villages.set([f.VILLAGE_A])
    assert not DividendShare.objects.exists()
    credit.dividends(users["county"], 2020)
    credit.dividends(users["county"], 2020, refresh=True)
    assert len(computed) == 4


def test_a_disposal_scan_is_checked_by_the_service_too(users):
    """Not only the page's form: a caller of the service cannot store a file that is no PDF, JPG or PNG."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    asset = make_asset("ZC-9", "10")
    fake = SimpleUploadedFile("批复.pdf", b"MZ this is no pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        credit.record_disposal(actor=users["county"], asset=asset, date=D(2020, 12, 1), note="转让", attachment=fake)
    assert Asset.objects.get(pk=asset.pk).status == "operating" and not AssetEvent.objects.exists()
