"""Forms of the monitoring pages: filter warnings, the steps of a warning (verify, measure, clear, hand over),
filter and create monitored households."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.forms import division_in_scope
from sunshine.core.choices import DivisionLevel
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.monitoring.choices import EscalationLevel, MeasureKind, MonitoredSource, WarningCode, WarningStatus
from sunshine.monitoring.selectors import MonitoredFilter, WarningFilter
from sunshine.monitoring.workflow import MAX_NOTE_LENGTH

if TYPE_CHECKING:
    from sunshine.core.models import User

# Warning types by their Chinese names (the code is not what people call them).
CODE_CHOICES = list(WarningCode.choices)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("全部")), *choices]


def _valid(form: forms.Form) -> dict[str, Any]:
    """The filter values that are valid: a bad one is dropped rather than refused (a link must always open)."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {k: v for k, v in form.cleaned_data.items() if k not in form.errors}


class WarningFilterForm(forms.Form):
    code = forms.ChoiceField(label=_("预警类型"), required=False, choices=_blank(CODE_CHOICES))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(WarningStatus.choices))
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    division = DivisionFilterField()
    escalation = forms.ChoiceField(label=_("督办层级"), required=False, choices=_blank(EscalationLevel.choices))
    score_min = forms.IntegerField(label=_("风险评分不低于"), required=False, min_value=0, max_value=100)
    score_max = forms.IntegerField(label=_("风险评分不高于"), required=False, min_value=0, max_value=100)
    household_no = forms.CharField(label=_("户编号"), required=False, max_length=30)
    overdue = forms.BooleanField(label=_("只看逾期未核实"), required=False)
    mine = forms.BooleanField(label=_("只看由我帮扶"), required=False)

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        if reader is not None:
            bind_division_fields(self, reader)

    def to_filter(self) -> WarningFilter:
        data = _valid(self)
        return WarningFilter(
            code=data.get("code") or None, status=data.get("status") or None, year=data.get("year"),
            division=division_in_scope(self, "division", self.reader), escalation=data.get("escalation") or None,
            overdue=bool(data.get("overdue")), score_min=data.get("score_min"), score_max=data.get("score_max"),
            mine=bool(data.get("mine")), household_no=(data.get("household_no") or "").strip() or None,
        )


def _note(label: str, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=MAX_NOTE_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(ServiceErrorsMixin, forms.Form):
    result = forms.TypedChoiceField(
        label=_("核实结论"), choices=[("true", _("属实")), ("false", _("不属实"))], coerce=lambda v: v == "true",
        widget=forms.RadioSelect)
    note = _note(_("核实情况说明"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="verify", **kwargs)


class MeasureForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("措施类型"), choices=[("", "—"), *MeasureKind.choices])
    amount = forms.DecimalField(label=_("金额(元)"), required=False, min_value=0, max_digits=14,
                                decimal_places=2, help_text=_("没有资金的措施(如就业指导)可不填"))
    date = forms.DateField(label=_("措施日期"), widget=DATE_WIDGET)
    note = _note(_("措施说明"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="measure", **kwargs)


class ClearForm(ServiceErrorsMixin, forms.Form):
    reason = _note(_("风险消除理由"))
    date = forms.DateField(label=_("风险消除日期"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="clear", **kwargs)


class HandOverForm(ServiceErrorsMixin, forms.Form):
    note = _note(_("转入识别程序的说明"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="hand_over", **kwargs)


class MonitoredFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    division = DivisionFilterField()
    source = forms.ChoiceField(label=_("来源"), required=False, choices=_blank(MonitoredSource.choices))
    q = forms.CharField(label=_("编号、户主姓名或身份证号"), required=False, max_length=40)

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        if reader is not None:
            bind_division_fields(self, reader)

    def to_filter(self) -> MonitoredFilter:
        data = _valid(self)
        return MonitoredFilter(year=data.get("year"), division=division_in_scope(self, "division", self.reader),
                               source=data.get("source") or None, q=(data.get("q") or "").strip() or None)


def village_choices(reader: User) -> list[tuple[str, Any]]:
    """The villages a household may be entered in, grouped by township: the reader's own village for a
    village clerk (preselected), every village of his area for the others. Never a typed code."""
    from sunshine.core.models import Division

    own = reader.division if reader.is_authenticated else None
    if own is None:
        return [("", _("请选择"))]
    if own.level == DivisionLevel.VILLAGE:
        return [(own.code, own.name)]
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, township in (Division.objects.filter(code__startswith=own.prefix, level=DivisionLevel.VILLAGE)
                                 .order_by("code").values_list("code", "name", "parent__name")):
        groups.setdefault(township or "", []).append((code, name))
    return [("", _("请选择")), *groups.items()]


class MonitoredForm(ServiceErrorsMixin, forms.Form):
    """A monitored household entered by hand; sunshine.monitoring.monitored.create_monitored checks it."""

    number = forms.CharField(label=_("监测户编号"), max_length=30)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    division_code = DivisionFilterField(label=_("所在村"), required=True)
    head_name = forms.CharField(label=_("户主姓名"), max_length=100)
    head_id_number = forms.CharField(label=_("户主身份证号"), max_length=18)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    members = forms.IntegerField(label=_("家庭人口"), min_value=1, max_value=99, required=False)
    per_capita_income = forms.DecimalField(label=_("人均可支配收入(元)"), required=False, min_value=0,
                                           max_digits=14, decimal_places=2)
    note = _note(_("备注"), required=False)

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": settings.SUNSHINE_DEFAULT_YEAR})
        super().__init__(*args, prefix="monitored", **kwargs)
        if reader is not None:
            bind_division_fields(self, reader)
            self.fields["division_code"].choices = village_choices(reader)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"number": data["number"].strip(), "year": data["year"],
                "division_code": data["division_code"].strip(), "head_name": data["head_name"].strip(),
                "head_id_number": data["head_id_number"].strip(), "phone": (data.get("phone") or "").strip(),
                "members": data.get("members"), "per_capita_income": data.get("per_capita_income"),
                "note": (data.get("note") or "").strip()}
