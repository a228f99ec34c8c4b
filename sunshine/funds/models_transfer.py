"""A funds file uploaded from the page (`funds_upload`), imported by the background worker or, when small,
within the request: the core job pattern (sunshine.core.jobs) that the registry's and the datasets' uploads
follow. The uploaded file is deleted once read; the error report (ID numbers masked) stays with the job."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.choices import JobStatus
from sunshine.core.jobs import UploadJob

KIND_CHOICES = [
    ("projects", _("扶贫项目")), ("project_beneficiaries", _("项目受益户")), ("funds", _("资金指标")),
    ("allocations", _("资金拨付")), ("expenditures", _("项目支出")), ("payments", _("到户资金发放")),
    ("village_cadres", _("村干部名单")),
]


class FundsUpload(UploadJob):
    kind = models.CharField(_("文件类型"), max_length=24, choices=KIND_CHOICES)
    partial = models.BooleanField(_("只导入无错误的行"), default=False)
    county = models.CharField(_("所属县"), max_length=12, blank=True)
    file_name = models.CharField(_("文件"), max_length=255)
    path = models.CharField(max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    written = models.BooleanField(_("已写入"), default=False)
    counts = models.JSONField(_("结果统计"), default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("导入人"))

    class Meta:
        verbose_name = _("资金项目文件上传")
        verbose_name_plural = _("资金项目文件上传")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"
