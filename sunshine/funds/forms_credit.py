"""Forms of the micro-credit and asset pages: the list filters (GET; a bad value is dropped so that a filter link
always opens) and the county manager's records (extension, renewal, disposal/scrapping; POST, validated here and
again by the services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.forms import division_in_scope
from sunshine.core.attachments import ATTACHMENT_ACCEPT, check_attachment, mask_attachment_name
from sunshine.core.forms import ScopedFilterForm, ServiceErrorsMixin
from sunshine.funds.choices import ASSET_KIND_CHOICES, ASSET_STATUS_CHOICES, AssetEventKind
from sunshine.funds.selectors_credit import STATUS_LABELS, AssetFilter, LoanFilter

if TYPE_CHECKING:
    pass

ALL = ("", _("全部"))
DATE = forms.DateInput(attrs={"type": "date"})


class LoanFilterForm(ScopedFilterForm):
    bank = forms.ChoiceField(label=_("放款银行"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[ALL, *[(k, _(v)) for k, v in STATUS_LABELS.items()]])
    year = forms.IntegerField(label=_("放款年度"), required=False, min_value=2000, max_value=2100)
    q = forms.CharField(label=_("贷款编号、户编号或借款人"), required=False, max_length=100)
    field_order = ["bank", "division", "status", "year", "q"]

    def __init__(self, *args: Any, banks: list[str] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["bank"].choices = [ALL, *[(b, b) for b in banks]]

    def to_filter(self) -> LoanFilter:
        if not self.is_bound:
            return LoanFilter()
        data = self._data()
        return LoanFilter(bank=data.get("bank") or None, status=data.get("status") or None,
                          division=division_in_scope(self, "division", self.reader), year=data.get("year"),
                          q=(data.get("q") or "").strip() or None)


class PortfolioForm(ScopedFilterForm):
    on = forms.DateField(label=_("统计日期"), required=False, widget=DATE)


class ApplyErrors(ServiceErrorsMixin):
    def apply(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            self.apply_service_errors(exc)
        else:
            for message in exc.messages:
                self.add_error(None, message)  # type: ignore[attr-defined]


class ExtensionForm(ApplyErrors, forms.Form):
    prefix = "extend"  # both forms are on the loan page: their fields need their own ids
    new_due_date = forms.DateField(label=_("展期到期日"), widget=DATE)
    note = forms.CharField(label=_("展期原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class RenewalForm(ApplyErrors, forms.Form):
    prefix = "renew"
    loan_no = forms.CharField(label=_("续贷贷款编号"), max_length=40)
    loan_date = forms.DateField(label=_("放款日期"), widget=DATE)
    due_date = forms.DateField(label=_("到期日期"), widget=DATE)
    amount = forms.DecimalField(label=_("贷款金额"), max_digits=14, decimal_places=2, min_value=0.01,
                                max_value=10_000_000)
    annual_rate = forms.DecimalField(label=_("年利率"), max_digits=9, decimal_places=6, min_value=0, max_value=1)
    note = forms.CharField(label=_("说明"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AssetFilterForm(ScopedFilterForm):
    kind = forms.ChoiceField(label=_("资产类别"), required=False, choices=[ALL, *ASSET_KIND_CHOICES])
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[ALL, *ASSET_STATUS_CHOICES])
    q = forms.CharField(label=_("资产编号或名称"), required=False, max_length=100)
    field_order = ["division", "kind", "status", "q"]

    def to_filter(self) -> AssetFilter:
        if not self.is_bound:
            return AssetFilter()
        data = self._data()
        return AssetFilter(division=division_in_scope(self, "division", self.reader), kind=data.get("kind") or None,
                           status=data.get("status") or None, q=(data.get("q") or "").strip() or None)


class AssetEventForm(ApplyErrors, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AssetEventKind.choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    note = forms.CharField(label=_("处置说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    proceeds = forms.DecimalField(label=_("处置收入"), required=False, max_digits=14, decimal_places=2, min_value=0,
                                  max_value=1_000_000_000)
    attachment = forms.FileField(label=_("批准文件扫描件(可选)"), required=False,
                                 widget=forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}))

    def clean_attachment(self) -> Any:
        """PDF, JPG or PNG up to 10 MB by content (core.attachments); no ID number in the stored name."""
        upload = self.cleaned_data.get("attachment")
        if upload:
            try:
                check_attachment(upload)
            except ValidationError as exc:
                raise forms.ValidationError(exc.message_dict.get("attachment", exc.messages)) from exc
            mask_attachment_name(upload)
        return upload


class DividendForm(ScopedFilterForm):
    """The village and year of a distribution list; a village clerk's village is preselected."""

    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    field_order = ["division", "year"]
