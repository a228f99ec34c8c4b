"""Forms of the sampling pages: draw a sample, continue a fixed panel, record a visit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.forms import bind_scope_picker
from sunshine.core.fields import DivisionFilterField
from sunshine.core.forms import ServiceErrorsMixin
from sunshine.monitoring.choices import SampleKind
from sunshine.monitoring.sampling.allocation import MAX_SEED
from sunshine.monitoring.sampling.draw import random_seed

if TYPE_CHECKING:
    from sunshine.core.models import User


class DrawForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("抽样类型"), choices=SampleKind.choices, initial=SampleKind.ADHOC,
                             help_text=_("固定抽样可在以后年度沿用同一批农户"))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    division_code = DivisionFilterField(label=_("抽样范围"), help_text=_("不选为您的管辖区划"))
    size = forms.IntegerField(label=_("样本量(户)"), required=False, min_value=1)
    rate = forms.FloatField(label=_("抽样比例"), required=False, min_value=0.0001, max_value=1,
                            help_text=_("样本量与抽样比例填一项;比例如 0.05 表示 5%"))
    seed = forms.IntegerField(label=_("随机种子"), min_value=0, max_value=MAX_SEED,
                              help_text=_("相同的在册农户与随机种子抽出相同的样本"))

    def __init__(self, *args: Any, reader: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": settings.SUNSHINE_DEFAULT_YEAR, "kind": SampleKind.ADHOC,
                                      "seed": random_seed()})
        super().__init__(*args, **kwargs)
        if reader is not None:
            bind_scope_picker(self, "division_code", reader)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("size") is None) == (data.get("rate") is None) and not self.has_error("size") \
                and not self.has_error("rate"):
            self.add_error("size", _("样本量与抽样比例应填且只填一项"))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"kind": data["kind"], "year": data["year"],
                "division_code": (data["division_code"] or "").strip() or None,
                "size": data["size"], "rate": data["rate"], "seed": data["seed"]}


class ContinueForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("沿用到年度"), min_value=2000, max_value=2100)
    seed = forms.IntegerField(label=_("随机种子"), required=False, min_value=0, max_value=MAX_SEED,
                              help_text=_("用于补抽退出农户的替换户;留空沿用原样本的随机种子"))

    def __init__(self, *args: Any, year: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, prefix="continue", **kwargs)
        if year is not None:
            self.fields["year"].initial = year + 1


BOOL_CHOICES = [("true", _("是")), ("false", _("否"))]


def _as_bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class VisitForm(ServiceErrorsMixin, forms.Form):
    """One per unit on the page, prefixed by the unit's id; the unit itself travels as a plain ``unit`` field."""

    visited_on = forms.DateField(label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date"}))
    data_correct = forms.TypedChoiceField(label=_("信息准确"), choices=BOOL_CHOICES, coerce=_as_bool,
                                          widget=forms.RadioSelect)
    wrongly_exited = forms.TypedChoiceField(label=_("错退"), choices=[("", "—"), *BOOL_CHOICES], coerce=_as_bool,
                                            empty_value=None, required=False,
                                            help_text=_("仅已脱贫户填写"))
    note = forms.CharField(label=_("走访记录"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, unit_id: int | None = None, **kwargs: Any) -> None:
        prefix = f"u{unit_id}" if unit_id is not None else None
        kwargs.setdefault("initial", {"visited_on": timezone.localdate()})
        super().__init__(*args, prefix=prefix, **kwargs)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"visited_on": data["visited_on"], "data_correct": data["data_correct"],
                "wrongly_exited": data.get("wrongly_exited"), "note": data["note"]}
