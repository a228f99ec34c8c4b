"""The county project library and the funds trail (funds.md §1): funds issued to a county, allocated to
projects, spent by projects and paid to people (一卡通), with the village cadres the F-CADRE rule reads.

Keys are the files' keys, unique within the county (项目编号, 资金编号, 发放编号), so every row names its county.
A project moves through its lifecycle only by ProjectTransition (sunshine.funds.lifecycle), each signed by the
acting user; announcements (公告公示) belong to a project and are what the public site shows. Payees are stored
like registry people: the ID number encrypted, with the keyed hash the engine matches on."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField
from sunshine.core.models import Division, TimeStampedModel
from sunshine.funds.choices import (
    ANNOUNCEMENT_KIND_CHOICES,
    CADRE_POSITION_CHOICES,
    CATEGORY_CHOICES,
    FUND_SOURCE_CHOICES,
    ITEM_CHOICES,
    CommentKind,
    PerformanceResult,
    ProjectStatus,
)
from sunshine.registry.models import Household

MONEY = {"max_digits": 14, "decimal_places": 2}


class Project(TimeStampedModel):
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属县"))
    project_no = models.CharField(_("项目编号"), max_length=40)
    name = models.CharField(_("项目名称"), max_length=200)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="projects",
                                 verbose_name=_("建设地点"))
    category = models.CharField(_("项目类别"), max_length=20, choices=CATEGORY_CHOICES)
    year = models.PositiveSmallIntegerField(_("年度"))
    budget = models.DecimalField(_("预算金额"), **MONEY)
    content = models.TextField(_("建设内容"), blank=True)
    performance_target = models.TextField(_("绩效目标"), blank=True)
    planned_households = models.PositiveIntegerField(_("计划受益户数"), null=True, blank=True)
    planned_registered_households = models.PositiveIntegerField(_("其中建档立卡户"), null=True, blank=True)
    status = models.CharField(_("项目状态"), max_length=16, choices=ProjectStatus.choices,
                              default=ProjectStatus.PROPOSED, db_index=True)
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_end = models.DateField(_("计划完工"), null=True, blank=True)
    actual_end = models.DateField(_("实际完工"), null=True, blank=True)
    implementer = models.CharField(_("实施单位"), max_length=200, blank=True)
    accepted_date = models.DateField(_("验收日期"), null=True, blank=True)
    performance_result = models.CharField(_("绩效评价"), max_length=10, choices=PerformanceResult.choices,
                                          blank=True)
    performance_note = models.TextField(_("绩效评价说明"), blank=True)
    removal_reason = models.TextField(_("出库原因"), blank=True)

    class Meta:
        verbose_name = _("扶贫项目")
        verbose_name_plural = _("扶贫项目")
        ordering = ["-year", "project_no"]
        constraints = [models.UniqueConstraint(fields=["county", "project_no"], name="project_no_per_county")]
        indexes = [models.Index(fields=["county", "year", "status"], name="project_list")]

    def __str__(self) -> str:
        return f"{self.project_no} {self.name}"


class ProjectTransition(models.Model):
    """One signed step of a project's lifecycle (or the import that set its state)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=16, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ProjectStatus.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("签署人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("意见"), blank=True)
    attachment = models.FileField(_("扫描件"), upload_to="projects/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("项目流转记录")
        verbose_name_plural = _("项目流转记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status} → {self.to_status}"


class ProjectBeneficiary(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="beneficiaries")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="project_benefits",
                                  verbose_name=_("受益户"))

    class Meta:
        verbose_name = _("项目受益户")
        verbose_name_plural = _("项目受益户")
        constraints = [models.UniqueConstraint(fields=["project", "household"], name="one_benefit_per_household")]

    def __str__(self) -> str:
        return f"{self.project_id} → {self.household_id}"


class Announcement(models.Model):
    """公告公示 of a project: 立项公告 before 实施, 结果公告 after 验收 (services.md §1). The period is
    start_date..end_date inclusive; end_date is start_date + days − 1."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="announcements")
    kind = models.CharField(_("公告类型"), max_length=10, choices=ANNOUNCEMENT_KIND_CHOICES)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("公告内容"), blank=True)
    start_date = models.DateField(_("公示开始"))
    end_date = models.DateField(_("公示结束"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("发布人"))
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("项目公告")
        verbose_name_plural = _("项目公告")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["start_date", "end_date"], name="announcement_period")]

    def __str__(self) -> str:
        return self.title

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def has_run(self, on: dt.date) -> bool:
        """Whether the whole period has passed by ``on``."""
        return self.end_date < on


class AnnouncementComment(models.Model):
    """A comment or objection left on the public page by anyone; shown to the county with the project."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="comments")
    kind = models.CharField(_("类型"), max_length=10, choices=CommentKind.choices, default=CommentKind.COMMENT)
    text = models.TextField(_("内容"))
    name = models.CharField(_("署名"), max_length=50, blank=True)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("处理人"))
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reply = models.TextField(_("处理情况"), blank=True)
    # A salted hash of the sender's address (sunshine.workflow.services.objections.client_hash): the public
    # form's rate limit is counted in the database, and nobody learns the address.
    client_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("公告意见")
        verbose_name_plural = _("公告意见")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Fund(TimeStampedModel):
    """资金指标: money issued to a county."""

    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="funds", verbose_name=_("县"))
    fund_no = models.CharField(_("资金编号"), max_length=40)
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    source = models.CharField(_("资金来源"), max_length=12, choices=FUND_SOURCE_CHOICES)
    year = models.PositiveSmallIntegerField(_("年度"))
    issued_date = models.DateField(_("下达日期"))
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("资金指标")
        verbose_name_plural = _("资金指标")
        ordering = ["-year", "fund_no"]
        constraints = [models.UniqueConstraint(fields=["county", "fund_no"], name="fund_no_per_county")]
        indexes = [models.Index(fields=["county", "year"], name="fund_list")]

    def __str__(self) -> str:
        return f"{self.fund_no} {self.document_no}"


