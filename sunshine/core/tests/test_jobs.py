"""Jobs left "进行中" by a process that died are marked failed at the next start; live ones are left alone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sunshine import cli
from sunshine.comparison.choices import JobStatus
from sunshine.comparison.models import ComparisonRun, DatasetUpload
from sunshine.core import jobs
from sunshine.registry.models_transfer import ImportJob


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 - our own interpreter
    child.wait()
    return child.pid


def running_import(user, **claim) -> ImportJob:  # noqa: ANN001
    return ImportJob.objects.create(user=user, status=ImportJob.Status.RUNNING, **claim)


def test_every_job_model_with_a_status_records_its_process() -> None:
    from sunshine.funds.models_transfer import FundsUpload

    assert set(jobs.job_models()) == {ImportJob, DatasetUpload, ComparisonRun, FundsUpload}


def test_a_running_job_whose_process_is_gone_is_marked_failed(users, dead_pid) -> None:
    job = running_import(users["county"], worker_host=jobs.host_name(), worker_pid=dead_pid)
    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.get_status_display() == "失败"
    assert "任务中断" in job.message and str(dead_pid) in job.message
    assert job.finished_at is not None


def test_a_job_of_a_live_process_is_left_alone(users) -> None:
    job = running_import(users["county"], **jobs.claim())  # this test process: alive
    assert jobs.recover_stale_jobs() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING


def test_a_reused_pid_does_not_keep_a_dead_job_running(users) -> None:
    claim = jobs.claim()
    if not claim["worker_process"]:
        pytest.skip("no /proc: process start times unknown")
    job = running_import(users["county"], **{**claim, "worker_process": claim["worker_process"] + "0"})
    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_a_job_of_another_host_is_left_alone(users, dead_pid) -> None:
    job = running_import(users["county"], worker_host="another-host", worker_pid=dead_pid)
    assert jobs.recover_stale_jobs() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING


def test_a_running_job_without_a_recorded_process_is_failed(users) -> None:
    """Left running by a version that did not record its process: it cannot have survived the restart."""
    job = running_import(users["county"])
    assert jobs.recover_stale_jobs() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED


def test_comparison_runs_and_uploads_are_recovered_too(users, dead_pid) -> None:
    division = users["county"].division
    run = ComparisonRun.objects.create(year=2020, division=division, status=JobStatus.RUNNING,
                                       worker_host=jobs.host_name(), worker_pid=dead_pid)
    upload = DatasetUpload.objects.create(dataset="civil_affairs", file_name="x.csv", path="x",
                                          user=users["county"], status=JobStatus.RUNNING,
                                          worker_host=jobs.host_name(), worker_pid=dead_pid)
    done = ComparisonRun.objects.create(year=2020, division=division, status=JobStatus.DONE,
                                        worker_host=jobs.host_name(), worker_pid=dead_pid)
    assert jobs.recover_stale_jobs() == 2
    for job in (run, upload, done):
        job.refresh_from_db()
    assert (run.status, upload.status, done.status) == (JobStatus.FAILED, JobStatus.FAILED, JobStatus.DONE)


def test_starting_a_job_records_this_process(users) -> None:
    from sunshine.registry.transfer.tasks import run_job

    job = ImportJob.objects.create(user=users["county"], households_path="missing.csv", households_name="户.csv")
    run_job(job.pk)  # fails (no file), but it was claimed by this process first
    job.refresh_from_db()
    assert (job.worker_host, job.worker_pid) == (jobs.host_name(), os.getpid())


def test_the_cli_recovers_before_the_commands_that_start_work(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cli, "_recover_jobs", lambda: calls.append("recover"))
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda argv: calls.append(argv[1]))
    monkeypatch.setenv("SUNSHINE_PROCESS", "web")
    for command in ("serve", "db_worker", "import", "compare", "init", "export"):
        cli.main([command])
    assert calls == ["recover", "serve", "recover", "db_worker", "recover", "import", "recover", "compare",
                     "init", "recover", "export"]
    assert os.environ["SUNSHINE_PROCESS"] == "batch"  # db_worker/import/compare: long database limits
    cli.main(["serve"])
    assert os.environ["SUNSHINE_PROCESS"] == "web"


def test_one_job_can_be_checked_when_its_page_is_shown(users, dead_pid) -> None:
    """A web worker killed during an inline import: the job page can notice without a restart."""
    dead = running_import(users["county"], worker_host=jobs.host_name(), worker_pid=dead_pid)
    live = running_import(users["county"], **jobs.claim())
    assert jobs.recover_job(dead) is True and dead.status == ImportJob.Status.FAILED
    assert jobs.recover_job(live) is False
    live.refresh_from_db()
    assert live.status == ImportJob.Status.RUNNING
