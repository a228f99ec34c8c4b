"""Forms of the project pages: the list's filters, the project form of the proposing clerk, one lifecycle step,
an announcement, handling a comment, and the public comment form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.core.attachments import ATTACHMENT_ACCEPT
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.funds.choices import (
    ANNOUNCEMENT_KIND_CHOICES,
    CATEGORY_CHOICES,
    CommentKind,
    PerformanceResult,
    ProjectStatus,
)
from sunshine.funds.selectors_projects import ProjectFilter

MAX_TEXT = 2000
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=_("项目状态"), required=False,
                               choices=[("", _("全部"))] + list(ProjectStatus.choices))
    category = forms.ChoiceField(label=_("项目类别"), required=False, choices=[("", _("全部"))] + CATEGORY_CHOICES)
    division = DivisionFilterField(label=_("建设地点"))
    q = forms.CharField(label=_("项目编号或名称"), required=False, max_length=100)

    def __init__(self, *args: Any, reader: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_division_fields(self, reader)

    def to_filter(self) -> ProjectFilter:
        if not self.is_bound or not self.is_valid():
            return ProjectFilter()
        d = self.cleaned_data
        return ProjectFilter(year=d.get("year"), status=d.get("status") or None,
                             category=d.get("category") or None, division=d.get("division") or None,
                             q=(d.get("q") or "").strip() or None)


class ProjectForm(ServiceErrorsMixin, forms.Form):
    """申报 (new: with the place it is built, from the reader's region picker) and edits while 申报."""

    division = DivisionFilterField(label=_("建设地点"), required=True)
    project_no = forms.CharField(label=_("项目编号"), max_length=40)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    category = forms.ChoiceField(label=_("项目类别"), choices=[("", _("请选择"))] + CATEGORY_CHOICES)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    budget = forms.DecimalField(label=_("预算金额(元)"), min_value=0, max_digits=14, decimal_places=2)
    content = forms.CharField(label=_("建设内容"), required=False, max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 3}))
    performance_target = forms.CharField(label=_("绩效目标"), required=False, max_length=MAX_TEXT,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    planned_households = forms.IntegerField(label=_("计划受益户数"), required=False, min_value=0,
                                            max_value=10_000_000)
    planned_registered_households = forms.IntegerField(label=_("其中建档立卡户"), required=False, min_value=0,
                                                       max_value=10_000_000)
    planned_start = forms.DateField(label=_("计划开工"), required=False, widget=DATE)
    planned_end = forms.DateField(label=_("计划完工"), required=False, widget=DATE)
    implementer = forms.CharField(label=_("实施单位"), required=False, max_length=200)
    note = forms.CharField(label=_("申报说明"), required=False, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, reader: Any, editing: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("year", settings.SUNSHINE_DEFAULT_YEAR)
        super().__init__(*args, **kwargs)
        bind_division_fields(self, reader)
        if editing:
            # The place and the proposal note belong to the 申报 itself.
            del self.fields["division"]
            del self.fields["note"]
        else:
            choices = [c for c in self.fields["division"].choices if c[0]]
            own = reader.division
            if own is not None and own.level == "county":
                # A county-level project (built for the whole county) is the county's own.
                choices.insert(0, (own.code, _("%(name)s(县级项目)") % {"name": own.name}))
            self.fields["division"].choices = choices

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("division", "note")}


class TransitionForm(ServiceErrorsMixin, forms.Form):
    """One lifecycle step. ``expected_status`` is the state the page showed: a stale form is refused."""

    to_status = forms.ChoiceField(choices=ProjectStatus.choices, widget=forms.HiddenInput)
    expected_status = forms.ChoiceField(choices=ProjectStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("意见"), required=False, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("出库原因"), required=False, max_length=MAX_TEXT,
                             widget=forms.Textarea(attrs={"rows": 2}))
    accepted_date = forms.DateField(label=_("验收日期"), required=False, widget=DATE)
    performance_result = forms.ChoiceField(label=_("绩效评价"), required=False,
                                           choices=[("", _("请选择"))] + list(PerformanceResult.choices))
    performance_note = forms.CharField(label=_("绩效评价说明"), required=False, max_length=MAX_TEXT,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    attachment = forms.FileField(label=_("扫描件(可选)"), required=False,
                                 widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}))


class AnnouncementForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("公告类型"), choices=ANNOUNCEMENT_KIND_CHOICES, widget=forms.HiddenInput)
    title = forms.CharField(label=_("标题"), required=False, max_length=200,
                            help_text=_("不填则为“项目名称+公告类型”"))
    start_date = forms.DateField(label=_("公示开始"), widget=DATE)
    days = forms.IntegerField(label=_("公示天数"), min_value=1, max_value=366)
    body = forms.CharField(label=_("补充说明"), required=False, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("将在公示网站公开,请勿填写身份证号、电话等个人信息"))


class HandleCommentForm(ServiceErrorsMixin, forms.Form):
    reply = forms.CharField(label=_("处理情况"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class PublicCommentForm(ServiceErrorsMixin, forms.Form):
    """The public page's form: anyone, no login; name and phone optional and never shown."""

    kind = forms.ChoiceField(label=_("类型"), choices=CommentKind.choices, widget=forms.RadioSelect,
                             initial=CommentKind.COMMENT)
    text = forms.CharField(label=_("意见内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    name = forms.CharField(label=_("您的姓名(可不填)"), required=False, max_length=50)
    phone = forms.CharField(label=_("联系电话(可不填)"), required=False, max_length=20)
