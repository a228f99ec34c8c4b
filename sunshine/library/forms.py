"""Forms of the policy library: the search (public and staff), the upload (a new document or a new version)
and the status change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sunshine.core.forms import ServiceErrorsMixin
from sunshine.library.choices import DocumentStatus, Level
from sunshine.library.extract import ACCEPT, MAX_UPLOAD_BYTES
from sunshine.library.search import MAX_QUERY_CHARS, Filters

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ANY = [("", _("全部"))]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("检索词"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("如:小额信贷"),
                                                      "maxlength": MAX_QUERY_CHARS}))
    level = forms.ChoiceField(label=_("层级"), required=False, choices=ANY + list(Level.choices))
    issuer = forms.CharField(label=_("发文机关"), required=False, max_length=100)
    year = forms.IntegerField(label=_("发布年份"), required=False, min_value=1949, max_value=2100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=ANY + list(DocumentStatus.choices))

    def query(self) -> str:
        """The query, also when a filter is invalid (that filter alone is left out)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return (self.cleaned_data.get("q") or "")[:MAX_QUERY_CHARS]

    def filters(self) -> Filters:
        """The valid filters (an invalid one is left out; the form shows its error)."""
        if not self.is_bound:
            return Filters()
        self.is_valid()
        data: dict[str, Any] = self.cleaned_data
        return Filters(level=data.get("level") or "", issuer=(data.get("issuer") or "").strip(),
                       year=data.get("year"), status=data.get("status") or "")


class UploadForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(label=_("文件"), required=False,
                           help_text=_("TXT、DOCX、HTML 或 PDF,不超过 %(mb)d MB;也可在下方直接录入全文")
                           % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    title = forms.CharField(label=_("标题"), max_length=300)
    document_no = forms.CharField(label=_("文号"), max_length=100, required=False)
    issuer = forms.CharField(label=_("发文机关"), max_length=200, required=False)
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices, initial=Level.COUNTY)
    issued = forms.DateField(label=_("发布日期"), required=False, widget=DATE)
    effective = forms.DateField(label=_("施行日期"), required=False, widget=DATE)
    tags = forms.CharField(label=_("标签"), max_length=200, required=False, help_text=_("多个标签用空格分隔"))
    body = forms.CharField(label=_("全文(未上传文件时填写)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 6}))


class StatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("新状态"), choices=[(DocumentStatus.VALID, DocumentStatus.VALID.label),
                                                         (DocumentStatus.REPEALED, DocumentStatus.REPEALED.label)])
    reason = forms.CharField(label=_("说明"), max_length=100, required=False)
