"""Choice sets of monitoring and early warning (policy-rules.md §5). Warning codes and their labels are the
engine's (sunshine.engine.monitoring.vocabulary); the lifecycle and the measures are declared here."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WarningCode(models.TextChoices):
    UNSTABLE = "M-UNSTABLE", "脱贫不稳定户"
    EDGE = "M-EDGE", "边缘易致贫户"
    SUDDEN = "M-SUDDEN", "突发严重困难户"
    SLIP = "M-SLIP", "三保障下滑"


class WarningStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    CONFIRMED = "confirmed", _("已核实(属实)")
    REJECTED = "rejected", _("已核实(不属实)")
    ASSISTING = "assisting", _("帮扶中")
    CLEARED = "cleared", _("风险消除")
    HANDED_OVER = "handed_over", _("转入识别程序")


OPEN_STATUSES = (WarningStatus.PENDING, WarningStatus.CONFIRMED, WarningStatus.ASSISTING)


class EscalationLevel(models.TextChoices):
    VILLAGE = "village", _("村级")
    TOWNSHIP = "township", _("乡镇")
    COUNTY = "county", _("县级")


class MeasureKind(models.TextChoices):
    INDUSTRY = "industry", "产业"
    EMPLOYMENT = "employment", "就业"
    HEALTH = "health", "健康"
    EDUCATION = "education", "教育"
    HOUSING = "housing", "住房"
    DIBAO = "dibao", "低保兜底"
    TEMPORARY_RELIEF = "temporary_relief", "临时救助"
    INSURANCE = "insurance", "保险"
    OTHER = "other", "其他"


class MonitoredSource(models.TextChoices):
    MANUAL = "manual", _("手工录入")
    IMPORT = "import", _("文件导入")
    COMPARISON = "comparison", _("数据比对发现")


class SampleKind(models.TextChoices):
    FIXED = "fixed", _("固定抽样")
    ADHOC = "adhoc", _("临时抽样")
