"""Forms validate input shape; the registry rules themselves run in services (one place for all ways in)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import DivisionLevel
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.core.ids import InvalidIdNumber, parse_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible, in_scope
from sunshine.registry.choices import Gender, MemberStatus, Relation
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.registry.services import (
    HOUSEHOLD_YEAR_FIELDS,
    MEMBER_YEAR_FIELDS,
    PROCEDURE_HOUSEHOLD_FIELDS,
    PROCEDURE_MEMBER_FIELDS,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# What the edit forms offer: status, years and member status change only through a case, so the forms
# leave them out (a tampered POST naming them is ignored; the services would refuse it anyway).
EDITABLE_HOUSEHOLD_FIELDS = tuple(f for f in HOUSEHOLD_YEAR_FIELDS if f not in PROCEDURE_HOUSEHOLD_FIELDS)
# The change date goes with the member status: the change case records it.
EDITABLE_MEMBER_FIELDS = tuple(f for f in MEMBER_YEAR_FIELDS if f not in (*PROCEDURE_MEMBER_FIELDS, "change_date"))


class HouseholdYearForm(ServiceErrorsMixin, forms.ModelForm):
    """The household edit form: everything but status and years. ``masked`` blanks the phone for a reader
    who may not see it in full; left blank, the stored phone stays (as the member form does for the ID)."""

    class Meta:
        model = HouseholdYear
        fields = EDITABLE_HOUSEHOLD_FIELDS

    def __init__(self, *args: Any, masked_phone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.masked_phone = masked_phone
        if masked_phone is not None:
            self.initial["phone"] = ""
            self.fields["phone"].help_text = _("当前为%(masked)s;留空表示不修改") % {"masked": masked_phone or "—"}

    def _post_clean(self) -> None:
        # Leave the instance untouched: the service compares old and new values and records history.
        pass

    def service_fields(self) -> dict[str, Any]:
        fields = {f: self.cleaned_data[f] for f in EDITABLE_HOUSEHOLD_FIELDS}
        if self.masked_phone is not None and not fields.get("phone"):
            fields.pop("phone")  # never shown in full, so blank means "unchanged"
        return fields


class HouseholdCreateYearForm(HouseholdYearForm):
    """The yearly fields of a household an administrator registers directly (with a correction reason)."""

    class Meta(HouseholdYearForm.Meta):
        fields = HOUSEHOLD_YEAR_FIELDS

    def service_fields(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in HOUSEHOLD_YEAR_FIELDS}


class MemberForm(ServiceErrorsMixin, forms.ModelForm):
    name = forms.CharField(label=_("姓名"), max_length=40)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, min_length=15,
                                help_text=_("18位,末位可为X;15位旧号码将自动转换为18位"))
    gender = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Gender.choices], required=False,
                               help_text=_("留空则按身份证号填写"))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DATE_WIDGET,
                                 help_text=_("留空则按身份证号填写"))

    class Meta:
        model = MemberYear
        fields = ("name", "id_number", "gender", "birth_date", *EDITABLE_MEMBER_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            person = self.instance.person
            for name in ("name", "id_number", "gender", "birth_date"):
                self.initial.setdefault(name, getattr(person, name))

    def clean_id_number(self) -> str:
        # Checked here too so that every error of the form shows at once; the service checks again.
        raw = self.cleaned_data.get("id_number") or ""
        if not raw:
            return raw
        try:
            return parse_id_number(raw).number
        except InvalidIdNumber as exc:
            raise ValidationError(str(exc)) from exc

    def _post_clean(self) -> None:
        # Skip ModelForm's model validation: the person and household links are set by the service.
        pass

    def service_fields(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class HeadMemberForm(MemberForm):
    class Meta(MemberForm.Meta):
        fields = tuple(f for f in MemberForm.Meta.fields if f != "relation")


class HouseholdCreateForm(ServiceErrorsMixin, forms.Form):
    household_no = forms.CharField(label=_("户编号"), max_length=30)
    village_code = forms.ChoiceField(label=_("所在村"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = in_scope(Division.objects.filter(level=DivisionLevel.VILLAGE), reader, "code").select_related(
            "parent"
        ).order_by("code")
        self.fields["village_code"].choices = [
            (v.code, f"{v.parent.name if v.parent else ''} {v.name}({v.code})") for v in villages
        ]


class HouseholdListFilter(forms.Form):
    """The household list's region picker (township → village); a clerk's own village is preselected."""

    division = DivisionFilterField()

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_division_fields(self, reader)
        # A division deeper than the picker reaches (the division page's "查看农户名单" link): shown as chosen.
        code = (self.data.get("division") or "").strip()
        field = self.fields["division"]
        if code and not field.valid_value(code) and division_visible(reader, code):
            division = Division.objects.filter(code=code).first()
            if division is not None:
                field.choices = [*field.choices, (code, division.name)]


class CorrectionReasonForm(forms.Form):
    reason = forms.CharField(label=_("更正理由"), max_length=90,
                             help_text=_("仅限系统管理员补录或更正;写入变更历史"))


class ChangeHeadForm(forms.Form):
    new_head = forms.ChoiceField(label=_("新户主"))
    old_head_relation = forms.ChoiceField(
        label=_("原户主改为"), choices=[(v, label) for v, label in Relation.choices if v != Relation.HEAD]
    )

    def __init__(self, *args: Any, members: list[MemberYear], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for m in members}
        self.fields["new_head"].choices = [
            (str(m.pk), f"{m.person.name}({m.get_relation_display()})") for m in members
            if m.relation != Relation.HEAD and m.member_status == MemberStatus.ACTIVE
        ]
