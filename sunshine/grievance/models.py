"""12317 grievances (扶贫监督举报, services.md §4) and their events.

The reporter's name and phone are stored encrypted like every other personal datum, and no code path reads
them except ``sunshine.grievance.selectors.reporter_for`` (supervisors of the county or above, logged). Nothing
in this model's ``__str__`` or the events names the reporter.

Scope: a grievance is visible to the users whose division contains its *handling division* — the county
office until it is assigned, then the division it was assigned to (转办). So a village sees only what was
assigned to it, never a grievance about its own cadre (which may not be assigned to it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.core.encrypted_fields import EncryptedCharField
from sunshine.core.models import Division
from sunshine.grievance.choices import Category, Channel, Outcome, Satisfaction, State

NULL_LINK = {"null": True, "blank": True, "on_delete": models.SET_NULL, "related_name": "+"}


class Grievance(models.Model):
    number = models.CharField(_("编号"), max_length=20, unique=True)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("所涉区划"))
    subject = models.CharField(_("反映事项"), max_length=200)
    content = models.TextField(_("反映内容"))
    # What it concerns (所涉对象); each optional.
    household = models.ForeignKey("registry.Household", verbose_name=_("农户"), **NULL_LINK)
    project = models.ForeignKey("funds.Project", verbose_name=_("项目"), **NULL_LINK)
    payment = models.ForeignKey("funds.Payment", verbose_name=_("资金发放"), **NULL_LINK)
    loan = models.ForeignKey("funds.Loan", verbose_name=_("小额信贷"), **NULL_LINK)
    case = models.ForeignKey("workflow.Case", verbose_name=_("识别退出案件"), **NULL_LINK)
    finding = models.ForeignKey("comparison.Finding", verbose_name=_("比对疑点"), **NULL_LINK)
    cadre = models.ForeignKey("assistance.Cadre", verbose_name=_("帮扶干部"), **NULL_LINK)
    village_cadre = models.ForeignKey("funds.VillageCadre", verbose_name=_("村干部"), **NULL_LINK)
    # The reporter (反映人): encrypted; read only through selectors.reporter_for.
    reporter_name = EncryptedCharField(_("反映人姓名"), max_length=60, blank=True)
    reporter_phone = EncryptedCharField(_("反映人电话"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    confidential = models.BooleanField(_("要求保密"), default=True)
    # keyed hash of the 8-character query code; the code itself is shown once and never stored.
    query_code_hash = models.CharField(max_length=64, unique=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REGISTERED,
                             db_index=True)
    handling_division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("承办单位"))
    assigned_division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", verbose_name=_("转办单位"))
    registered_on = models.DateField(_("登记日期"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    concluded_on = models.DateField(_("办结日期"), null=True, blank=True)
    accept_days = models.PositiveSmallIntegerField(_("受理时限(天)"))
    conclude_days = models.PositiveSmallIntegerField(_("办结时限(天)"))
    accept_by = models.DateField(_("受理期限"))
    conclude_by = models.DateField(_("办结期限"), null=True, blank=True)
    # Levels above the handling division (0, 1, 2; sunshine.core.escalation) and the division now supervising.
    escalation = models.PositiveSmallIntegerField(_("升级层级"), default=0)
    escalated_to = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("督办单位"))
    reject_reason = models.TextField(_("不予受理理由"), blank=True)
    outcome = models.CharField(_("办理结果"), max_length=12, choices=Outcome.choices, blank=True)
    findings = models.TextField(_("调查情况"), blank=True)
    measures = models.TextField(_("处理措施"), blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("12317举报")
        verbose_name_plural = _("12317举报")
        ordering = ["-registered_on", "-id"]
        indexes = [models.Index(fields=["state", "accept_by"], name="grievance_accept_due"),
                   models.Index(fields=["state", "conclude_by"], name="grievance_conclude_due")]

    def __str__(self) -> str:
        return self.number

    @property
    def deadline(self):  # noqa: ANN201 - a date or None
        """The deadline running now: acceptance while registered, conclusion while open after acceptance."""
        from sunshine.grievance.choices import AWAITING_ACCEPTANCE, AWAITING_CONCLUSION

        if self.state in AWAITING_ACCEPTANCE:
            return self.accept_by
        if self.state in AWAITING_CONCLUSION:
            return self.conclude_by
        return None


class GrievanceEvent(models.Model):
    """One action on a grievance: who, when, what, from which state to which, and a note (never the reporter)."""

    grievance = models.ForeignKey(Grievance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("办理人"))
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # Whether the public progress page may show the note (the investigators' own notes stay internal).
    public = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("举报办理记录")
        verbose_name_plural = _("举报办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.grievance_id} {self.action}"
