"""Writing the policy library. Every write is one transaction: the document row, its history row (the acting
user: the audit record) and its full-text index row (sunshine.library.search) change together or not at all.

Documents are public and belong to no division; reading needs no role. Adding, changing status and adding a new
version need one of ``ROLES_THAT_WRITE`` (a command run on the server acts without a user). There is no delete:
a document that no longer applies is withdrawn (已废止); a replaced one is 已修订 and links to its successor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from sunshine.core.choices import Role
from sunshine.core.ids import mask_text
from sunshine.library import search
from sunshine.library.choices import DocumentStatus, Level, SourceFormat
from sunshine.library.extract import ExtractionError, extract
from sunshine.library.models import PolicyDocument

if TYPE_CHECKING:
    from sunshine.core.models import User

ROLES_THAT_WRITE = frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.ADMIN})

SEED_FILE = Path(__file__).parent / "data" / "jiangsu_2018_poverty_implementation_opinions.txt"
SEED = {"title": "关于打赢打好脱贫攻坚战三年行动的实施意见", "issuer": "中共江苏省委 江苏省人民政府",
        "level": Level.PROVINCIAL, "issued": dt.date(2018, 10, 14), "status": DocumentStatus.VALID,
        "tags": "脱贫攻坚 三年行动"}


def can_write(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.role_set & ROLES_THAT_WRITE)


def _check_actor(actor: User | None) -> None:
    if actor is not None and not can_write(actor):
        raise PermissionDenied("只有县级扶贫办管理员、省级分析人员和系统管理员可以维护政策文件")


@dataclass(frozen=True)
class Upload:
    """An uploaded original: its file name and bytes."""

    name: str
    data: bytes


def _validate(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not fields["title"]:
        errors["title"] = ["标题不能为空"]
    elif len(fields["title"]) > 300:
        errors["title"] = ["标题不能超过 300 字"]
    for name, limit in (("issuer", 200), ("document_no", 100), ("tags", 200)):
        if len(fields[name]) > limit:
            errors[name] = [f"不能超过 {limit} 字"]
    if fields["level"] not in Level.values:
        errors["level"] = ["层级应为 国家、省、市 或 县"]
    if fields["status"] not in DocumentStatus.values:
        errors["status"] = ["状态应为 有效、已废止 或 已修订"]
    if fields["issued"] and fields["effective"] and fields["effective"] < fields["issued"]:
        errors["effective"] = ["施行日期不能早于发布日期"]
    return errors


@transaction.atomic
def add_document(
    *, actor: User | None, title: str, body: str = "", upload: Upload | None = None, issuer: str = "",
    document_no: str = "", level: str = Level.PROVINCIAL, issued: dt.date | None = None,
    effective: dt.date | None = None, status: str = DocumentStatus.VALID, tags: str = "",
    supersedes: PolicyDocument | None = None,
) -> PolicyDocument:
    """A new document from typed text or an uploaded file (its text extracted, the original kept)."""
    _check_actor(actor)
    fields = {"title": " ".join((title or "").split()), "issuer": (issuer or "").strip(),
              "document_no": (document_no or "").strip(), "level": level, "status": status,
              "issued": issued, "effective": effective, "tags": " ".join((tags or "").replace(",", " ").split())}
    errors = _validate(fields)
    source_format, source_name = SourceFormat.TEXT, ""
    if upload is not None:
        try:
            extracted = extract(upload.name, upload.data)
        except ExtractionError as exc:
            errors["file"] = [str(exc)]
        else:
            body, source_format = extracted.text, extracted.source_format
            source_name = mask_text(PurePath(upload.name).name)[:200]
    body = (body or "").strip()
    if not body and "file" not in errors:
        errors["body" if upload is None else "file"] = ["正文不能为空"]
    if errors:
        raise ValidationError(errors)
    document = PolicyDocument(**fields, body=body, source_name=source_name, source_format=source_format,
                              supersedes=supersedes, created_by=actor)
    if upload is not None:
        stored = source_name.replace("*", "x") or f"policy{PurePath(upload.name).suffix.lower()}"
        document.attachment.save(stored, ContentFile(upload.data), save=False)
    document._history_user = actor  # type: ignore[attr-defined]
    document.save()
    search.index([document])
    return document


@transaction.atomic
def set_status(*, actor: User | None, document: PolicyDocument, status: str, reason: str = "") -> PolicyDocument:
    """有效 ↔ 已废止 (withdraw or restore). 已修订 is set only by adding a new version."""
    _check_actor(actor)
    document = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    if status not in (DocumentStatus.VALID, DocumentStatus.REPEALED):
        raise ValidationError({"status": ["只能设为 有效 或 已废止(已修订 由上传新版本产生)"]})
    if document.status == status:
        return document
    if hasattr(document, "replaced_by") and status == DocumentStatus.VALID:
        raise ValidationError({"status": ["该文件已有新版本,不能再设为有效"]})
    document.status = status
    document._history_user = actor  # type: ignore[attr-defined]
    document._change_reason = reason[:100] if reason else f"状态改为 {DocumentStatus(status).label}"  # type: ignore[attr-defined]
    document.save(update_fields=["status"])
    return document


@transaction.atomic
def add_version(*, actor: User | None, previous: PolicyDocument, **fields: Any) -> PolicyDocument:
    """A new version of ``previous``: that one becomes 已修订 and both link to each other."""
    _check_actor(actor)
    previous = PolicyDocument.objects.select_for_update().get(pk=previous.pk)
    if PolicyDocument.objects.filter(supersedes=previous).exists():
        raise ValidationError({"file": ["该文件已有新版本,请在最新版本上继续修订"]})
    document = add_document(actor=actor, supersedes=previous, **fields)
    previous.status = DocumentStatus.REVISED
    previous._history_user = actor  # type: ignore[attr-defined]
    previous._change_reason = f"由新版本 #{document.pk} 替代"  # type: ignore[attr-defined]
    previous.save(update_fields=["status"])
    return document


def load_seed() -> PolicyDocument | None:
    """The seed document, once: None when it is already in the library."""
    if PolicyDocument.objects.filter(title=SEED["title"], issuer=SEED["issuer"]).exists():
        return None
    upload = Upload(SEED_FILE.name, SEED_FILE.read_bytes())
    return add_document(actor=None, upload=upload, **SEED)  # type: ignore[arg-type]
