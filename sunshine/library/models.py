"""The policy library (政策文件库): documents, their versions and the full-text index.

The index itself is not a model: it is a table of the database's own full-text engine (an FTS5 table on SQLite,
a tsvector table with a GIN index on PostgreSQL, created by migration 0002 and kept in step by
sunshine.library.services through sunshine.library.search)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sunshine.library.choices import DocumentStatus, Level, SourceFormat


class PolicyDocument(models.Model):
    title = models.CharField(_("标题"), max_length=300)
    issuer = models.CharField(_("发文机关"), max_length=200, blank=True)
    document_no = models.CharField(_("文号"), max_length=100, blank=True)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices, default=Level.PROVINCIAL)
    issued = models.DateField(_("发布日期"), null=True, blank=True)
    effective = models.DateField(_("施行日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.VALID)
    tags = models.CharField(_("标签"), max_length=200, blank=True, help_text=_("多个标签用逗号或空格分隔"))
    body = models.TextField(_("全文"))
    source_name = models.CharField(_("来源文件名"), max_length=200, blank=True)
    source_format = models.CharField(_("来源格式"), max_length=8, choices=SourceFormat.choices,
                                     default=SourceFormat.TEXT)
    # The uploaded original, under MEDIA_ROOT (the data dir); served by the library's views, never directly.
    attachment = models.FileField(_("原始文件"), upload_to="library/%Y/", blank=True)
    # The version this one replaces (that one is then 已修订); the reverse is `replaced_by`.
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="replaced_by", verbose_name=_("替代的旧版本"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["body"], verbose_name=_("政策文件变更历史"))

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-issued", "-id"]
        indexes = [models.Index(fields=["-issued", "-id"], name="library_doc_issued")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.replace(",", " ").replace(",", " ").split() if t]


class TSVectorField(models.Field):
    """PostgreSQL's tsvector (the segmented title and body, weighted); plain text elsewhere, where it stays unused:
    SQLite keeps its index in an FTS5 table instead (migration 0002)."""

    description = "tsvector"

    def db_type(self, connection) -> str:  # noqa: ANN001 - a database connection
        return "tsvector" if connection.vendor == "postgresql" else "text"


class PolicySearchVector(models.Model):
    """The PostgreSQL index row of a document: its weighted tsvector (GIN index, migration 0002) and its length in
    tokens (precomputed: the ranking divides by it). Written only by sunshine.library.search."""

    document = models.OneToOneField(PolicyDocument, primary_key=True, on_delete=models.CASCADE,
                                    related_name="+")
    vector = TSVectorField(null=True)
    length = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("全文索引")
        verbose_name_plural = _("全文索引")

    def __str__(self) -> str:
        return f"index of {self.document_id}"
