"""Forms of the comparison pages: start a run, filter findings, verify and rectify a finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.choices import DATASET_CHOICES, MATCH_CHOICES, SEVERITY_CHOICES, Engine, FindingStatus
from sunshine.comparison.selectors import FindingFilter
from sunshine.comparison.workflow import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from sunshine.core.choices import DivisionLevel
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.funds.catalogue import RULES as FUNDS_RULES

if TYPE_CHECKING:
    from sunshine.core.models import User

# Rules by their Chinese titles; the code is secondary (in brackets) for those who know it.
RULE_TITLES = [(code, f"{r.title}({code})") for code, r in RULES.items()]
FUNDS_RULE_TITLES = [(code, f"{r.title}({code})") for code, r in FUNDS_RULES.items()]
# The finding list's 类型 filter: comparison findings, or funds and projects findings (those have a subject).
FINDING_TYPE_CHOICES = [("comparison", _("数据比对")), ("funds", _("资金项目"))]
# The engine is picked by how much data there is, not by product name (engine names stay out of pages).
ENGINE_CHOICES = [(Engine.DUCKDB.value, _("常规(单机计算)")), (Engine.SPARK.value, _("大数据量(集群计算)"))]
ATTACHMENT_ACCEPT = ",".join([*ATTACHMENT_TYPES, "application/pdf", "image/jpeg", "image/png"])


class RunForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    division_code = DivisionFilterField(label=_("比对范围"), help_text=_("不选为您的管辖区划"))
    rules = forms.MultipleChoiceField(label=_("比对规则"), required=False, choices=RULE_TITLES,
                                      widget=forms.CheckboxSelectMultiple, help_text=_("不选为全部规则"))
    engine = forms.ChoiceField(label=_("计算方式"), choices=ENGINE_CHOICES, initial=Engine.DUCKDB,
                               help_text=_("全省等大数据量时选集群计算"))

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": settings.SUNSHINE_DEFAULT_YEAR, "engine": Engine.DUCKDB})
        super().__init__(*args, **kwargs)
        if reader is not None:
            bind_scope_picker(self, "division_code", reader)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"year": data["year"], "division_code": (data["division_code"] or "").strip() or None,
                "rules": list(data["rules"]) or None, "engine": data["engine"]}


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("全部")), *choices]


def bind_scope_picker(form: forms.Form, name: str, reader: User) -> None:
    """A run form's region picker: the reader's whole area (his own division, preselected) or a division
    two levels down, from the shared picker. A code outside the choices is refused by the field."""
    bind_division_fields(form, reader)
    field = form.fields[name]
    own = reader.division if reader.is_authenticated else None
    if own is None or own.level == DivisionLevel.VILLAGE:
        return
    field.choices = [(own.code, _("%(name)s(全辖区)") % {"name": own.name}),
                     *[c for c in field.choices if c[0]]]
    field.initial = own.code


def division_in_scope(form: forms.Form, name: str, reader: User | None) -> str | None:
    """The division a filter form's picker names. A code the picker does not list (a drill-down link one
    level further down) is kept when it lies inside the reader's scope; any other code is ignored."""
    if not form.is_bound:
        return None
    if name not in form.errors:
        return (form.cleaned_data.get(name) or "").strip() or None
    raw = str(form.data.get(form.add_prefix(name)) or "").strip()
    prefix = getattr(reader, "scope_prefix", None) if reader is not None else None
    if prefix and len(raw) == 12 and raw.isdigit() and raw.startswith(prefix):
        return raw
    return None


class FindingFilterForm(forms.Form):
    """The list's filters (GET). Bad values are dropped rather than refused: a filter link must always open."""

    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_blank(FINDING_TYPE_CHOICES))
    rule = forms.ChoiceField(label=_("规则"), required=False, choices=_blank(RULE_TITLES + FUNDS_RULE_TITLES))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_blank(FindingStatus.choices))
    severity = forms.ChoiceField(label=_("严重程度"), required=False, choices=_blank(SEVERITY_CHOICES))
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    match = forms.ChoiceField(label=_("匹配方式"), required=False, choices=_blank(MATCH_CHOICES))
    dataset = forms.ChoiceField(label=_("部门数据"), required=False, choices=_blank(DATASET_CHOICES))
    division = DivisionFilterField()
    run = forms.IntegerField(label=_("比对批次"), required=False, min_value=1)
    overdue = forms.BooleanField(label=_("只看逾期未核实"), required=False)
    q = forms.CharField(label=_("姓名、身份证号或户编号"), required=False, max_length=40)

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        if reader is not None:
            bind_division_fields(self, reader)

    def to_filter(self) -> FindingFilter:
        if not self.is_bound:
            return FindingFilter()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return FindingFilter(
            rule=data.get("rule") or None, status=data.get("status") or None,
            severity=data.get("severity") or None, year=data.get("year"), match=data.get("match") or None,
            dataset=data.get("dataset") or None, division=division_in_scope(self, "division", self.reader),
            run=data.get("run"), overdue=bool(data.get("overdue")), q=(data.get("q") or "").strip() or None,
            kind=data.get("kind") or None,
        )


class _StepForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    attachment = forms.FileField(
        label=_("附件"), required=False,
        help_text=_("可选:PDF、JPG 或 PNG,不超过 %(mb)s MB") % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}))


class VerifyForm(_StepForm):
    result = forms.TypedChoiceField(
        label=_("核实结论"), choices=[("true", _("属实")), ("false", _("不属实"))], coerce=lambda v: v == "true",
        widget=forms.RadioSelect)
    field_order = ["result", "note", "attachment"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="verify", **kwargs)
        self.fields["note"].label = _("核实情况说明")


class RectifyForm(_StepForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="rectify", **kwargs)
        self.fields["note"].label = _("整改情况说明")