class Allocation(models.Model):
    """资金拨付: fund → project."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("资金"))
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="allocations",
                                verbose_name=_("项目"))
    date = models.DateField(_("拨付日期"))
    amount = models.DecimalField(_("金额"), **MONEY)

    class Meta:
        verbose_name = _("资金拨付")
        verbose_name_plural = _("资金拨付")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.fund_id} → {self.project_id}: {self.amount}"


class Expenditure(models.Model):
    """项目支出 other than payments to people."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="expenditures",
                                verbose_name=_("项目"))
    date = models.DateField(_("支出日期"))
    amount = models.DecimalField(_("金额"), **MONEY)
    payee = models.CharField(_("收款单位"), max_length=200, blank=True)
    purpose = models.CharField(_("用途"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("项目支出")
        verbose_name_plural = _("项目支出")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.amount}"


class Payment(models.Model):
    """到户资金发放 (一卡通). The payee is known by ID number (stored encrypted) or, when the paying department
    sent only a hash, by id_hash; household is the registry household when the payee is found there."""

    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    payment_no = models.CharField(_("发放编号"), max_length=40)
    id_number = EncryptedCharField(_("身份证号"), max_length=18, blank=True, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number", db_index=True)
    id_hash = models.CharField(_("身份证号哈希"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="payments", verbose_name=_("农户"))
    household_no = models.CharField(_("户编号"), max_length=30, blank=True)
    item = models.CharField(_("补贴项目"), max_length=32, choices=ITEM_CHOICES)
    period = models.CharField(_("所属期"), max_length=7)
    amount = models.DecimalField(_("金额"), **MONEY)
    paid_date = models.DateField(_("发放日期"))
    fund = models.ForeignKey(Fund, null=True, blank=True, on_delete=models.PROTECT, related_name="payments",
                             verbose_name=_("资金"))
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="payments", verbose_name=_("项目"))
    loan_no = models.CharField(_("贷款编号"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("到户资金发放")
        verbose_name_plural = _("到户资金发放")
        ordering = ["-paid_date", "payment_no"]
        constraints = [models.UniqueConstraint(fields=["county", "payment_no"], name="payment_no_per_county")]
        indexes = [models.Index(fields=["county", "paid_date"], name="payment_list"),
                   models.Index(fields=["household", "paid_date"], name="payment_household")]

    def __str__(self) -> str:
        return f"{self.payment_no} {self.amount}"

    @property
    def payee_hash(self) -> str:
        """The payee as the engine knows them: the keyed hash of the ID, or the department's hash."""
        return self.id_number_hash or self.id_hash


class VillageCadre(models.Model):
    """村干部名单 (F-CADRE)."""

    id_number = EncryptedCharField(_("身份证号"), max_length=18, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number", db_index=True)
    name = models.CharField(_("姓名"), max_length=100)
    village = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))
    position = models.CharField(_("职务"), max_length=20, choices=CADRE_POSITION_CHOICES)
    start_date = models.DateField(_("任职开始"))
    end_date = models.DateField(_("任职结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("村干部")
        verbose_name_plural = _("村干部")
        ordering = ["village", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["id_number_hash", "village", "start_date"],
                                               condition=~Q(id_number_hash=""), name="one_cadre_term")]

    def __str__(self) -> str:
        return f"{self.name} {self.get_position_display()}"


from sunshine.funds.models_credit import (  # noqa: E402, F401  (registered with this app)
    Asset,
    AssetEvent,
    AssetIncome,
    DividendShare,
    Loan,
    LoanEvent,
    LoanRepayment,
)
from sunshine.funds.models_transfer import FundsUpload  # noqa: E402, F401  (registered with this app)
