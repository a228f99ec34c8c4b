"""Overdue grievances escalate exactly like overdue warnings (sunshine.core.escalation), with a controlled clock:
the warning tests' days (due on day 15, one level up on day 16, two levels up on day 31) for a 15-day period,
and the default deadlines (accept within 3 days, conclude within 30 days of acceptance)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.core import escalation as common
from sunshine.grievance.choices import State
from sunshine.grievance.escalation import escalate_overdue
from sunshine.grievance.models import Grievance
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
DAY0 = dt.date(2021, 3, 1)
CITY = "320300000000"


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def level(g: Grievance) -> tuple[int, str | None]:
    g.refresh_from_db()
    return g.escalation, g.escalated_to_id


def test_the_shared_rule_is_the_warnings_timing():
    assert [common.steps_due(day(15), day(n), 15) for n in (15, 16, 30, 31, 90)] == [0, 1, 1, 2, 2]
    assert common.moves([("a", day(15), 1, 15), ("b", day(15), 0, 15), ("c", day(15), 2, 15)], day(31)) == {
        2: [("a", day(15), 1), ("b", day(15), 0)]}


def test_acceptance_overdue_goes_one_then_two_levels_above_the_county_office(users):
    g, _ = gf.register(users["county"], on=DAY0)
    assert g.accept_by == day(3)
    assert escalate_overdue(today=day(3)) == 0 and level(g) == (0, None)
    assert escalate_overdue(today=day(4)) == 1 and level(g) == (1, CITY)
    assert escalate_overdue(today=day(4)) == 0          # idempotent
    assert escalate_overdue(today=day(6)) == 0 and level(g) == (1, CITY)
    assert escalate_overdue(today=day(7)) == 1 and level(g) == (2, "320000000000")
    assert escalate_overdue(today=day(90)) == 0
    notes = list(g.events.filter(action="escalated").values_list("note", "from_state", "to_state"))
    assert notes == [("逾期未受理(受理期限 2021-03-04),升级至市级督办(徐州市)", "registered", "registered"),
                     ("逾期未受理(受理期限 2021-03-04),升级至省级督办(江苏省)", "registered", "registered")]


def test_conclusion_overdue_of_a_village_goes_to_the_township_on_day_16_and_the_county_on_day_31(users):
    g, _ = gf.register(users["county"], on=DAY0)
    g = gf.walk(g, users, State.INVESTIGATING, on=DAY0)
    assert g.conclude_by == day(30)      # the default: 30 days from acceptance
    # The warnings' days: a 15-day period due on day 15.
    Grievance.objects.filter(pk=g.pk).update(conclude_days=15, conclude_by=day(15))
    assert escalate_overdue(today=day(15)) == 0 and level(g) == (0, None)
    assert escalate_overdue(today=day(16)) == 1 and level(g) == (1, f.TOWNSHIP_A)
    assert escalate_overdue(today=day(16)) == 0
    assert escalate_overdue(today=day(30)) == 0 and level(g) == (1, f.TOWNSHIP_A)
    assert escalate_overdue(today=day(31)) == 1 and level(g) == (2, f.COUNTY)
    assert escalate_overdue(today=day(31)) == 0 and escalate_overdue(today=day(90)) == 0
    notes = [n for n, in g.events.filter(action="escalated").values_list("note")]
    assert notes[0].startswith("逾期未办结(办结期限 2021-03-16),升级至乡镇督办(") and "县级督办" in notes[1]
    g.refresh_from_db()
    assert g.state == State.INVESTIGATING and g.handling_division_id == f.VILLAGE_A


def test_catching_up_goes_straight_to_the_level_due_and_closed_ones_stay(users):
    late, _ = gf.register(users["county"], on=DAY0)
    done, _ = gf.register(users["county"], on=DAY0)
    gf.walk(done, users, State.CONCLUDED, on=DAY0)
    assert escalate_overdue(today=day(100)) == 1 and level(late)[0] == 2 and level(done) == (0, None)
    assert late.events.filter(action="escalated").count() == 1


def test_default_conclusion_deadline_is_thirty_days_after_acceptance(users):
    g, _ = gf.register(users["county"], on=DAY0)
    gf.walk(g, users, State.ASSIGNED, on=day(2))
    assert escalate_overdue(today=day(32)) == 0
    assert escalate_overdue(today=day(33)) == 1 and level(g) == (1, f.TOWNSHIP_A)


def test_division_prefix_limits_and_the_command(users, capsys):
    a, _ = gf.register(users["county"], on=DAY0)
    b, _ = gf.register(users["county"], on=DAY0, division=f.VILLAGE_B)
    assert escalate_overdue(today=day(4), division_prefix="320321102") == 1
    assert level(a)[0] == 0 and level(b)[0] == 1
    call_command("grievances", "escalate", "--today", day(4).isoformat(), "--user", "county")
    assert "升级督办 1 件举报" in capsys.readouterr().out and level(a)[0] == 1
    with pytest.raises(CommandError):
        call_command("grievances", "escalate", "--user", "clerk_a")
