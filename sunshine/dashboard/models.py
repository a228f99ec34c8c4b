"""Pre-aggregated indicator values: one row per indicator, year, division and breakdown key.

A provincial page reads a few hundred of these rows instead of scanning member rows. ``value`` is a count or a
sum (yuan); a share is ``value / denominator``, so that every level is the sum of the level below and a
province's share is not an average of its cities' shares.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import DivisionLevel


class IndicatorValue(models.Model):
    code = models.CharField(_("指标代码"), max_length=40)
    year = models.PositiveSmallIntegerField(_("年度"))
    division_code = models.CharField(_("区划代码"), max_length=12)
    level = models.CharField(_("层级"), max_length=10, choices=DivisionLevel.choices)
    key = models.CharField(_("分组"), max_length=40, blank=True, default="")
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=2)
    denominator = models.DecimalField(_("分母"), max_digits=20, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        constraints = [
            models.UniqueConstraint(fields=["code", "year", "division_code", "key"], name="indicator_value_unique"),
        ]
        # The cockpit reads one division's row set, then the children one level down (ranking).
        indexes = [
            models.Index(fields=["year", "division_code"], name="indicator_year_division"),
            models.Index(fields=["year", "level", "code", "division_code"], name="indicator_year_level_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.year} {self.division_code} {self.key}={self.value}"


class IndicatorRefresh(models.Model):
    """When the values of a year were last computed, by what, and how long it took."""

    year = models.PositiveSmallIntegerField(_("年度"))
    codes = models.TextField(_("指标"), blank=True)
    trigger = models.CharField(_("触发"), max_length=40)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    seconds = models.FloatField(_("用时(秒)"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("写入行数"), default=0)

    class Meta:
        verbose_name = _("指标刷新")
        verbose_name_plural = _("指标刷新")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["year", "-started_at"], name="indicator_refresh_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.trigger} {self.started_at:%Y-%m-%d %H:%M}"
