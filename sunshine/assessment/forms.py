"""The form that starts an assessment run (official or what-if)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.assessment.choices import Kind
from sunshine.comparison.forms import bind_scope_picker
from sunshine.core.fields import DivisionFilterField
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import standards

if TYPE_CHECKING:
    from sunshine.core.models import User

# The parameters a what-if run may change from this form.
OVERRIDABLE = ("income_line", "village_income_line", "county_household_share", "county_village_share")


class RunForm(ServiceErrorsMixin, forms.Form):
    nested_error_prefixes = ("overrides",)

    kind = forms.ChoiceField(label=_("评估对象"), choices=Kind.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    standard_version = forms.ChoiceField(label=_("政策标准版本"), required=False)
    division_code = DivisionFilterField(label=_("评估范围"), help_text=_("不选为您的管辖区划"))
    what_if = forms.BooleanField(label=_("模拟测算(不作为正式评估)"), required=False)

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": settings.SUNSHINE_DEFAULT_YEAR, "kind": Kind.HOUSEHOLDS})
        super().__init__(*args, **kwargs)
        if reader is not None:
            bind_scope_picker(self, "division_code", reader)
        self.fields["standard_version"].choices = [("", _("按年度和区划自动选择"))] + [
            (s.version, f"{s.name}({s.version})") for s in standards()]
        labels = StandardParameters.labels()
        for name in OVERRIDABLE:
            self.fields[f"p_{name}"] = forms.DecimalField(label=labels[name], required=False,
                                                          help_text=_("仅模拟测算;留空为标准值"))

    def overrides(self) -> dict[str, Any]:
        return {name: str(self.cleaned_data[f"p_{name}"]) for name in OVERRIDABLE
                if self.cleaned_data.get(f"p_{name}") is not None}

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "year": data["year"], "division_code": data["division_code"] or None,
            "standard_version": data["standard_version"] or None, "overrides": self.overrides(),
            "official": not data["what_if"],
        }
