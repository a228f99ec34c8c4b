"""Every form's date and file inputs and empty select options read in Chinese, whatever the browser's
language: the browser's own date picker and file button would speak the browser's language."""

from __future__ import annotations

import datetime as dt

from django import forms


class Sample(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    scan = forms.FileField(widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}))
    upload = forms.FileField()
    kind = forms.TypedChoiceField(choices=[("", "---------"), ("a", "甲")], required=False)


def test_date_file_and_empty_select_read_in_chinese():
    html = str(Sample(initial={"day": dt.date(2020, 6, 30)}))
    assert 'type="date"' not in html and 'placeholder="年-月-日' in html and 'value="2020-06-30"' in html
    assert html.count("filepick-button\">选择文件") == 2 and html.count("未选择文件") == 2 and 'accept=".pdf"' in html
    assert 'type="file"' in html and 'name="scan"' in html and 'name="upload"' in html
    assert "请选择" in html and "---------" not in html


def test_a_typed_date_is_still_parsed():
    form = Sample(data={"day": "2020-06-30", "kind": ""}, files={})
    form.is_valid()
    assert form.cleaned_data["day"] == dt.date(2020, 6, 30)
