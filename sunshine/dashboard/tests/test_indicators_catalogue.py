"""Every indicator of the catalogue, computed by refresh on a small region, equals a plain computation in Python
over the ORM objects (issue 17: "each indicator has a test that computes it on a small region by a plain
independent query and compares") at village, township and county level.

``EXPECTED`` holds one independent computation per indicator; a new indicator without one fails
``test_every_indicator_has_an_independent_check``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from sunshine.assessment.models import CountyAssessment, HouseholdAssessment, VillageAssessment
from sunshine.assistance.models import Pairing, Visit
from sunshine.comparison.models import Finding
from sunshine.dashboard import refresh
from sunshine.dashboard.indicators import CATALOGUE
from sunshine.dashboard.models import IndicatorValue
from sunshine.dashboard.tests.indicator_data import REGION_CODES, TODAY, YEAR, build
from sunshine.funds.models import Allocation, Expenditure, Fund, Payment
from sunshine.funds.models_credit import Loan
from sunshine.grievance.choices import AWAITING_ACCEPTANCE, AWAITING_CONCLUSION
from sunshine.grievance.models import Grievance
from sunshine.monitoring.models import EarlyWarning
from sunshine.policy.selectors import standard_for
from sunshine.registry import choices as rc
from sunshine.registry.models import HouseholdYear, MemberYear, per_capita_income
from sunshine.workflow.choices import OPEN_CASE_STATUSES
from sunshine.workflow.models import Case

Native = dict[tuple[str, str], list]  # (division code, key) → [value, denominator or None]


def _add(rows: Native, division: str, key: str, value: Any = 1, denominator: Any = None) -> None:
    entry = rows.setdefault((division, key), [Decimal(0), None])
    entry[0] += Decimal(value)
    if denominator is not None:
        entry[1] = (entry[1] or Decimal(0)) + Decimal(denominator)


# --- registry ------------------------------------------------------------------------------------------------

def _household_years() -> list[HouseholdYear]:
    return list(HouseholdYear.objects.filter(year=YEAR).select_related("household"))


def _active(hy: HouseholdYear) -> list[MemberYear]:
    return [m for m in hy.members.all() if m.member_status == rc.MemberStatus.ACTIVE]


def households() -> Native:
    rows: Native = {}
    for hy in _household_years():
        _add(rows, hy.household.village_id, hy.status)
    return rows


def people() -> Native:
    rows: Native = {}
    for hy in _household_years():
        _add(rows, hy.household.village_id, hy.status, len(_active(hy)))
    return rows


def exits() -> Native:
    rows: Native = {}
    for hy in _household_years():
        if hy.exit_year == YEAR:
            _add(rows, hy.household.village_id, "")
    return rows


def exit_people() -> Native:
    rows: Native = {}
    for hy in _household_years():
        if hy.exit_year == YEAR:
            _add(rows, hy.household.village_id, "", len(_active(hy)))
    return rows


def _band(hy: HouseholdYear) -> str:
    params = standard_for(YEAR, hy.household.village_id).params
    pc = per_capita_income(hy.disposable_income(), len(_active(hy)))
    if pc is None:
        return "unknown"
    if pc < params.income_line:
        return "below_line"
    if pc < params.monitoring_line:
        return "below_monitoring"
    return "above_monitoring"


def _open_households() -> list[HouseholdYear]:
    return [hy for hy in _household_years() if hy.status != rc.HouseholdStatus.CLOSED]


def income_bands() -> Native:
    rows: Native = {}
    for hy in _open_households():
        _add(rows, hy.household.village_id, _band(hy))
    return rows


def income_below_line() -> Native:
    rows: Native = {}
    for hy in _open_households():
        band = _band(hy)
        if band != "unknown":
            _add(rows, hy.household.village_id, "", int(band == "below_line"), 1)
    return rows


def household_types() -> Native:
    rows: Native = {}
    for hy in _open_households():
        if hy.household_type in (rc.HouseholdType.DIBAO, rc.HouseholdType.TEKUN):
            _add(rows, hy.household.village_id, hy.household_type)
    return rows


def medical_insurance() -> Native:
    rows: Native = {}
    for hy in _open_households():
        for m in _active(hy):
            _add(rows, hy.household.village_id, "", int(m.medical_insured is True), 1)
    return rows


# --- assessment: each subject's result in the newest official run of the year ---------------------------------

def _latest(model: type, subject: str, kind: str) -> list[Any]:
    newest: dict[Any, Any] = {}
    for result in model.objects.filter(run__year=YEAR, run__official=True, run__kind=kind).select_related("run"):
        key = getattr(result, subject)
        if key not in newest or result.run_id > newest[key].run_id:
            newest[key] = result
    return list(newest.values())


def criteria_pass() -> Native:
    rows: Native = {}
    for result in _latest(HouseholdAssessment, "household_id", "households"):
        for code, state in result.criteria.items():
            _add(rows, result.household.village_id, code, int(state == "pass"), 1)
    return rows


def households_meeting() -> Native:
    rows: Native = {}
    for result in _latest(HouseholdAssessment, "household_id", "households"):
        _add(rows, result.household.village_id, "", int(result.result == "meets"), 1)
    return rows


def weak_villages_met() -> Native:
    rows: Native = {}
    for result in _latest(VillageAssessment, "village_id", "villages"):
        if result.weak_village:
            _add(rows, result.village_id, "", int(result.criteria["V-INC"] == "pass"), 1)
    return rows


def weak_village_income() -> Native:
    rows: Native = {}
    for result in _latest(VillageAssessment, "village_id", "villages"):
        if result.weak_village:
            _add(rows, result.village_id, "", result.collective_income or 0)
    return rows


def key_county_household_share() -> Native:
    rows: Native = {}
    for result in _latest(CountyAssessment, "county_id", "counties"):
        _add(rows, result.county_id, "", result.households_meeting, result.registered_households)
    return rows


def key_county_village_share() -> Native:
    rows: Native = {}
    for result in _latest(CountyAssessment, "county_id", "counties"):
        _add(rows, result.county_id, "", result.weak_villages_meeting, result.weak_villages)
    return rows


# --- findings, warnings, cases -------------------------------------------------------------------------------

def _count(objects: Any, key: Callable[[Any], str | None], division: str = "division_id") -> Native:
    rows: Native = {}
    for obj in objects:
        k = key(obj)
        if k is not None:
            _add(rows, getattr(obj, division), k)
    return rows


def findings_by_rule() -> Native:
    return _count(Finding.objects.filter(year=YEAR), lambda x: x.rule)


def findings_by_state() -> Native:
    return _count(Finding.objects.filter(year=YEAR), lambda x: x.status)


def findings_overdue() -> Native:
    return _count(Finding.objects.filter(year=YEAR),
                  lambda x: "" if x.status == "pending" and x.deadline < TODAY else None)


def warnings_by_code() -> Native:
    rows: Native = {}
    for w in EarlyWarning.objects.filter(year=YEAR):
        for code in set(w.codes):
            _add(rows, w.division_id, code)
    return rows


def warnings_by_state() -> Native:
    return _count(EarlyWarning.objects.filter(year=YEAR), lambda x: x.status)


def warnings_overdue() -> Native:
    return _count(EarlyWarning.objects.filter(year=YEAR),
                  lambda x: "" if x.status == "pending" and x.deadline < TODAY else None)


def warnings_escalated() -> Native:
    return _count(EarlyWarning.objects.filter(year=YEAR), lambda x: x.escalation if x.escalation != "village" else None)


def cases_by_type() -> Native:
    return _count(Case.objects.filter(year=YEAR), lambda x: x.case_type)


def cases_by_step() -> Native:
    return _count(Case.objects.filter(year=YEAR),
                  lambda x: x.steps[x.current_step] if x.status in OPEN_CASE_STATUSES else None)


# --- funds and credit ----------------------------------------------------------------------------------------

def _fund_sums() -> list[tuple[Fund, Decimal, Decimal]]:
    """(fund, allocated, spent) — spent is the fund's pro-rata share of each project's spending."""
    out = []
    for fund in Fund.objects.filter(year=YEAR):
        parts: dict[int, Decimal] = defaultdict(Decimal)
        for a in Allocation.objects.filter(fund=fund):
            parts[a.project_id] += a.amount
        spent = Decimal(0)
        for project_id, part in parts.items():
            allocated = sum((a.amount for a in Allocation.objects.filter(project_id=project_id)), Decimal(0))
            used = sum((e.amount for e in Expenditure.objects.filter(project_id=project_id)), Decimal(0)) + sum(
                (p.amount for p in Payment.objects.filter(project_id=project_id)), Decimal(0))
            used = min(max(used, Decimal(0)), allocated)
            if allocated > 0 and part > 0:
                spent += (used * part / allocated).quantize(Decimal("0.01"))
        out.append((fund, sum(parts.values(), Decimal(0)), spent))
    return out


def funds_issued() -> Native:
    rows: Native = {}
    for fund in Fund.objects.filter(year=YEAR):
        _add(rows, fund.county_id, fund.source, fund.amount)
    return rows


def funds_allocated() -> Native:
    rows: Native = {}
    for fund, allocated, _spent in _fund_sums():
        _add(rows, fund.county_id, fund.source, allocated)
    return rows


def funds_spent() -> Native:
    rows: Native = {}
    for fund, _allocated, spent in _fund_sums():
        _add(rows, fund.county_id, fund.source, spent)
    return rows


def funds_idle() -> Native:
    rows: Native = {}
    for fund, allocated, _spent in _fund_sums():
        _add(rows, fund.county_id, fund.source, fund.amount - allocated)
    return rows


def _payments_of_year() -> list[Payment]:
    return [p for p in Payment.objects.select_related("household") if p.paid_date.year == YEAR]


def payments() -> Native:
    rows: Native = {}
    for p in _payments_of_year():
        _add(rows, p.household.village_id if p.household else p.county_id, p.item, p.amount)
    return rows


def payment_households() -> Native:
    rows: Native = {}
    for household in {p.household for p in _payments_of_year() if p.household}:
        _add(rows, household.village_id, "")
    return rows


def _loan_book() -> list[tuple[Loan, Decimal, bool]]:
    """(loan, outstanding, overdue) on 31 December of the year (TODAY is later)."""
    day = dt.date(YEAR, 12, 31)
    out = []
    for loan in Loan.objects.select_related("household"):
        if loan.loan_date > day or loan.renewals.filter(loan_date__lte=day).exists():
            continue
        left = loan.amount - sum((r.principal for r in loan.repayments.all() if r.date <= day), Decimal(0))
        if left > 0:
            out.append((loan, left, loan.due < day))
    return out


def _loan_division(loan: Loan) -> str:
    return loan.household.village_id if loan.household else loan.county_id


def loans_outstanding() -> Native:
    rows: Native = {}
    for loan, left, _overdue in _loan_book():
        _add(rows, _loan_division(loan), "", left)
    return rows


def loans_overdue() -> Native:
    rows: Native = {}
    for loan, left, overdue in _loan_book():
        if overdue:
            _add(rows, _loan_division(loan), "", left)
    return rows


def loans_overdue_count() -> Native:
    rows: Native = {}
    for loan, _left, overdue in _loan_book():
        if overdue:
            _add(rows, _loan_division(loan), "")
    return rows


# --- grievances and assistance -------------------------------------------------------------------------------

def _grievances() -> list[Grievance]:
    return [g for g in Grievance.objects.all() if g.registered_on.year == YEAR]


def grievances_by_category() -> Native:
    return _count(_grievances(), lambda g: g.category)


def grievances_by_state() -> Native:
    return _count(_grievances(), lambda g: g.state)


def grievances_overdue() -> Native:
    def overdue(g: Grievance) -> str | None:
        late = ((g.state in AWAITING_ACCEPTANCE and g.accept_by < TODAY)
                or (g.state in AWAITING_CONCLUSION and g.conclude_by is not None and g.conclude_by < TODAY))
        return "" if late else None
    return _count(_grievances(), overdue)


def _needing_cadre() -> list[HouseholdYear]:
    return [hy for hy in _household_years()
            if hy.status in (rc.HouseholdStatus.IN_POVERTY, rc.HouseholdStatus.RETURNED)
            or (hy.status == rc.HouseholdStatus.EXITED and hy.exit_year is not None and hy.exit_year >= YEAR - 2)]


def _paired(household_id: int, day: dt.date) -> bool:
    return any(p.start_date <= day and (p.end_date is None or p.end_date >= day)
               for p in Pairing.objects.filter(household_id=household_id))


def cadre_coverage() -> Native:
    rows: Native = {}
    day = dt.date(YEAR, 12, 31)
    for hy in _needing_cadre():
        _add(rows, hy.household.village_id, "", int(_paired(hy.household_id, day)), 1)
    return rows


def visits_90d() -> Native:
    rows: Native = {}
    day = dt.date(YEAR, 12, 31)
    for hy in _needing_cadre():
        if not _paired(hy.household_id, day):
            continue
        days = standard_for(YEAR, hy.household.village_id).params.assistance_visit_days
        visited = any(day - dt.timedelta(days=days) <= v.date <= day
                      for v in Visit.objects.filter(household_id=hy.household_id))
        _add(rows, hy.household.village_id, "", int(visited), 1)
    return rows


EXPECTED: dict[str, Callable[[], Native]] = {name: globals()[name] for name in (
    "households", "people", "exits", "exit_people", "income_bands", "income_below_line", "household_types",
    "medical_insurance", "criteria_pass", "households_meeting", "weak_villages_met", "weak_village_income",
    "key_county_household_share", "key_county_village_share", "findings_by_rule", "findings_by_state",
    "findings_overdue", "warnings_by_code", "warnings_by_state", "warnings_overdue", "warnings_escalated",
    "cases_by_type", "cases_by_step", "funds_issued", "funds_allocated", "funds_spent", "funds_idle", "payments",
    "payment_households", "loans_outstanding", "loans_overdue", "loans_overdue_count", "grievances_by_category",
    "grievances_by_state", "grievances_overdue", "cadre_coverage", "visits_90d",
)}


def expected_by_division(native: Native) -> dict[tuple[str, str], tuple[Decimal, Decimal | None]]:
    """The native rows summed for each division of the test region (a row counts for every division whose
    code prefix it carries), zeros left out as refresh leaves them out."""
    out: dict[tuple[str, str], list] = {}
    for code, prefix in REGION_CODES.items():
        for (division, key), (value, denominator) in native.items():
            if division.startswith(prefix):
                entry = out.setdefault((code, key), [Decimal(0), None])
                entry[0] += value
                if denominator is not None:
                    entry[1] = (entry[1] or Decimal(0)) + denominator
    return {k: (v, d) for k, (v, d) in out.items() if v or d}


def stored(code: str) -> dict[tuple[str, str], tuple[Decimal, Decimal | None]]:
    rows = IndicatorValue.objects.filter(code=code, year=YEAR, division_code__in=list(REGION_CODES))
    return {(r.division_code, r.key): (r.value, r.denominator) for r in rows}


def test_every_indicator_has_an_independent_check() -> None:
    assert set(EXPECTED) == set(CATALOGUE)


@pytest.fixture
def data(users, monkeypatch):
    return build(users, monkeypatch)


@pytest.mark.django_db
def test_every_indicator_equals_its_independent_computation(data) -> None:
    """Each indicator refreshed alone (codes=[code]) equals its independent computation at village, township
    and county level; then one refresh of the whole catalogue gives the same values. The data are built once."""
    mismatches, empty = {}, []
    for code, compute in EXPECTED.items():
        outcome = refresh.refresh(year=YEAR, codes=[code])
        assert outcome.codes == [code]
        expected = expected_by_division(compute())
        if not expected:
            empty.append(code)
        got = stored(code)
        if got != expected:
            mismatches[code] = {"stored": got, "expected": expected}
    assert not mismatches
    assert not empty, f"the test data exercise no value of {empty}"
    before = {code: stored(code) for code in EXPECTED}
    refresh.refresh(year=YEAR)
    assert {code: stored(code) for code in EXPECTED} == before


def test_declarations_are_complete() -> None:
    """Every indicator names its section, unit, sources and a target the policy standard knows."""
    from sunshine.dashboard.choices import Section
    from sunshine.dashboard.indicators.base import Kind
    from sunshine.policy.parameters import StandardParameters

    for indicator in CATALOGUE.values():
        assert indicator.section in Section.values, indicator.code
        assert str(indicator.name) and str(indicator.unit) and str(indicator.description), indicator.code
        assert indicator.sources, indicator.code
        if indicator.target is not None and indicator.target.parameter:
            assert hasattr(StandardParameters(), indicator.target.parameter), indicator.code
        if indicator.kind == Kind.SHARE:
            assert indicator.unit == "%", indicator.code
    headline = {i.code for i in CATALOGUE.values() if i.headline}
    assert {"people", "exits", "income_below_line", "criteria_pass", "weak_villages_met",
            "key_county_household_share", "findings_overdue", "warnings_overdue", "funds_idle"} <= headline


@pytest.mark.django_db
def test_a_county_standard_overrides_the_province_line(users) -> None:
    """The line is the standard of the household's own region: a county override of 7,000 puts a household
    at 6,500 per capita under it, while the province's 6,000 would not."""
    from sunshine.policy.models import PolicyStandard
    from sunshine.policy.parameters import StandardParameters
    from sunshine.testing import factories as f

    hy = f.make_household(users["county"], village=f.VILLAGE_A, members=2, wage_income=Decimal("13000.00"),
                          business_income=Decimal(0), business_expense=Decimal(0), property_income=Decimal(0),
                          transfer_income=Decimal(0), transfer_expense=Decimal(0))
    refresh.refresh(year=hy.year, codes=["income_below_line", "income_bands"])
    assert stored("income_below_line")[(f.VILLAGE_A, "")] == (0, 1)
    PolicyStandard.objects.create(version="fengxian-2020", name="丰县标准", year_from=hy.year, year_to=hy.year,
                                  region_id=f.COUNTY,
                                  parameters=StandardParameters(income_line=Decimal(7000)).to_dict())
    assert standard_for(hy.year, f.VILLAGE_A).version == "fengxian-2020"
    refresh.refresh(year=hy.year, codes=["income_below_line", "income_bands"])
    assert stored("income_below_line")[(f.VILLAGE_A, "")] == (1, 1)
    assert (f.VILLAGE_A, "below_line") in stored("income_bands")
