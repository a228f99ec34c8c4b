"""The refresh triggers: the apps announce their changes once committed, the dashboard queues one refresh per
(year, sources) — never a second while one waits — and with the immediate backend the figures follow at once."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from sunshine.core.signals import announce_change, data_changed
from sunshine.dashboard import tasks
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def queued() -> list[dict[str, Any]]:
    from django_tasks_db.models import DBTaskResult

    return [row.args_kwargs["kwargs"] for row in
            DBTaskResult.objects.ready().filter(task_path=tasks.refresh_task.module_path).order_by("enqueued_at")]


@pytest.fixture
def database_queue(settings) -> None:
    settings.TASKS = DATABASE
    settings.SUNSHINE_INDICATOR_AUTO_REFRESH = True


@pytest.fixture
def announced() -> list[tuple[int | None, str]]:
    """Every data_changed sent, as (year, source)."""
    seen: list[tuple[int | None, str]] = []

    def receiver(sender: Any, *, year: int | None = None, source: str = "", **_: Any) -> None:
        seen.append((year, source))

    data_changed.connect(receiver, dispatch_uid="test_triggers")
    yield seen
    data_changed.disconnect(dispatch_uid="test_triggers")


# --- the queue ------------------------------------------------------------------------------------------------


def test_a_change_queues_one_refresh_and_a_second_change_waits_with_it(database_queue, settings,
                                                                        django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        announce_change(sender=None, year=2020, source="registry")
        announce_change(sender=None, year=2020, source="registry")
    assert len(callbacks) == 2  # sent after the commit, not during the transaction
    assert queued() == [{"year": 2020, "sources": ["registry"]}]
    with django_capture_on_commit_callbacks(execute=True):
        announce_change(sender=None, year=2019, source="registry")  # another year: its own refresh
        announce_change(sender=None, year=2020, source="funds")  # another source: its own refresh
        announce_change(sender=None, year=None, source="monitoring")  # no year: the default year
    assert queued()[1:] == [{"year": 2019, "sources": ["registry"]}, {"year": 2020, "sources": ["funds"]},
                            {"year": settings.SUNSHINE_DEFAULT_YEAR, "sources": ["monitoring"]}]


def test_a_queued_refresh_of_everything_covers_any_source(database_queue) -> None:
    assert tasks.request_refresh(year=2020, sources=None) is True
    assert tasks.request_refresh(year=2020, sources=["registry"]) is False
    assert tasks.request_refresh(year=2020, sources=["assessment"]) is False
    assert tasks.request_refresh(year=2021, sources=["assessment"]) is True
    assert len(queued()) == 2


def test_a_running_refresh_does_not_absorb_a_later_change(database_queue) -> None:
    """The running one may have read the tables before the change: the change queues another."""
    from django_tasks_db.models import DBTaskResult

    assert tasks.request_refresh(year=2020, sources=["registry"]) is True
    DBTaskResult.objects.filter(task_path=tasks.refresh_task.module_path).update(status="RUNNING")
    assert tasks.request_refresh(year=2020, sources=["registry"]) is True
    assert queued() == [{"year": 2020, "sources": ["registry"]}]


def test_a_source_that_feeds_no_indicator_queues_nothing(database_queue) -> None:
    assert tasks.request_refresh(year=2020, sources=["library"]) is False
    assert queued() == []


def test_switched_off_nothing_is_queued(database_queue, settings, django_capture_on_commit_callbacks) -> None:
    settings.SUNSHINE_INDICATOR_AUTO_REFRESH = False
    with django_capture_on_commit_callbacks(execute=True):
        announce_change(sender=None, year=2020, source="registry")
    assert queued() == []


def test_a_failure_to_queue_is_logged_not_raised(database_queue, monkeypatch, caplog,
                                                 django_capture_on_commit_callbacks) -> None:
    def broken(**_: Any) -> bool:
        raise RuntimeError("queue down")

    monkeypatch.setattr(tasks, "request_refresh", broken)
    with django_capture_on_commit_callbacks(execute=True):
        announce_change(sender=None, year=2020, source="registry")  # the committed change must not look failed
    assert "queueing the indicator refresh" in caplog.text


# --- the refresh itself -----------------------------------------------------------------------------------------


def test_the_task_refreshes_the_indicators_of_its_sources(users, household_a, household_b) -> None:
    result = tasks.refresh_task.call(year=2020, sources=["registry"])
    assert "households" in result["codes"] and "funds_issued" not in result["codes"]
    log = IndicatorRefresh.objects.get()
    assert log.trigger == "auto:registry" and log.finished_at is not None and log.rows == result["rows"]
    assert IndicatorValue.objects.filter(code="households", year=2020, division_code=f.COUNTY).exists()


def test_an_import_refreshes_the_households_at_once_with_the_immediate_backend(
        settings, users, household_a, household_b, tmp_path, django_capture_on_commit_callbacks) -> None:
    """The registry import announces each year it wrote; the immediate backend refreshes inside the callback."""
    from sunshine.registry.transfer.export import export_year
    from sunshine.registry.transfer.pipeline import ImportFiles, import_registry

    settings.TASKS = IMMEDIATE
    settings.SUNSHINE_INDICATOR_AUTO_REFRESH = True
    paths = export_year(2020, tmp_path / "files", "csv", unmasked=True)
    assert not IndicatorValue.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_registry(ImportFiles(paths["households"], paths["members"]), actor=users["county"],
                                 year=2020).result
    assert result.written
    stored = sum(v.value for v in IndicatorValue.objects.filter(code="households", year=2020,
                                                                 division_code=f.COUNTY))
    assert stored == HouseholdYear.objects.filter(year=2020).count() == 2
    assert IndicatorRefresh.objects.filter(trigger="auto:registry").count() == 1


# --- who announces ----------------------------------------------------------------------------------------------


def test_a_registry_import_announces_its_year(users, household_a, household_b, tmp_path, announced,
                                              django_capture_on_commit_callbacks) -> None:
    from sunshine.registry.transfer.export import export_year
    from sunshine.registry.transfer.pipeline import ImportFiles, import_registry

    paths = export_year(2020, tmp_path / "files", "csv", unmasked=True)
    with django_capture_on_commit_callbacks(execute=True):
        import_registry(ImportFiles(paths["households"], paths["members"]), actor=users["county"], year=2020)
    assert announced == [(2020, "registry")]


def test_an_official_assessment_announces_and_a_what_if_does_not(users, household_a, announced,
                                                                  django_capture_on_commit_callbacks) -> None:
    from sunshine.assessment.services import run_assessment

    with django_capture_on_commit_callbacks(execute=True):
        run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY)
    assert announced == [(2020, "assessment")]
    with django_capture_on_commit_callbacks(execute=True):
        run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.COUNTY,
                       official=False)
    assert announced == [(2020, "assessment")]


def test_a_monitoring_run_announces(users, household_a, announced, django_capture_on_commit_callbacks) -> None:
    from sunshine.monitoring.runs import run_monitoring_for

    with django_capture_on_commit_callbacks(execute=True):
        run_monitoring_for(actor=users["county"], year=2020, division_code=f.COUNTY)
    assert announced == [(2020, "monitoring")]


def test_a_finding_verified_announces(users, household_a, announced, django_capture_on_commit_callbacks) -> None:
    from sunshine.comparison import workflow
    from sunshine.comparison.tests import factories as cf

    finding = cf.make_finding(run=cf.make_run(actor=users["county"]), household_year=household_a)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(actor=users["clerk"], finding=finding, confirmed=True, note="属实")
    assert announced == [(2020, "comparison")]


def test_grievance_registered_and_moved_announce(users, announced, django_capture_on_commit_callbacks) -> None:
    import datetime as dt

    from sunshine.grievance import services
    from sunshine.grievance.tests.factories import register

    on = dt.date(2021, 3, 1)
    with django_capture_on_commit_callbacks(execute=True):
        grievance, _ = register(users["county"], on=on)
        services.accept(actor=users["county"], grievance=grievance, on=on)
    assert announced == [(2021, "grievance"), (2021, "grievance")]


def test_a_check_announces_its_findings_and_a_case_its_steps(users, household_a, announced,
                                                            django_capture_on_commit_callbacks) -> None:
    """A funds or assistance check raises findings of the one workflow (source comparison); a case's opening
    and each signed step change the cases by type and step (source workflow)."""
    import datetime as dt

    from sunshine.assistance.check.services import run_check
    from sunshine.workflow.tests.factories import open_exit, sign

    with django_capture_on_commit_callbacks(execute=True):
        run_check(actor=users["county"], year=2020, check_date=dt.date(2020, 12, 31), today=dt.date(2020, 12, 31))
    assert announced == [(2020, "comparison")]
    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = open_exit(users["clerk"], household_a)
        sign(users["clerk"], case)
    assert announced == [(2020, "workflow"), (2020, "workflow")]


def test_demo_ends_with_a_refresh_of_every_generated_year(transactional_db, settings) -> None:
    settings.SUNSHINE_INDICATOR_AUTO_REFRESH = False
    out = io.StringIO()
    call_command("demo", households=40, seed=3, no_serve=True, no_comparison=True, stdout=out)
    years = sorted(set(HouseholdYear.objects.values_list("year", flat=True)))
    assert len(years) >= 2
    refreshed = sorted(set(IndicatorRefresh.objects.filter(trigger="demo").values_list("year", flat=True)))
    assert refreshed == years
    for year in years:
        assert IndicatorValue.objects.filter(code="households", year=year, level="province").exists(), year
    assert "统计指标" in out.getvalue()
