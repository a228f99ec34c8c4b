"""Escalation of overdue warnings with a controlled clock: due on day 15, township on day 16, county on day 31."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.monitoring.choices import EscalationLevel, WarningStatus
from sunshine.monitoring.escalation import escalate_overdue, level_due
from sunshine.monitoring.models import EarlyWarning
from sunshine.monitoring.monitored import create_monitored
from sunshine.monitoring.runs import run_monitoring_for
from sunshine.testing import factories as f

DAY0 = dt.date(2021, 3, 1)


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def edge(actor, number: str, village: str = f.VILLAGE_A):
    return create_monitored(actor=actor, number=number, year=2020, division_code=village, head_name="边缘户主",
                            head_id_number=f.new_id(), members=2, per_capita_income=Decimal("3000"))


@pytest.fixture
def warning(users):
    edge(users["county"], "BY0001")
    run_monitoring_for(actor=users["county"], year=2020, today=DAY0)
    return EarlyWarning.objects.get()


def levels() -> list[str]:
    return list(EarlyWarning.objects.order_by("pk").values_list("escalation", flat=True))


def test_timing_is_day_16_township_and_day_31_county_and_idempotent(warning):
    assert warning.deadline == day(15)
    assert escalate_overdue(today=day(15)) == 0 and levels() == [EscalationLevel.VILLAGE]
    assert escalate_overdue(today=day(16)) == 1 and levels() == [EscalationLevel.TOWNSHIP]
    assert escalate_overdue(today=day(16)) == 0
    assert escalate_overdue(today=day(30)) == 0 and levels() == [EscalationLevel.TOWNSHIP]
    assert escalate_overdue(today=day(31)) == 1 and levels() == [EscalationLevel.COUNTY]
    assert escalate_overdue(today=day(31)) == 0 and escalate_overdue(today=day(90)) == 0
    events = list(warning.events.filter(action="escalated").values_list("note", "from_status", "to_status"))
    assert [note for note, *_ in events] == [
        "逾期未核实(核实期限 2021-03-16),升级至乡镇督办", "逾期未核实(核实期限 2021-03-16),升级至县级督办"]
    assert all((old, new) == ("pending", "pending") for _, old, new in events)
    warning.refresh_from_db()
    assert warning.status == WarningStatus.PENDING and warning.division_id == f.VILLAGE_A


def test_catching_up_goes_straight_to_the_due_level(warning):
    assert escalate_overdue(today=day(40)) == 1 and levels() == [EscalationLevel.COUNTY]
    assert warning.events.filter(action="escalated").count() == 1


def test_only_pending_warnings_escalate(warning, users):
    edge(users["county"], "BY0002")
    run_monitoring_for(actor=users["county"], year=2020, today=DAY0)
    EarlyWarning.objects.filter(pk=warning.pk).update(status=WarningStatus.CONFIRMED)
    assert escalate_overdue(today=day(20)) == 1
    assert levels() == [EscalationLevel.VILLAGE, EscalationLevel.TOWNSHIP]


def test_division_prefix_limits_escalation(warning, users):
    edge(users["county"], "BY0003", village=f.VILLAGE_B)
    run_monitoring_for(actor=users["county"], year=2020, today=DAY0)
    assert escalate_overdue(today=day(16), division_prefix="320321102") == 1
    assert levels() == [EscalationLevel.VILLAGE, EscalationLevel.TOWNSHIP]


def test_the_period_is_the_one_the_warning_was_raised_under(warning):
    warning.first_run.parameters["verification_days"] = 5
    warning.first_run.save(update_fields=["parameters"])
    assert escalate_overdue(today=day(21)) == 1 and levels() == [EscalationLevel.COUNTY]   # 6 days > 5


def test_level_due():
    assert level_due(day(15), day(15), 15) == EscalationLevel.VILLAGE
    assert level_due(day(15), day(16), 15) == EscalationLevel.TOWNSHIP
    assert level_due(day(15), day(30), 15) == EscalationLevel.TOWNSHIP
    assert level_due(day(15), day(31), 15) == EscalationLevel.COUNTY


def test_cli_escalate_only_and_after_a_run(users, capsys, tmp_path):
    edge(users["county"], "BY0001")
    call_command("monitor", "--year", "2020", "--today", DAY0.isoformat(), "--user", "county",
                 "--out", str(tmp_path / "w.json"))
    assert levels() == [EscalationLevel.VILLAGE]
    assert len(json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))) == 1
    call_command("monitor", "--escalate-only", "--today", day(16).isoformat(), "--user", "county")
    assert "升级督办 1 条" in capsys.readouterr().out and levels() == [EscalationLevel.TOWNSHIP]
    # A later run (same data, nothing new) escalates too.
    call_command("monitor", "--year", "2020", "--today", day(31).isoformat(), "--user", "county")
    assert "逾期升级 1 条" in capsys.readouterr().out and levels() == [EscalationLevel.COUNTY]
    with pytest.raises(CommandError):
        call_command("monitor", "--escalate-only", "--user", "clerk_a")
    with pytest.raises(CommandError):
        call_command("monitor", "--user", "county")  # no --year
