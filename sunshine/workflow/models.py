"""Cases of the entry, exit, return, change and closure procedure, their signed steps, the public notice with
its objections, and the county's annual dynamic adjustment.

A case freezes the list of steps of its type from the policy standard when it opens; ``current_step`` indexes
it. Only an approved case changes the registry, and the change records the case (``registry_changes``, and
the history rows' change reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sunshine.core.encrypted_fields import EncryptedCharField, EncryptedJSONField
from sunshine.core.models import Division
from sunshine.registry.models import Household
from sunshine.workflow.choices import (
    OPEN_CASE_STATUSES,
    CaseStatus,
    CaseType,
    ChangeKind,
    Decision,
    ObjectionStatus,
    Step,
)

USER = settings.AUTH_USER_MODEL


class AnnualAdjustment(models.Model):
    """A county's yearly dynamic adjustment (动态调整): cases opened in bulk, followed by township, closed."""

    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="adjustments",
                               verbose_name=_("县(区)"))
    year = models.PositiveSmallIntegerField(_("年度"))
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    counts = models.JSONField(_("统计"), default=dict, blank=True)

    class Meta:
        verbose_name = _("年度动态调整")
        verbose_name_plural = _("年度动态调整")
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="one_adjustment_per_county_year")]

    def __str__(self) -> str:
        return f"{self.county.name} {self.year}年度动态调整"


class Case(models.Model):
    case_type = models.CharField(_("类型"), max_length=10, choices=CaseType.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("农户"))
    # An entry case for a household outside the registry: the monitored household, or the applicant's facts.
    monitored = models.ForeignKey("monitoring.MonitoredHousehold", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="cases", verbose_name=_("监测户"))
    # Documents that carry ID numbers and phones are stored encrypted (sunshine.core.crypto).
    applicant = EncryptedJSONField(_("申请人信息"), default=dict, blank=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="cases", verbose_name=_("所在村"))
    steps = models.JSONField(_("程序步骤"))                 # Step codes, frozen from the standard at opening
    current_step = models.PositiveSmallIntegerField(_("当前步骤"), default=0)
    # The current step's code while the case is open ("" once closed), kept by the services so that an inbox
    # is one indexed filter (JSON indexing differs between SQLite and PostgreSQL).
    awaiting_step = models.CharField(_("待办步骤"), max_length=20, choices=Step.choices, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices,
                              default=CaseStatus.IN_PROGRESS, db_index=True)
    standard_version = models.CharField(_("政策标准版本"), max_length=60, blank=True)
    change_kind = models.CharField(_("变更事项"), max_length=14, choices=ChangeKind.choices, blank=True)
    payload = EncryptedJSONField(_("申请内容"), default=dict, blank=True)   # what the case asks to change
    reason = models.TextField(_("申请理由"), blank=True)
    source = models.CharField(_("来源"), max_length=20, blank=True)     # manual · assessment · warning
    source_ref = models.CharField(max_length=40, blank=True)           # e.g. "assessment:12" or "warning:7"
    adjustment = models.ForeignKey(AnnualAdjustment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="cases", verbose_name=_("年度动态调整"))
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示结束"), null=True, blank=True)
    registry_changes = EncryptedJSONField(_("对建档立卡的变更"), default=list, blank=True)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("识别退出案件")
        verbose_name_plural = _("识别退出案件")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["division", "status"]), models.Index(fields=["year", "case_type"]),
                   models.Index(fields=["-opened_at", "-id"], name="case_list_order")]  # the inbox's order
        constraints = [
            models.UniqueConstraint(fields=["household", "case_type"], condition=Q(status__in=OPEN_CASE_STATUSES),
                                    name="one_open_case_per_household_and_type"),
            models.UniqueConstraint(fields=["monitored", "case_type"], condition=Q(status__in=OPEN_CASE_STATUSES),
                                    name="one_open_case_per_monitored_and_type"),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()} #{self.pk}"

    @property
    def step(self) -> str | None:
        return self.steps[self.current_step] if self.current_step < len(self.steps) else None


class CaseStep(models.Model):
    """One signed action on a step: who, when, the decision, a note and the scanned signature page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    step = models.CharField(_("步骤"), max_length=20, choices=Step.choices)
    index = models.PositiveSmallIntegerField()
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("意见"), blank=True)
    attachment = models.FileField(_("附件"), upload_to="cases/%Y/%m/", blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("签字人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    # For an exit approval: the assessment result it relied on.
    assessment = models.ForeignKey("assessment.HouseholdAssessment", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.get_decision_display()}"


class Objection(models.Model):
    """An objection to a case during its public notice, from anyone (no login). It holds the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    submitted_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    contact = EncryptedCharField(_("联系方式"), max_length=50, blank=True)  # a phone, mostly: encrypted
    content = models.TextField(_("异议内容"))
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.OPEN)
    handled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("处理意见"), blank=True)
    # A salted hash of the sender's address (never the address itself): the rate limit counts by it.
    client_hash = models.CharField(_("来源标识"), max_length=64, blank=True, db_index=True)
    # False for an objection that is obviously empty or repeats one already on the case: recorded and shown
    # to the village and county, but it does not put the case on hold.
    holds_case = models.BooleanField(_("暂停案件"), default=True)

    class Meta:
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.get_status_display()}"
