"""The funds rules read their numbers from the policy standard: a standard's ``to_dict()`` (with the subsidy
items' standards as ``subsidy_<code>``) gives the engine's Params."""

from __future__ import annotations

from decimal import Decimal

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
