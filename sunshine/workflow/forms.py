"""Forms of the case pages: filter the list, open a case, sign a step, handle an objection, open an annual
adjustment, and the public objection form."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from sunshine.core.attachments import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, check_attachment
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.core.ids import mask_text
from sunshine.workflow.choices import CaseStatus, CaseType, ChangeKind, Decision, Step

ATTACHMENT_ACCEPT = ",".join([*ATTACHMENT_TYPES, "application/pdf", "image/jpeg", "image/png"])
MAX_TEXT = 2000


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("全部")), *choices]


class CaseFilterForm(forms.Form):
    """The list's filters (GET). Bad values are dropped rather than refused: a filter link must always open."""

    case_type = forms.ChoiceField(label=_("类型"), required=False, choices=_blank(CaseType.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(CaseStatus.choices))
    step = forms.ChoiceField(label=_("当前步骤"), required=False, choices=_blank(Step.choices))
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    division = DivisionFilterField(label=_("区划"))

    def __init__(self, *args: Any, reader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reader is not None:
            bind_division_fields(self, reader)

    def filters(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v not in (None, "")}


class OpenCaseForm(ServiceErrorsMixin, forms.Form):
    case_type = forms.ChoiceField(label=_("案件类型"), choices=CaseType.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    household_no = forms.CharField(label=_("户编号"), required=False, max_length=30,
                                   help_text=_("建档立卡户的户编号;纳入档外人员时留空"))
    monitored = forms.IntegerField(label=_("监测户"), required=False, min_value=1,
                                   help_text=_("纳入监测户(档外)时填写其记录号"))
    applicant_name = forms.CharField(label=_("申请人姓名"), required=False, max_length=50)
    applicant_id_number = forms.CharField(label=_("申请人身份证号"), required=False, max_length=18)
    applicant_village = forms.CharField(label=_("申请人所在村(区划代码)"), required=False, max_length=12)
    change_kind = forms.ChoiceField(label=_("变更事项"), required=False,
                                    choices=[("", "—"), *ChangeKind.choices])
    member_id = forms.IntegerField(label=_("变更成员"), required=False, min_value=1,
                                   help_text=_("死亡、婚出、迁出:该户成员(户页成员记录号)"))
    member_name = forms.CharField(label=_("新成员姓名"), required=False, max_length=50,
                                  help_text=_("出生、婚入填写"))
    member_id_number = forms.CharField(label=_("新成员身份证号"), required=False, max_length=18)
    change_date = forms.DateField(label=_("变更日期"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_TEXT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("year", settings.SUNSHINE_DEFAULT_YEAR)
        super().__init__(*args, **kwargs)

    # The service's names for what this form calls otherwise.
    SERVICE_NAMES = {"applicant.village_code": "applicant_village", "applicant.name": "applicant_name",
                     "applicant.id_number": "applicant_id_number", "payload.member": "member_name",
                     "payload.member_id": "member_id", "payload.change_date": "change_date",
                     "household": "household_no"}

    def apply_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError({self.SERVICE_NAMES.get(k, k): v for k, v in error.message_dict.items()})
        else:
            error = ValidationError({NON_FIELD_ERRORS: error.messages})
        super().apply_service_errors(error)

    def applicant(self) -> dict[str, str]:
        data = self.cleaned_data
        out = {"name": data.get("applicant_name", "").strip(),
               "id_number": data.get("applicant_id_number", "").strip(),
               "village_code": data.get("applicant_village", "").strip()}
        return {k: v for k, v in out.items() if v}

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data.get("case_type") != CaseType.CHANGE:
            return out
        member = {"name": data.get("member_name", "").strip(), "id_number": data.get("member_id_number", "").strip()}
        if any(member.values()):
            out["member"] = member
        if data.get("member_id"):
            out["member_id"] = data["member_id"]
        if data.get("change_date"):
            out["change_date"] = data["change_date"].isoformat()
        return out


class StepForm(ServiceErrorsMixin, forms.Form):
    """One signature. ``step`` carries the step the page showed: a stale form cannot sign another step."""

    step = forms.ChoiceField(choices=Step.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("结论"), choices=Decision.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=MAX_TEXT, help_text=_("退回或不予批准时必须说明理由"))
    attachment = forms.FileField(
        label=_("签字页扫描件"), required=False,
        help_text=_("可选:PDF、JPG 或 PNG,不超过 %(mb)s MB") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}))

    def __init__(self, *args: Any, decisions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if decisions is not None:
            self.fields["decision"].choices = [(v, label) for v, label in Decision.choices if v in decisions]

    def apply_service_errors(self, error: ValidationError) -> None:
        # The step is a hidden field: its errors (a stale form, a step that cannot be skipped) go on top.
        if hasattr(error, "error_dict"):
            moved: dict[str, list[str]] = {}
            for key, messages in error.message_dict.items():
                moved.setdefault(NON_FIELD_ERRORS if key in ("step", "case") else key, []).extend(messages)
            error = ValidationError(moved)
        else:
            error = ValidationError({NON_FIELD_ERRORS: error.messages})
        super().apply_service_errors(error)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") in (Decision.REJECT, Decision.REFUSE) and not (data.get("note") or "").strip():
            self.add_error("note", _("退回或不予批准时请填写理由"))
        attachment = data.get("attachment")
        if attachment is not None:
            try:
                check_attachment(attachment)  # by name, size and content: the name alone would let any file in
            except ValidationError as exc:
                self.apply_service_errors(exc)
            else:
                # The stored name shows up in links and on disk: no ID number in it.
                attachment.name = mask_text(PurePath(attachment.name or "附件").name).replace("*", "x")
        return data


class HandleObjectionForm(ServiceErrorsMixin, forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("处理结论"), choices=[("false", _("异议不成立")), ("true", _("异议成立"))],
        coerce=lambda v: v == "true", widget=forms.RadioSelect)
    resolution = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_TEXT)


class ObjectionForm(ServiceErrorsMixin, forms.Form):
    """The public site's objection form: anyone may file one, the name is optional."""

    case = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    name = forms.CharField(label=_("您的姓名(可不填)"), required=False, max_length=50)
    contact = forms.CharField(label=_("联系方式"), max_length=50)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_TEXT)


class AdjustmentForm(ServiceErrorsMixin, forms.Form):
    county_code = forms.CharField(label=_("县(区)区划代码"), max_length=12)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("year", settings.SUNSHINE_DEFAULT_YEAR)
        super().__init__(*args, **kwargs)
