"""Choice sets of the funds app. Codes and Chinese labels are declared once in the engine
(sunshine.engine.funds.tables, .params, .catalogue); these lists turn them into Django choices."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.engine.funds.catalogue import SUBJECT_LABELS
from sunshine.engine.funds.params import DEFAULT_ITEMS
from sunshine.engine.funds.tables import (
    ANNOUNCEMENT_KINDS,
    ASSET_KINDS,
    ASSET_STATUSES,
    CADRE_POSITIONS,
    CATEGORIES,
    DIVIDEND_METHODS,
    FUND_SOURCES,
    GUARANTEES,
    PROJECT_STATUSES,
    labels,
)

CATEGORY_CHOICES = list(labels(CATEGORIES).items())
FUND_SOURCE_CHOICES = list(labels(FUND_SOURCES).items())
CADRE_POSITION_CHOICES = list(labels(CADRE_POSITIONS).items())
ANNOUNCEMENT_KIND_CHOICES = list(labels(ANNOUNCEMENT_KINDS).items())
ITEM_CHOICES = [(item.code, item.label) for item in DEFAULT_ITEMS]
SUBJECT_CHOICES = list(SUBJECT_LABELS.items())


class ProjectStatus(models.TextChoices):
    """The lifecycle of funds.md §4: 申报 → 论证 → 入库 → 批复 → 实施 → 完工 → 验收, and 出库 with a reason."""

    PROPOSED = "proposed", _("申报")
    VETTED = "vetted", _("论证")
    IN_LIBRARY = "in_library", _("入库")
    APPROVED = "approved", _("批复")
    IMPLEMENTING = "implementing", _("实施")
    COMPLETED = "completed", _("完工")
    ACCEPTED = "accepted", _("验收")
    REMOVED = "removed", _("出库")


assert {s.value for s in ProjectStatus} == set(PROJECT_STATUSES.values())  # noqa: S101 - one list, two places


class PerformanceResult(models.TextChoices):
    """绩效评价 recorded at acceptance."""

    MET = "met", _("全部达到")
    PARTLY = "partly", _("部分达到")
    NOT_MET = "not_met", _("未达到")


class CommentKind(models.TextChoices):
    COMMENT = "comment", _("意见建议")
    OBJECTION = "objection", _("异议")


# Micro-credit and asset income (funds.md §1, §5, §6).
GUARANTEE_CHOICES = list(labels(GUARANTEES).items())
ASSET_KIND_CHOICES = list(labels(ASSET_KINDS).items())
DIVIDEND_METHOD_CHOICES = list(labels(DIVIDEND_METHODS).items())
ASSET_STATUS_CHOICES = list(labels(ASSET_STATUSES).items())


class LoanAction(models.TextChoices):
    """What happens to a loan after it is made, each recorded with who and when."""

    EXTENSION = "extension", _("展期")
    RENEWAL = "renewal", _("续贷")


class AssetEventKind(models.TextChoices):
    DISPOSAL = "disposal", _("处置")
    SCRAPPING = "scrapping", _("报废")
