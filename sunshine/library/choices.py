"""Choice sets of the policy library (services.md §3): the issuing level and the document's status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NATIONAL = "national", _("国家")
    PROVINCIAL = "provincial", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县")


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REPEALED = "repealed", _("已废止")
    REVISED = "revised", _("已修订")


class SourceFormat(models.TextChoices):
    TEXT = "text", _("录入文本")
    TXT = "txt", _("TXT")
    DOCX = "docx", _("Word (DOCX)")
    HTML = "html", _("HTML")
    PDF = "pdf", _("PDF")


def level_from_label(value: str) -> str | None:
    """国家/省/市/县 (or the English value) → the stored value; None when neither."""
    value = value.strip()
    for choice in Level:
        if value in (choice.value, str(choice.label)):
            return choice.value
    return None
