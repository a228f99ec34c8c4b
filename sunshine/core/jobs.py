"""Background jobs left "进行中" by a process that died (killed, out of memory, server restarted).

Every job model with a ``status`` of ``running``/``failed`` (registry ImportJob, comparison DatasetUpload and
ComparisonRun, funds FundsUpload) inherits :class:`JobProcess` (the upload jobs through :class:`UploadJob`), and
the code that starts a job records which process runs it:
``Model.objects.filter(pk=...).update(status="running", ..., **claim())``.

:func:`recover_stale_jobs` runs when a process that could pick up work starts (`sunshine serve` and its
db_worker, `sunshine init`, the import and run commands: see ``sunshine.cli``). A running job whose process is
gone is marked failed with a Chinese reason, so the page stops showing "进行中" and the user can submit it
again. A job run by a live process, or by another machine (PostgreSQL shared by several hosts), is left alone.
A process id the kernel has since given to another process does not count as alive: the process's start time
(and the boot id) are recorded next to the pid and must match.
"""

from __future__ import annotations

import logging
import os
import socket
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import DatabaseError, models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

RUNNING = "running"
DONE = "done"
FAILED = "failed"
FINISHED = (DONE, FAILED)


class JobProcess(models.Model):
    """Which process runs the job (set when it starts): host name, pid and that process's identity."""

    worker_host = models.CharField(gettext_lazy("执行主机"), max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(gettext_lazy("执行进程号"), null=True, blank=True)
    # "<boot id>:<start time in clock ticks>" of the pid (Linux); empty elsewhere.
    worker_process = models.CharField(max_length=80, blank=True)

    class Meta:
        abstract = True


class UploadJob(JobProcess):
    """The fields every upload job has (registry ImportJob, comparison DatasetUpload, funds FundsUpload; run by
    sunshine.core.uploads). Each model adds its own status, user, files and outcome."""

    progress = models.PositiveSmallIntegerField(gettext_lazy("进度"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    error_count = models.PositiveIntegerField(gettext_lazy("错误数"), default=0)
    errors = models.JSONField(gettext_lazy("错误(前若干条)"), default=list, blank=True)  # rows as the report has
    message = models.TextField(gettext_lazy("说明"), blank=True)
    created_at = models.DateTimeField(gettext_lazy("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(gettext_lazy("结束时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return getattr(self, "status", None) in FINISHED


@cache
def host_name() -> str:
    return socket.gethostname()[:255]


def process_identity(pid: int) -> str:
    """What tells this pid's process apart from a later one given the same number; "" when unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
    fields = stat[stat.rindex(")") + 2:].split()
    return f"{boot}:{fields[19]}"  # field 22 of the line: starttime


def claim() -> dict[str, Any]:
    """The fields to write with status="running": this process runs the job."""
    pid = os.getpid()
    return {"worker_host": host_name(), "worker_pid": pid, "worker_process": process_identity(pid)}


def process_alive(pid: int | None, identity: str = "") -> bool:
    """Is the process that claimed a job on this host still running?"""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        pass
    if identity:
        current = process_identity(pid)
        if current and current != identity:
            return False  # the pid was reused by a later process
    return True


def job_models() -> list[type[JobProcess]]:
    return [m for m in apps.get_models() if issubclass(m, JobProcess)]


def stale_reason(job: JobProcess) -> str:
    if not job.worker_pid:
        return _("任务中断:执行它的进程已不在运行(服务已重启)。未完成的任务不会写入结果,请重新提交。")
    return _(
        "任务中断:执行它的进程(主机 %(host)s,进程号 %(pid)s)已停止(被终止或服务器重启)。"
        "未完成的任务不会写入结果,请重新提交。"
    ) % {"host": job.worker_host, "pid": job.worker_pid}


def recover_job(job: JobProcess) -> bool:
    """Mark ``job`` failed if it is running on this host and its process is gone (for a page that shows a
    job's progress: a web worker killed while importing inline leaves no one else to notice). True if it did."""
    if getattr(job, "status", None) != RUNNING or job.worker_host not in (host_name(), ""):
        return False
    if job.worker_host and process_alive(job.worker_pid, job.worker_process):
        return False
    reason = stale_reason(job)
    # Only if it is still the same claim: a worker may have just picked the job up again.
    changed = type(job).objects.filter(
        pk=job.pk, status=RUNNING, worker_pid=job.worker_pid, worker_host=job.worker_host,
    ).update(status=FAILED, message=reason, finished_at=timezone.now())
    if changed:
        job.status, job.message = FAILED, reason  # type: ignore[attr-defined]
        logger.warning("%s #%s left running by a stopped process: marked failed", type(job).__name__, job.pk)
    return bool(changed)


def recover_stale_jobs() -> int:
    """Mark failed every running job of this host whose process is gone; returns how many. Never raises for
    a database that is not migrated yet (before `sunshine init`)."""
    recovered = 0
    for model in job_models():
        try:
            for job in model.objects.filter(status=RUNNING, worker_host__in=[host_name(), ""]):
                recovered += recover_job(job)
        except DatabaseError:  # tables or columns not there yet: `sunshine init` migrates, then recovers
            logger.info("job recovery skipped for %s: database not migrated", model.__name__)
    return recovered
