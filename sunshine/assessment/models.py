"""Assessment runs and their results. A run is immutable: it records who ran it, when, over which year and
division, under which standard version and with which parameters; what-if runs are kept apart
(official = False)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.assessment.choices import Kind, Result
from sunshine.core.models import Division
from sunshine.policy.models import PolicyStandard
from sunshine.registry.models import Household

MONEY = {"max_digits": 16, "decimal_places": 2, "null": True, "blank": True}


class AssessmentRun(models.Model):
    kind = models.CharField(_("评估对象"), max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="assessment_runs", verbose_name=_("评估范围"),
    )
    standard = models.ForeignKey(
        PolicyStandard, on_delete=models.PROTECT, related_name="runs", verbose_name=_("政策标准"),
    )
    standard_version = models.CharField(_("政策标准版本"), max_length=60)
    parameters = models.JSONField(_("所用参数"))
    overrides = models.JSONField(_("模拟调整的参数"), default=dict, blank=True)
    official = models.BooleanField(_("正式评估"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("执行人"),
    )
    created_at = models.DateTimeField(_("执行时间"), auto_now_add=True, db_index=True)
    counts = models.JSONField(_("结果统计"), default=dict, blank=True)
    seconds = models.FloatField(_("用时(秒)"), default=0)

    class Meta:
        verbose_name = _("评估批次")
        verbose_name_plural = _("评估批次")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "year", "official"])]

    def __str__(self) -> str:
        mode = "正式" if self.official else "模拟"
        return f"{self.year}年度{self.get_kind_display()}评估({mode}, {self.standard_version}) #{self.pk}"


class AssessmentResult(models.Model):
    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="+")
    result = models.CharField(_("结果"), max_length=12, choices=Result.choices)
    criteria = models.JSONField(_("各项指标"))  # criterion code → pass / fail / missing
    explanation = models.TextField(_("说明"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_result_display()}: {self.explanation}"


# The results that need work first: 未达标, then 缺数据, then 达标 (the order of a run's result list).
RESULT_RANK = models.Case(models.When(result=Result.FAILS, then=models.Value(0)),
                          models.When(result=Result.INCOMPLETE, then=models.Value(1)),
                          default=models.Value(2), output_field=models.IntegerField())


class HouseholdAssessment(AssessmentResult):
    # Not indexed alone: every index of the table starts with the run (a province's run writes 750,000 rows).
    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="household_results",
                            db_index=False)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assessments")
    # The household's number when it was assessed, so that a run's list (a province: 750,000 rows) is read in
    # its order from one index rather than joined to every household and sorted on each page.
    household_no = models.CharField(_("户编号"), max_length=30, blank=True, default="")
    per_capita_income = models.DecimalField(_("人均可支配收入"), **MONEY)
    active_members = models.PositiveSmallIntegerField(_("在册成员数"), default=0)

    class Meta:
        verbose_name = _("农户评估结果")
        verbose_name_plural = _("农户评估结果")
        constraints = [models.UniqueConstraint(fields=["run", "household"], name="one_result_per_household_run")]
        indexes = [models.Index(fields=["run", "result"]),
                   models.Index(models.F("run"), RESULT_RANK, models.F("household_no"), name="household_result_order")]


class VillageAssessment(AssessmentResult):
    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="village_results")
    village = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="village_assessments")
    weak_village = models.BooleanField(_("省定经济薄弱村"), null=True)
    collective_income = models.DecimalField(_("村集体经济收入"), **MONEY)

    class Meta:
        verbose_name = _("村评估结果")
        verbose_name_plural = _("村评估结果")
        constraints = [models.UniqueConstraint(fields=["run", "village"], name="one_result_per_village_run")]


class CountyAssessment(AssessmentResult):
    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="county_results")
    county = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="county_assessments")
    registered_households = models.PositiveIntegerField(_("建档立卡户数"), default=0)
    households_meeting = models.PositiveIntegerField(_("达标户数"), default=0)
    households_incomplete = models.PositiveIntegerField(_("缺数据户数"), default=0)
    household_share = models.FloatField(_("达标户占比"), null=True, blank=True)
    weak_villages = models.PositiveIntegerField(_("省定经济薄弱村数"), default=0)
    weak_villages_meeting = models.PositiveIntegerField(_("达标薄弱村数"), default=0)
    village_share = models.FloatField(_("达标薄弱村占比"), null=True, blank=True)
    households_short = models.JSONField(_("未达标农户"), default=list)  # household numbers
    villages_short = models.JSONField(_("未达标薄弱村"), default=list)  # village codes

    class Meta:
        verbose_name = _("县评估结果")
        verbose_name_plural = _("县评估结果")
        constraints = [models.UniqueConstraint(fields=["run", "county"], name="one_result_per_county_run")]
