"""Choice sets of assistance responsibility (services.md §5). Labels are the file values the importers accept."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CadreLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县")
    TOWNSHIP = "township", _("乡")
    VILLAGE = "village", _("村")


class CadreKind(models.TextChoices):
    RESPONSIBLE = "responsible", _("帮扶责任人")
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    TEAM_MEMBER = "team_member", _("驻村工作队员")


class TeamRole(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", _("第一书记")
    MEMBER = "member", _("队员")
