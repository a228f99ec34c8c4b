"""Scanned pages attached to a verification or a signed step: PDF, JPG or PNG up to 10 MB, checked by name and by
content, stored under a name without ID numbers, and served only by views that check the reader's scope."""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_text

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.db.models.fields.files import FieldFile

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Extension → the bytes such a file starts with: the name alone would let any file through.
ATTACHMENT_TYPES = {".pdf": (b"%PDF-",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
                    ".png": (b"\x89PNG\r\n\x1a\n",)}
ATTACHMENT_CONTENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                            ".png": "image/png"}
ATTACHMENT_ACCEPT = ",".join([*ATTACHMENT_TYPES, *dict.fromkeys(ATTACHMENT_CONTENT_TYPES.values())])


def check_attachment(attachment: UploadedFile | None) -> None:
    """PDF, JPG or PNG up to 10 MB, by name and by content."""
    if attachment is None:
        return
    suffix = PurePath(attachment.name or "").suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        raise ValidationError({"attachment": ["附件只能是 PDF、JPG 或 PNG 文件"]})
    if attachment.size is None or attachment.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"attachment": [f"附件不能超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"]})
    if attachment.size == 0:
        raise ValidationError({"attachment": ["附件是空文件"]})
    attachment.seek(0)
    head = attachment.read(16)
    attachment.seek(0)
    if not any(head.startswith(magic) for magic in ATTACHMENT_TYPES[suffix]):
        raise ValidationError({"attachment": ["附件内容与文件类型不符(应为 PDF、JPG 或 PNG)"]})


def mask_attachment_name(attachment: UploadedFile) -> None:
    """The stored name shows up in links and on disk: no ID number in it."""
    attachment.name = mask_text(PurePath(attachment.name or "附件").name).replace("*", "x")


def attachment_response(request: HttpRequest, file: FieldFile, *, object_type: str, object_ref: str) -> HttpResponse:
    """Serve an attachment the caller has already found within the reader's scope; the read is logged."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if not file:
        raise Http404(_("该记录没有附件"))
    name = PurePath(file.name).name
    suffix = PurePath(name).suffix.lower()
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("附件文件已不存在")) from exc
    log_access(user=request.user, action=AccessAction.VIEW_FULL, object_type=object_type, object_ref=object_ref,
               request=request)
    response = FileResponse(handle, content_type=ATTACHMENT_CONTENT_TYPES.get(suffix, "application/octet-stream"),
                            as_attachment=suffix not in ATTACHMENT_CONTENT_TYPES, filename=name)
    response["Cache-Control"] = "private, no-store"
    if suffix == ".pdf":
        # Chrome shows an inline PDF through an <embed> in a page it builds itself, governed by this response's
        # object-src (and, in older versions, style-src): the site-wide 'none' would block the viewer
        # (crbug.com/271452). A PDF is no HTML of ours, so allowing them here opens nothing for injected markup.
        response._csp_replace = {"object-src": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"]}
    return response
