"""The upload form of the department datasets page."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.choices import DATASET_CHOICES
from sunshine.registry.transfer.readers import SUFFIXES

ACCEPT = ",".join(sorted(SUFFIXES))


class DatasetUploadForm(forms.Form):
    dataset = forms.ChoiceField(label=_("数据集"), choices=DATASET_CHOICES)
    file = forms.FileField(label=_("文件"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                           help_text=_("Excel、CSV(UTF-8 或 GB18030)或 Parquet 文件,列名可用中文或英文"))
    as_of = forms.DateField(label=_("数据截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    partial = forms.BooleanField(label=_("只导入无错误的行(有错误的行跳过并计数)"), required=False)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("文件类型应为 Excel(xlsx)、CSV 或 Parquet"))
        return upload
