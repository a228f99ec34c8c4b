"""Choice sets of the assessment app and who may run assessments."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import Role


class Kind(models.TextChoices):
    HOUSEHOLDS = "households", _("农户")
    VILLAGES = "villages", _("村")
    COUNTIES = "counties", _("重点帮扶县(区)")


class Result(models.TextChoices):
    """Labels are the words files carry (data-dictionary.md), so they are literal."""

    MEETS = "meets", "达标"
    FAILS = "fails", "未达标"
    INCOMPLETE = "incomplete", "缺数据"


class CriterionState(models.TextChoices):
    PASS = "pass", "达标"
    FAIL = "fail", "未达标"
    MISSING = "missing", "缺数据"


# Criterion code → Chinese name, in explanation order (policy-rules.md §1–§3).
HOUSEHOLD_CRITERIA = {
    "H-INC": "收入", "H-FOOD": "不愁吃穿", "H-WATER": "饮水安全", "H-EDU": "义务教育有保障",
    "H-MED": "基本医疗有保障", "H-HOUSE": "住房安全有保障",
}
VILLAGE_CRITERIA = {"V-INC": "村集体经济收入", "V-ROAD": "通双车道四级公路", "V-CLINIC": "村卫生室达标"}
COUNTY_CRITERIA = {"K-HH": "建档立卡户达标占比", "K-VIL": "经济薄弱村达标占比"}

# Official runs are decisions a county (or the province) stands behind; what-if runs change nothing and
# are open to every role.
ROLES_THAT_RUN_OFFICIAL = frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.ADMIN})
