"""The audit page's filters: region (the one region picker), action, user, date range."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunshine.core.auditlog.selectors import LogFilter
from sunshine.core.choices import AccessAction
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.models import Division

if TYPE_CHECKING:
    from sunshine.core.models import User

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    division = DivisionFilterField(label=_("用户所属区划"))
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部")), *AccessAction.choices])
    user = forms.CharField(label=_("用户"), required=False, max_length=60)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_division_fields(self, reader)

    def to_filter(self) -> LogFilter:
        """The valid filters; a bad value drops that filter only (and the form shows why)."""
        if not self.is_bound:
            return LogFilter()
        self.is_valid()
        data = self.cleaned_data
        prefix = ""
        if data.get("division"):  # a choice of the reader's picker: inside their scope
            division = Division.objects.filter(code=data["division"]).first()
            prefix = division.prefix if division is not None else ""
        return LogFilter(division_prefix=prefix, action=data.get("action") or "",
                         user=(data.get("user") or "").strip(), date_from=data.get("date_from"),
                         date_to=data.get("date_to"))
