"""Forms of the grievance pages: the operator's fast intake, the public form, the list filters, the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunshine.core.fields import DivisionFilterField, PickerSelect, division_choices
from sunshine.core.forms import ScopedFilterForm, ServiceErrorsMixin
from sunshine.grievance.choices import Category, Channel, Outcome, Satisfaction, State

BLANK = [("", _("全部"))]
TEXT = {"required": False}


class GrievanceFilterForm(ScopedFilterForm):
    state = forms.ChoiceField(label=_("状态"), choices=BLANK + State.choices, required=False)
    category = forms.ChoiceField(label=_("类别"), choices=BLANK + Category.choices, required=False)
    overdue = forms.BooleanField(label=_("仅逾期"), required=False)


class _Reporter(forms.Form):
    reporter_name = forms.CharField(label=_("反映人姓名"), max_length=60, **TEXT)
    reporter_phone = forms.CharField(label=_("反映人电话"), max_length=20, **TEXT)
    anonymous = forms.BooleanField(label=_("匿名反映"), required=False)
    confidential = forms.BooleanField(label=_("要求保密"), required=False, initial=True)


class IntakeForm(ServiceErrorsMixin, _Reporter):
    """A 12317 call as the operator types it: category, place, what, links by number, reporter."""

    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, initial=Channel.HOTLINE)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    division = DivisionFilterField(label=_("所涉地点"), required=True)
    subject = forms.CharField(label=_("反映事项"), max_length=200)
    content = forms.CharField(label=_("反映内容"), widget=forms.Textarea(attrs={"rows": 5}))
    household_no = forms.CharField(label=_("户编号"), max_length=30, **TEXT)
    project_no = forms.CharField(label=_("项目编号"), max_length=40, **TEXT)
    payment_no = forms.CharField(label=_("发放编号"), max_length=40, **TEXT)
    loan_no = forms.CharField(label=_("贷款编号"), max_length=40, **TEXT)
    case_id = forms.CharField(label=_("案件编号"), max_length=12, **TEXT)
    finding_id = forms.CharField(label=_("疑点编号"), max_length=12, **TEXT)
    cadre_no = forms.CharField(label=_("帮扶干部编号"), max_length=40, **TEXT)
    village_cadre_id = forms.CharField(label=_("村干部编号"), max_length=12, **TEXT)

    field_order = ["channel", "category", "division", "subject", "content", "household_no", "project_no",
                   "payment_no", "loan_no", "case_id", "finding_id", "cadre_no", "village_cadre_id",
                   "reporter_name", "reporter_phone", "anonymous", "confidential"]

    def __init__(self, *args: Any, reader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["division"]
        field.bind(reader)
        own = [(reader.division_id, reader.division.name)] if getattr(reader, "division", None) else []
        field.choices = [("", _("请选择"))] + own + [c for c in field.choices if c[0] != ""]


class _CountyReader:
    """The region picker of a county, for the public form (no user)."""

    is_authenticated = True

    def __init__(self, county: Any) -> None:
        self.division = county
        self.division_id = county.code


class PublicForm(ServiceErrorsMixin, _Reporter):
    category = forms.ChoiceField(label=_("反映类别"), choices=Category.choices)
    division = forms.ChoiceField(label=_("所涉乡镇或村"), widget=PickerSelect)
    subject = forms.CharField(label=_("反映事项(一句话)"), max_length=200)
    content = forms.CharField(label=_("具体内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))

    field_order = ["category", "division", "subject", "content", "reporter_name", "reporter_phone", "anonymous",
                   "confidential"]

    def __init__(self, *args: Any, county: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = division_choices(_CountyReader(county))  # type: ignore[arg-type]
        self.fields["division"].choices = [("", _("请选择"))] + [c for c in choices if c[0] != ""]


class ProgressForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=12, min_length=8)


class ActionForm(forms.Form):
    """Every action's fields; the service checks which it needs."""

    action = forms.CharField(max_length=20)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("不予受理理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    division = DivisionFilterField(label=_("承办单位"))
    outcome = forms.ChoiceField(label=_("办理结果"), choices=[("", _("请选择"))] + Outcome.choices, required=False)
    findings = forms.CharField(label=_("调查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("处理措施"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=[("", _("请选择"))] + Satisfaction.choices,
                                     required=False)

    def __init__(self, *args: Any, reader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reader is not None:
            self.fields["division"].bind(reader)
