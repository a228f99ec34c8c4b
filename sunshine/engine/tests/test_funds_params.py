"""The funds rules read their numbers from the policy standard: a standard's ``to_dict()`` (with the subsidy
items' standards as ``subsidy_<code>``) gives the engine's Params."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sunshine.engine.funds.params import DEFAULT_ITEMS, Params
from sunshine.policy.parameters import StandardParameters


def test_defaults_of_the_policy_standard_are_funds_md() -> None:
    params = Params.from_mapping(StandardParameters().to_dict())
    assert params == Params()
    assert params.subsidy_items == DEFAULT_ITEMS


def test_a_changed_standard_reaches_the_rules() -> None:
    standard = StandardParameters().with_changes(subsidy_education_aid="2500", subsidy_public_job="900.5",
                                                 announcement_days=15, funds_idle_days=60)
    params = Params.from_mapping(standard.to_dict())
    assert params.item("education_aid").standard == Decimal("2500.00")
    assert params.item("public_job").standard == Decimal("900.50")
    assert params.item("dividend").standard is None   # computed items stay computed
    assert (params.announcement_days, params.funds_idle_days) == (15, 60)


def test_loan_parameters_come_from_the_standard() -> None:
    standard = StandardParameters().with_changes(loan_max="40000", loan_max_years=2, loan_overdue_warning_days=60)
    params = Params.from_mapping(standard.to_dict())
    assert (params.loan_max, params.loan_max_years, params.loan_overdue_warning_days) == (Decimal("40000.00"), 2, 60)
    assert params.dividend_keep_years == 2 and params.to_dict()["loan_max"] == 40000.0
    with pytest.raises(ValueError, match="loan_min_age"):
        Params(loan_min_age=70)
