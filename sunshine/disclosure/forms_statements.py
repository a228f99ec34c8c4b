"""The public self-query form: 户主姓名, 户主身份证号后6位, 查询码."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sunshine.disclosure.statements.codes import normalize


class SelfQueryForm(forms.Form):
    name = forms.CharField(label=_("户主姓名"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_tail = forms.CharField(label=_("户主身份证号后6位"), min_length=6, max_length=6,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                            "size": 8}))
    code = forms.CharField(label=_("查询码"), max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "size": 10}))

    def clean_code(self) -> str:
        return normalize(self.cleaned_data["code"])
