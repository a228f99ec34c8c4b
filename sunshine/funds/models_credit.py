"""Micro-credit (扶贫小额信贷, funds.md §1 loans, loan_repayments, §5) and asset income (资产收益, §1 assets,
asset_income, §6), kept with the funds they belong to.

A loan's renewal (续贷) is a new Loan whose ``renewal_of`` is the old one; an extension (展期) sets
``extended_due_date``. Each is also a LoanEvent with the acting user, so the loan page shows who did what and
when. Borrowers are stored like payees: the ID number encrypted, with the keyed hash the engine matches on.
An asset's disposal or scrapping is an AssetEvent that sets its status."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField
from sunshine.core.models import Division, TimeStampedModel
from sunshine.funds.choices import (
    ASSET_KIND_CHOICES,
    ASSET_STATUS_CHOICES,
    DIVIDEND_METHOD_CHOICES,
    GUARANTEE_CHOICES,
    AssetEventKind,
    LoanAction,
)
from sunshine.registry.models import Household

MONEY = {"max_digits": 14, "decimal_places": 2}


class Loan(TimeStampedModel):
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    loan_no = models.CharField(_("贷款编号"), max_length=40)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="loans", verbose_name=_("农户"))
    household_no = models.CharField(_("户编号"), max_length=30, blank=True)
    id_number = EncryptedCharField(_("借款人身份证号"), max_length=18, blank=True, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number", db_index=True)
    name = models.CharField(_("借款人"), max_length=100, blank=True)
    bank = models.CharField(_("放款银行"), max_length=100)
    loan_date = models.DateField(_("放款日期"))
    due_date = models.DateField(_("到期日期"))
    extended_due_date = models.DateField(_("展期到期日"), null=True, blank=True)
    amount = models.DecimalField(_("贷款金额"), **MONEY)
    annual_rate = models.DecimalField(_("年利率"), max_digits=9, decimal_places=6)
    guarantee = models.CharField(_("担保方式"), max_length=10, choices=GUARANTEE_CHOICES)
    purpose = models.CharField(_("贷款用途"), max_length=200, blank=True)
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="renewals", verbose_name=_("续贷自"))

    class Meta:
        verbose_name = _("扶贫小额信贷")
        verbose_name_plural = _("扶贫小额信贷")
        ordering = ["-loan_date", "loan_no"]
        constraints = [models.UniqueConstraint(fields=["county", "loan_no"], name="loan_no_per_county")]
        indexes = [models.Index(fields=["county", "loan_date"], name="loan_list"),
                   models.Index(fields=["household", "loan_date"], name="loan_household")]

    def __str__(self) -> str:
        return f"{self.loan_no} {self.amount}"

    @property
    def due(self):  # noqa: ANN201 - a date
        """The date the loan is due: the extended due date when extended (funds.md §5)."""
        return self.extended_due_date or self.due_date


class LoanRepayment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="repayments", verbose_name=_("贷款"))
    date = models.DateField(_("还款日期"))
    principal = models.DecimalField(_("本金"), **MONEY)
    interest = models.DecimalField(_("利息"), default=0, **MONEY)

    class Meta:
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.date} {self.principal}"


class LoanEvent(models.Model):
    """An extension or renewal recorded on a page or by import, with who and when."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="events", verbose_name=_("贷款"))
    action = models.CharField(_("操作"), max_length=10, choices=LoanAction.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)
    new_due_date = models.DateField(_("新到期日"), null=True, blank=True)   # extension
    new_loan = models.ForeignKey(Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("续贷贷款"))                    # renewal

    class Meta:
        verbose_name = _("贷款变更记录")
        verbose_name_plural = _("贷款变更记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.loan_id}"


class Asset(TimeStampedModel):
    county = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    asset_no = models.CharField(_("资产编号"), max_length=40)
    name = models.CharField(_("资产名称"), max_length=200)
    project = models.ForeignKey("funds.Project", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="assets", verbose_name=_("形成项目"))
    kind = models.CharField(_("资产类别"), max_length=12, choices=ASSET_KIND_CHOICES)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="assets",
                                 verbose_name=_("所在区划"))
    value = models.DecimalField(_("原值"), **MONEY)
    formed_date = models.DateField(_("形成日期"))
    operator = models.CharField(_("运营主体"), max_length=200, blank=True)
    method = models.CharField(_("分配方式"), max_length=14, choices=DIVIDEND_METHOD_CHOICES)
    household_ratio = models.DecimalField(_("农户分配比例"), max_digits=7, decimal_places=6)
    villages = models.ManyToManyField(Division, related_name="shared_assets", blank=True,
                                      verbose_name=_("受益村"))
    status = models.CharField(_("状态"), max_length=10, choices=ASSET_STATUS_CHOICES, default="operating")

    class Meta:
        verbose_name = _("扶贫资产")
        verbose_name_plural = _("扶贫资产")
        ordering = ["asset_no"]
        constraints = [models.UniqueConstraint(fields=["county", "asset_no"], name="asset_no_per_county")]

    def __str__(self) -> str:
        return f"{self.asset_no} {self.name}"


class AssetIncome(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("资产"))
    year = models.PositiveSmallIntegerField(_("年度"))
    income = models.DecimalField(_("可分配收益"), **MONEY)

    class Meta:
        verbose_name = _("资产收益")
        verbose_name_plural = _("资产收益")
        ordering = ["asset", "year"]
        constraints = [models.UniqueConstraint(fields=["asset", "year"], name="one_income_per_asset_year")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year}: {self.income}"


class AssetEvent(models.Model):
    """Disposal (处置) or scrapping (报废) of an asset, with the record of who, when and why."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events", verbose_name=_("资产"))
    kind = models.CharField(_("类型"), max_length=10, choices=AssetEventKind.choices)
    date = models.DateField(_("日期"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("操作人"))
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    note = models.TextField(_("说明"))
    proceeds = models.DecimalField(_("处置收入"), null=True, blank=True, **MONEY)
    attachment = models.FileField(_("附件"), upload_to="assets/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("资产处置记录")
        verbose_name_plural = _("资产处置记录")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.asset_id}"


class DividendShare(models.Model):
    """A computed distribution (funds.md §6) of one county and year, stored: the bank's list and the public
    notice are records, and pages read them instead of recomputing the county. Replaced as a whole by
    sunshine.funds.credit.store_dividends; dropped when an asset, its income or its status changes, and
    computed again on the next read."""

    county = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+", verbose_name=_("县"))
    year = models.PositiveSmallIntegerField(_("年度"))
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="shares", verbose_name=_("资产"))
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="dividend_shares", verbose_name=_("农户"))
    household_no = models.CharField(_("户编号"), max_length=30, blank=True)   # empty: the village's share
    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+", verbose_name=_("村"))
    amount = models.DecimalField(_("分红金额"), **MONEY)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资产收益分红")
        verbose_name_plural = _("资产收益分红")
        ordering = ["year", "asset", "household_no"]
        indexes = [models.Index(fields=["county", "year"], name="dividend_county_year"),
                   models.Index(fields=["division", "year"], name="dividend_village_year"),
                   models.Index(fields=["household", "year"], name="dividend_household_year")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.year} {self.household_no or self.division_id}: {self.amount}"
