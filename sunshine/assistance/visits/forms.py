"""The visit form of the phone page. Photos arrive as a multiple file input (the template renders it: the
camera, several pictures) and are checked and re-encoded here, before any row is written."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sunshine.assistance.visits.photos import MAX_PHOTO_BYTES, ProcessedPhoto, process_photo

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_TEXT = 2000
MAX_PHOTOS = 9
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A request carries at most this many bytes of photos: nine photos of a modern phone, not a flood.
MAX_PHOTOS_TOTAL = MAX_PHOTOS * MAX_PHOTO_BYTES


class VisitForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)
    date = forms.DateField(label=_("走访日期"), widget=DATE_WIDGET,
                           error_messages={"required": _("请填写走访日期"),
                                           "invalid": _("日期格式:年-月-日,如 2020-06-30")})
    notes = forms.CharField(label=_("走访情况"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}),
                            error_messages={"required": _("请填写走访情况")})
    measures = forms.CharField(label=_("商定措施"), max_length=MAX_TEXT, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("与农户商定的帮扶措施;填写后记入本年度帮扶措施"))
    # Filled by the page's script when the cadre presses "记录位置" and the phone allows it; never automatic.
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=Decimal(-90),
                                  max_value=Decimal(90), max_digits=12, decimal_places=9)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=Decimal(-180),
                                   max_value=Decimal(180), max_digits=12, decimal_places=9)

    def __init__(self, *args: object, photos: list[UploadedFile] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.uploads = list(photos or [])
        self.photos: list[ProcessedPhoto] = []
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())
            # A fresh id with every blank form: the same form sent twice (a double tap, a resend) is one visit.
            self.initial.setdefault("client_uuid", uuid.uuid4())

    def clean_date(self) -> object:
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise ValidationError(_("走访日期不能晚于今天"))
        return value

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_("位置须同时有经度和纬度"))
        for name in ("latitude", "longitude"):
            if data.get(name) is not None:
                data[name] = data[name].quantize(Decimal("0.000001"))
        if len(self.uploads) > MAX_PHOTOS:
            self.add_error(None, ValidationError(_("每次走访最多上传 %(n)s 张照片") % {"n": MAX_PHOTOS}))
            return data
        photos = []
        for upload in self.uploads:
            try:
                photos.append(process_photo(upload, upload.size))
            except ValidationError as exc:
                for message in exc.message_dict.get("photos", exc.messages):
                    self.add_error(None, ValidationError(f"{upload.name}:{message}"))
        self.photos = photos
        return data
