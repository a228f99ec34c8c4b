"""Forms validate input shape; the registry rules themselves run in services (one place for all ways in)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import DivisionLevel
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.core.ids import InvalidIdNumber, parse_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import in_scope
from sunshine.registry.choices import Gender, MemberStatus, Relation
from sunshine.registry.models import HouseholdYear, MemberYear
from sunshine.registry.services import HOUSEHOLD_YEAR_FIELDS, MEMBER_YEAR_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HouseholdYearForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = HouseholdYear
        fields = HOUSEHOLD_YEAR_FIELDS

    def _post_clean(self) -> None:
        # Leave the instance untouched: the service compares old and new values and records history.
        pass

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
        fields = ("name", "id_number", "gender", "birth_date", *MEMBER_YEAR_FIELDS)
        widgets = {"change_date": DATE_WIDGET}

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
        fields = tuple(f for f in MemberForm.Meta.fields if f not in ("relation", "member_status", "change_date"))


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
