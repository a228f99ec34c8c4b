"""An import run from the page: the uploaded files, its progress and its outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.core.jobs import UploadJob

UPLOADS = "uploads"


class ImportJob(UploadJob):
    """One upload of registry files. The files are kept under DATA_DIR/uploads/<id>/ only until the
    import has run (they hold personal data); the error report (ID numbers masked) stays."""

    class Kind(models.TextChoices):
        REGISTRY = "registry", _("户和成员")
        VILLAGES = "villages", _("村信息")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队")
        RUNNING = "running", _("进行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs",
                             verbose_name=_("导入人"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.REGISTRY)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    partial = models.BooleanField(_("只导入无错误的农户"), default=False)
    # Original names (as the clerk knows them; errors carry these) and where the uploads are stored.
    households_name = models.CharField(_("户信息文件"), max_length=200, blank=True)
    members_name = models.CharField(_("成员信息文件"), max_length=200, blank=True)
    villages_name = models.CharField(_("村信息文件"), max_length=200, blank=True)
    households_path = models.CharField(max_length=300, blank=True)
    members_path = models.CharField(max_length=300, blank=True)
    villages_path = models.CharField(max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    written = models.BooleanField(_("已写入"), default=False)
    counts = models.JSONField(_("结果"), default=dict, blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} {self.get_status_display()}"

    @property
    def directory(self) -> Path:
        return Path(settings.DATA_DIR) / UPLOADS / str(self.pk)

    def error_report(self, suffix: str) -> Path:
        return self.directory / f"errors{suffix}"

    # Progress is written to a file next to the uploads, not to this row: the import's transaction would
    # hide a row update from the page until the end (and on SQLite hold the only write lock).
    @property
    def _progress_file(self) -> Path:
        return self.directory / "progress.json"

    def report_progress(self, percent: int, stage: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self._progress_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"percent": percent, "stage": stage}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self._progress_file)

    def live_progress(self) -> dict[str, Any]:
        if self.finished:
            return {"percent": 100 if self.status == self.Status.DONE else self.progress, "stage": ""}
        try:
            return json.loads(self._progress_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"percent": self.progress, "stage": ""}
