"""Choice sets of the entry, exit and change procedure (seed §一(三), §八(一), §八(四))."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseType(models.TextChoices):
    ENTRY = "entry", "纳入"
    EXIT = "exit", "标注脱贫"
    RETURN = "return", "返贫"
    CHANGE = "change", "自然变更"
    CLOSURE = "closure", "销户"


class CaseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("办理中")
    ON_HOLD = "on_hold", _("异议待处理")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_CASE_STATUSES = (CaseStatus.IN_PROGRESS, CaseStatus.ON_HOLD)


class Step(models.TextChoices):
    """The steps a procedure may have; which ones, in which order, is configured per case type in the policy
    standard. The role that signs each step is in sunshine.workflow.steps."""

    HOUSEHOLD = "household", "农户申请/确认"
    CADRE = "cadre", "帮扶责任人确认"
    APPRAISAL = "appraisal", "村民主评议"
    VILLAGE_COMMITTEE = "village_committee", "村两委确认"
    VILLAGE_NOTICE = "village_notice", "村级公示"
    TOWNSHIP_REVIEW = "township_review", "乡镇审核"
    COUNTY_APPROVAL = "county_approval", "县级审定"
    ANNOUNCEMENT = "announcement", "公告"


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("退回")
    REFUSE = "refuse", _("不予批准")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class ChangeKind(models.TextChoices):
    BIRTH = "birth", "出生"
    DEATH = "death", "死亡"
    MARRIAGE_IN = "marriage_in", "婚入"
    MARRIAGE_OUT = "marriage_out", "婚出"
    MOVE_OUT = "move_out", "迁出"
