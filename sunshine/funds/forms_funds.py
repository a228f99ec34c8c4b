"""Forms of the fund pages: the fund list's and the payment search's filters (GET; a bad value is dropped, so a
filter link always opens), and the funds check button."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.forms import bind_scope_picker, division_in_scope
from sunshine.core.fields import DivisionFilterField
from sunshine.core.forms import ScopedFilterForm, ServiceErrorsMixin
from sunshine.funds.choices import FUND_SOURCE_CHOICES, ITEM_CHOICES
from sunshine.funds.selectors import FundFilter, PaymentFilter

if TYPE_CHECKING:
    from sunshine.core.models import User


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("全部")), *choices]


class FundFilterForm(ScopedFilterForm):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    source = forms.ChoiceField(label=_("资金来源"), required=False, choices=_blank(FUND_SOURCE_CHOICES))
    q = forms.CharField(label=_("资金编号或文号"), required=False, max_length=100)
    field_order = ["year", "source", "division", "q"]

    def to_filter(self) -> FundFilter:
        if not self.is_bound:
            return FundFilter()
        data = self._data()
        return FundFilter(year=data.get("year"), source=data.get("source") or None,
                          division=division_in_scope(self, "division", self.reader),
                          q=(data.get("q") or "").strip() or None)


class PaymentFilterForm(ScopedFilterForm):
    name = forms.CharField(label=_("姓名"), required=False, max_length=100)
    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=18,
                                help_text=_("完整的18位身份证号,精确查询"))
    household_no = forms.CharField(label=_("户编号"), required=False, max_length=30)
    item = forms.ChoiceField(label=_("补贴项目"), required=False, choices=_blank(ITEM_CHOICES))
    period = forms.RegexField(label=_("所属期"), required=False, regex=r"^\d{4}(-\d{2})?$", max_length=7,
                              help_text=_("YYYY 或 YYYY-MM"))
    year = forms.IntegerField(label=_("发放年度"), required=False, min_value=2000, max_value=2100)
    fund = forms.CharField(label=_("资金编号"), required=False, max_length=40)
    project = forms.CharField(label=_("项目编号"), required=False, max_length=40)
    field_order = ["name", "id_number", "household_no", "item", "period", "year", "fund", "project", "division"]

    def to_filter(self) -> PaymentFilter:
        if not self.is_bound:
            return PaymentFilter()
        data = self._data()

        def text(name: str) -> str | None:
            return (data.get(name) or "").strip() or None

        return PaymentFilter(name=text("name"), id_number=text("id_number"), household_no=text("household_no"),
                             item=data.get("item") or None, period=text("period"), fund=text("fund"),
                             project=text("project"), division=division_in_scope(self, "division", self.reader),
                             year=data.get("year"))


class CheckForm(ServiceErrorsMixin, forms.Form):
    """运行资金项目核查: the year and the area (the reader's own, or a division in it)."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    division_code = DivisionFilterField(label=_("核查范围"), help_text=_("不选为您的管辖区划"))

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": settings.SUNSHINE_DEFAULT_YEAR})
        super().__init__(*args, **kwargs)
        if reader is not None:
            bind_scope_picker(self, "division_code", reader)
