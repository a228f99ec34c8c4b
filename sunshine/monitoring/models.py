"""Monitoring and early warning against return to poverty (policy-rules.md §5): monitored households outside
the registry, monitoring runs, the warnings they raise with verification, escalation and measures, and the
sample checks that estimate how true the registry is (§六(二) 固定抽样与临时抽样)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField
from sunshine.core.models import Division
from sunshine.monitoring.choices import (
    EscalationLevel,
    MeasureKind,
    MonitoredSource,
    SampleKind,
    WarningStatus,
)
from sunshine.policy.models import PolicyStandard
from sunshine.registry.models import Household

MONEY = {"max_digits": 14, "decimal_places": 2}
USER = settings.AUTH_USER_MODEL


class MonitoredHousehold(models.Model):
    """A household outside the registry that is watched (边缘户): entered by hand, imported, or found by
    comparison (C-DIBAO-MISSING). One row per household and year."""

    number = models.CharField(_("监测户编号"), max_length=30)
    year = models.PositiveSmallIntegerField(_("年度"))
    # The village when known; a household found by comparison may only be placed in the county of its ID.
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="monitored_households",
                                 verbose_name=_("所在区划"))
    head_name = models.CharField(_("户主姓名"), max_length=100)
    head_id_number = EncryptedCharField(_("户主身份证号"), max_length=18, hash_field="head_id_number_hash")
    head_id_number_hash = KeyedHashField(source="head_id_number")
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    members = models.PositiveSmallIntegerField(_("家庭人口"), null=True, blank=True)
    per_capita_income = models.DecimalField(_("人均可支配收入"), null=True, blank=True, **MONEY)
    source = models.CharField(_("来源"), max_length=12, choices=MonitoredSource.choices,
                              default=MonitoredSource.MANUAL)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("监测户(档外)")
        verbose_name_plural = _("监测户(档外)")
        ordering = ["number", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["number", "year"], name="one_monitored_row_per_year"),
            # One person heads at most one monitored household a year (a head known by no plain ID is exempt).
            models.UniqueConstraint(fields=["head_id_number_hash", "year"], condition=~models.Q(head_id_number_hash=""),
                                    name="one_monitored_head_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.head_name}"


class MonitoringRun(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="monitoring_runs",
                                 verbose_name=_("监测范围"))
    standard = models.ForeignKey(PolicyStandard, null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("政策标准"))
    standard_version = models.CharField(_("政策标准版本"), max_length=60, blank=True)
    parameters = models.JSONField(_("所用参数"), default=dict)
    comparison_run = models.ForeignKey("comparison.ComparisonRun", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("所用比对批次"))
    counts = models.JSONField(_("结果统计"), default=dict, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("执行人"))
    created_at = models.DateTimeField(_("执行时间"), auto_now_add=True, db_index=True)
    seconds = models.FloatField(_("用时(秒)"), default=0)

    class Meta:
        verbose_name = _("监测批次")
        verbose_name_plural = _("监测批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year}年度监测 #{self.pk}"


class EarlyWarning(models.Model):
    """A warning about one household (registered, or monitored outside the registry) in one year. ``signature``
    identifies the data that raised it: a run that sees the same data again does not raise it again, even when
    it was cleared; different data raises a new warning."""

    year = models.PositiveSmallIntegerField(_("年度"))
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="warnings", verbose_name=_("农户"))
    monitored = models.ForeignKey(MonitoredHousehold, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="warnings", verbose_name=_("监测户"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="warnings",
                                 verbose_name=_("责任单位"))
    codes = models.JSONField(_("预警类型"), default=list)
    score = models.PositiveSmallIntegerField(_("风险评分"), default=0)
    contributions = models.JSONField(_("评分构成"), default=dict)  # signal → points
    explanation = models.TextField(_("说明"))
    signature = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=WarningStatus.choices,
                              default=WarningStatus.PENDING, db_index=True)
    deadline = models.DateField(_("核实期限"))
    escalation = models.CharField(_("督办层级"), max_length=10, choices=EscalationLevel.choices,
                                  default=EscalationLevel.VILLAGE)
    assigned_to = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("帮扶责任人"))
    first_run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="+")
    resolution_note = models.TextField(_("处理说明"), blank=True)
    resolved_on = models.DateField(_("办结日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("预警时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("监测预警")
        verbose_name_plural = _("监测预警")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["division", "status"]), models.Index(fields=["year", "status"]),
                   # The list's order (selectors.warnings) and the to-do's: a page is read from the index.
                   models.Index(fields=["-score", "deadline", "id"], name="warning_list_order")]
        # The same data never raises two warnings, even from two runs at once (the later run fails whole).
        constraints = [models.UniqueConstraint(fields=["signature"], name="one_warning_per_signature")]

    def __str__(self) -> str:
        return f"{','.join(self.codes)} #{self.pk}"


class Measure(models.Model):
    """A help measure (帮扶措施) for a household in a year (services.md §5): recorded against a warning, or agreed on
    a cadre's visit (then ``warning`` is the household's helped warning of the year, if it has one). One model for
    monitoring, assistance (R-NOMEASURE) and the benefits statement."""

    warning = models.ForeignKey(EarlyWarning, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="measures")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="measures", verbose_name=_("农户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("措施类型"), max_length=20, choices=MeasureKind.choices)
    amount = models.DecimalField(_("金额(元)"), null=True, blank=True, **MONEY)
    date = models.DateField(_("日期"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["household", "year"], name="measure_household_year")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A measure on a warning belongs to the warning's household and year unless told otherwise.
        if self.warning_id is not None:
            if self.year is None:
                self.year = self.warning.year
            if self.household_id is None:
                self.household_id = self.warning.household_id
        super().save(*args, **kwargs)


class WarningEvent(models.Model):
    """One step in a warning's history: raised, verified, measure, escalated, cleared, handed over."""

    warning = models.ForeignKey(EarlyWarning, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("操作人"))
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(max_length=12, choices=WarningStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=WarningStatus.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    run = models.ForeignKey(MonitoringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} @ {self.at:%Y-%m-%d %H:%M}"


class SampleDraw(models.Model):
    """A stratified random sample of registered households (by county and status), reproducible by seed. A
    fixed panel (固定抽样) is carried into later years through ``panel``; ad-hoc draws (临时抽样) stand alone."""

    kind = models.CharField(_("抽样类型"), max_length=8, choices=SampleKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="sample_draws",
                                 verbose_name=_("抽样范围"))
    size = models.PositiveIntegerField(_("样本量"), null=True, blank=True)
    rate = models.FloatField(_("抽样比例"), null=True, blank=True)
    seed = models.BigIntegerField(_("随机种子"))
    panel = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="continued",
                              verbose_name=_("沿用的固定样本"))
    strata = models.JSONField(_("分层情况"), default=dict)  # stratum → {"population": N, "sample": n}
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("抽样核查批次")
        verbose_name_plural = _("抽样核查批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year}年度{self.get_kind_display()} #{self.pk}"


class SampleUnit(models.Model):
    """A sampled household and the result of its verification visit."""

    draw = models.ForeignKey(SampleDraw, on_delete=models.CASCADE, related_name="units")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="sample_units")
    stratum = models.CharField(_("层"), max_length=40)   # "<county code>:<status>"
    weight = models.FloatField(_("权数"))                 # population / sample of the stratum
    visited_on = models.DateField(_("走访日期"), null=True, blank=True)
    visitor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("走访人"))
    data_correct = models.BooleanField(_("信息准确"), null=True)
    wrongly_exited = models.BooleanField(_("错退"), null=True)  # only meaningful for 已脱贫 households
    note = models.TextField(_("走访记录"), blank=True)
    history = HistoricalRecords()  # a corrected visit keeps its earlier result

    class Meta:
        verbose_name = _("抽样农户")
        verbose_name_plural = _("抽样农户")
        constraints = [models.UniqueConstraint(fields=["draw", "household"], name="one_unit_per_household_draw")]

    def __str__(self) -> str:
        return f"{self.draw_id}:{self.household_id}"
