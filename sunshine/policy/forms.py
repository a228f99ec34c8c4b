"""The form for a new policy standard version: made from a base version with its parameters prefilled."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunshine.core.forms import ServiceErrorsMixin
from sunshine.core.models import Division
from sunshine.policy.models import PolicyStandard
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.services import REGION_LEVELS

if TYPE_CHECKING:
    from sunshine.core.models import User


_CODE = re.compile(r"\b[A-Z]{1,2}-[A-Z][A-Z-]*\b")


def _code_names() -> dict[str, str]:
    from sunshine.assessment.choices import COUNTY_CRITERIA, HOUSEHOLD_CRITERIA, VILLAGE_CRITERIA
    from sunshine.engine.comparison.catalogue import RULES
    from sunshine.engine.vocabulary import WARNING_LABELS

    return {**HOUSEHOLD_CRITERIA, **VILLAGE_CRITERIA, **COUNTY_CRITERIA, **WARNING_LABELS,
            **{code: rule.title for code, rule in RULES.items()}}


def rule_reference(rule: str) -> str:
    """The policy rule a parameter comes from, with criterion, rule and warning codes by their Chinese names
    (§1 收入, not §1 H-INC)."""
    names = _code_names()
    return _CODE.sub(lambda m: names.get(m.group(0), m.group(0)), rule)


def region_choices(reader: User | None) -> list[tuple[str, str]]:
    """The regions a standard may apply to (province, city or county) inside the reader's division; a select,
    never a typed code."""
    own = getattr(reader, "division", None)
    qs = Division.objects.filter(level__in=REGION_LEVELS).order_by("code")
    if own is not None:
        qs = qs.filter(code__startswith=own.prefix)
    return [("", _("请选择")), *qs.values_list("code", "name")]


class StandardForm(ServiceErrorsMixin, forms.Form):
    nested_error_prefixes = ("parameters",)

    base_version = forms.ChoiceField(label=_("基于版本"))
    version = forms.SlugField(label=_("新版本号"), max_length=60)
    name = forms.CharField(label=_("名称"), max_length=120)
    year_from = forms.IntegerField(label=_("起始年度"), min_value=2000, max_value=2100)
    year_to = forms.IntegerField(label=_("终止年度"), min_value=2000, max_value=2100)
    region_code = forms.ChoiceField(label=_("适用区域"))
    notes = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, base: PolicyStandard | None = None, reader: User | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(reader)
        self.fields["base_version"].choices = [
            (s.version, f"{s.name}({s.version})") for s in PolicyStandard.objects.order_by("-created_at", "-id")]
        params = base.params if base is not None else StandardParameters()
        if base is not None:
            self.initial.setdefault("base_version", base.version)
            self.initial.setdefault("year_from", base.year_from)
            self.initial.setdefault("year_to", base.year_to)
            self.initial.setdefault("region_code", base.region_id)
        for f in dataclasses.fields(StandardParameters):
            self.fields[f"p_{f.name}"] = forms.DecimalField(label=f.metadata["label"],
                                                            help_text=rule_reference(f.metadata["rule"]))
            self.initial.setdefault(f"p_{f.name}", getattr(params, f.name))

    def parameters(self) -> dict[str, Any]:
        return {name: str(self.cleaned_data[f"p_{name}"]) for name in StandardParameters.names()}

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "base_version": data["base_version"], "changes": self.parameters(), "version": data["version"],
            "name": data["name"], "year_from": data["year_from"], "year_to": data["year_to"],
            "region_code": data["region_code"], "notes": data["notes"],
        }
