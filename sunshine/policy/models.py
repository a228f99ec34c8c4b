"""A policy standard (政策标准): a version of the parameters, for a range of years and a region."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sunshine.core.models import Division
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.procedures import check_procedures, default_procedures

# What identifies the decisions made under a version; these never change once it exists.
FROZEN_FIELDS = ("version", "year_from", "year_to", "region_id", "parameters", "procedures")


class StandardFrozen(Exception):
    """A saved standard's version, years, region or parameters cannot change: make a new version."""


class PolicyStandard(models.Model):
    version = models.SlugField(_("版本"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    year_from = models.PositiveSmallIntegerField(_("起始年度"))
    year_to = models.PositiveSmallIntegerField(_("终止年度"))
    region = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="policy_standards", verbose_name=_("适用区域"),
    )
    parameters = models.JSONField(_("参数"))
    # Case type → step codes of the identification procedure (sunshine.policy.procedures).
    procedures = models.JSONField(_("识别退出程序"), default=default_procedures, blank=True)
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived",
        verbose_name=_("基于版本"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    notes = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("政策标准")
        verbose_name_plural = _("政策标准")
        ordering = ["region_id", "year_from", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(year_from__lte=F("year_to")), name="standard_years_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values(*FROZEN_FIELDS).first()
            if stored is not None and any(stored[f] != getattr(self, f) for f in FROZEN_FIELDS):
                raise StandardFrozen("已保存的政策标准不能修改版本、年度、区域或参数;请创建新版本")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = check_procedures(self.procedures)
        if errors:
            raise ValidationError({"procedures": [f"{k}: {v}" for k, v in errors.items()]})

    @property
    def params(self) -> StandardParameters:
        return StandardParameters.from_dict(self.parameters)

    def covers(self, year: int) -> bool:
        return self.year_from <= year <= self.year_to
