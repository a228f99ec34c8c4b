"""Monitoring asks assistance for the cadre of a household: a warning of a paired household is assigned to the
cadre's account (issue 16)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sunshine.assistance import selectors
from sunshine.assistance.tests.helpers import make_cadre, pair
from sunshine.core.choices import Role
from sunshine.monitoring.models import EarlyWarning
from sunshine.monitoring.runs import assigned_cadres, cadre_for, run_monitoring_for
from sunshine.monitoring.tests.test_runs import exited
from sunshine.testing import factories as f


def test_assigned_cadres_reads_open_pairings_of_cadres_with_accounts(users, household_a, household_b):
    account = f.make_user("cadre1", Role.CADRE, f.VILLAGE_A)
    with_account, without = make_cadre(user=account), make_cadre()
    today = timezone.localdate()
    pair(with_account, household_a.household)
    pair(without, household_b.household)
    ended = make_cadre(user=f.make_user("cadre2", Role.CADRE, f.VILLAGE_B))
    pair(ended, household_b.household, end=today - dt.timedelta(days=1))
    ids = [household_a.household_id, household_b.household_id]
    assert assigned_cadres(ids) == {household_a.household_id: account.pk}
    assert cadre_for(household_a.household) == account
    assert cadre_for(household_b.household) is None
    assert selectors.cadre_of(household_b.household) == without


def test_a_warning_of_a_paired_household_is_assigned_to_the_cadre(users):
    county = users["county"]
    household_year = exited(county, wage="1000")
    account = f.make_user("cadre1", Role.CADRE, f.VILLAGE_A)
    pair(make_cadre(user=account), household_year.household)
    run_monitoring_for(actor=county, year=2020)
    warning = EarlyWarning.objects.get()
    assert warning.household_id == household_year.household_id
    assert warning.assigned_to == account
