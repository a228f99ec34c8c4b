"""Choice sets of the 12317 grievances (services.md §4). Values are English identifiers, labels the Chinese
terms users see."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12317电话")
    WEB = "web", _("网站")
    LETTER = "letter", _("信件")
    VISIT = "visit", _("来访")
    REFERRED = "referred", _("上级转办")


class Category(models.TextChoices):
    FUNDS = "funds", _("资金使用")
    PROJECTS = "projects", _("项目实施")
    IDENTIFICATION = "identification", _("识别退出")
    ASSISTANCE = "assistance", _("帮扶工作")
    CONDUCT = "conduct", _("干部作风")
    OTHER = "other", _("其他")


class State(models.TextChoices):
    REGISTERED = "registered", _("登记")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    ASSIGNED = "assigned", _("转办")
    INVESTIGATING = "investigating", _("调查")
    CONCLUDED = "concluded", _("办结")
    FOLLOWED_UP = "followed_up", _("回访")
    ARCHIVED = "archived", _("归档")


class Outcome(models.TextChoices):
    TRUE = "true", _("属实")
    PARTLY_TRUE = "partly_true", _("部分属实")
    UNTRUE = "untrue", _("不属实")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# States in which the acceptance deadline runs, and those in which the conclusion deadline runs.
AWAITING_ACCEPTANCE = (State.REGISTERED,)
AWAITING_CONCLUSION = (State.ACCEPTED, State.ASSIGNED, State.INVESTIGATING)
OPEN_STATES = AWAITING_ACCEPTANCE + AWAITING_CONCLUSION
