from django.db import models
from django.utils.translation import gettext_lazy as _


class Section(models.TextChoices):
    """The cockpit's blocks, in display order; each indicator belongs to one."""

    REGISTRY = "registry", _("建档立卡")
    ASSESSMENT = "assessment", _("脱贫认定")
    COMPARISON = "comparison", _("数据比对")
    MONITORING = "monitoring", _("监测预警")
    WORKFLOW = "workflow", _("识别退出程序")
    FUNDS = "funds", _("资金项目")
    CREDIT = "credit", _("小额信贷")
    GRIEVANCE = "grievance", _("12317举报")
    ASSISTANCE = "assistance", _("帮扶责任")
