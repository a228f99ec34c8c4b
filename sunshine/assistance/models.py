"""Assistance responsibility (帮扶责任落实, services.md §5): cadres, their pairings with households, the
village work teams and the visits (with photos taken on the phone).

Measures (帮扶措施) are not here: they are sunshine.monitoring.models.Measure, one model shared with
monitoring. A cadre's ID number and phone are stored encrypted like a village cadre's and a household's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sunshine.assistance.choices import CadreKind, CadreLevel, TeamRole
from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField
from sunshine.core.models import Division, TimeStampedModel
from sunshine.registry.models import Household

COORDINATE = {"max_digits": 9, "decimal_places": 6, "null": True, "blank": True}


class Cadre(TimeStampedModel):
    """帮扶干部. `division` manages the cadre and gives the scope: the county of the sending unit, or the
    village for a village-level cadre."""

    cadre_no = models.CharField(_("干部编号"), max_length=40, unique=True)
    name = models.CharField(_("姓名"), max_length=100)
    id_number = EncryptedCharField(_("身份证号"), max_length=18, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number", db_index=True)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    unit = models.CharField(_("派出单位"), max_length=200, blank=True)
    level = models.CharField(_("层级"), max_length=12, choices=CadreLevel.choices)
    kind = models.CharField(_("类型"), max_length=20, choices=CadreKind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("管理单位区划"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cadre", verbose_name=_("登录账号"))

    class Meta:
        verbose_name = _("帮扶干部")
        verbose_name_plural = _("帮扶干部")
        ordering = ["cadre_no"]

    def __str__(self) -> str:
        return f"{self.name}({self.cadre_no})"


class Pairing(TimeStampedModel):
    """结对: a cadre answers for a household from start_date to end_date (inclusive; empty = open)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="pairings", verbose_name=_("帮扶干部"))
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="pairings",
                                  verbose_name=_("农户"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        ordering = ["household", "-start_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cadre", "household", "start_date"], name="one_pairing_start"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="pairing_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.household}"


class WorkTeam(TimeStampedModel):
    """驻村工作队: one cadre's membership of a village's work team, from start_date to end_date."""

    village = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="teams", verbose_name=_("帮扶干部"))
    role = models.CharField(_("职务"), max_length=20, choices=TeamRole.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("驻村工作队员")
        verbose_name_plural = _("驻村工作队")
        ordering = ["village", "role", "start_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "cadre", "start_date"], name="one_team_term"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="team_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.cadre} {self.get_role_display()}"


class Visit(models.Model):
    """走访. `client_uuid` is the phone's id of a visit typed offline, so a resend is not a duplicate."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="visits", verbose_name=_("帮扶干部"))
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits",
                                  verbose_name=_("农户"))
    date = models.DateField(_("走访日期"), db_index=True)
    notes = models.TextField(_("走访情况"), blank=True)
    measures = models.TextField(_("商定措施"), blank=True)
    latitude = models.DecimalField(_("纬度"), **COORDINATE)
    longitude = models.DecimalField(_("经度"), **COORDINATE)
    client_uuid = models.UUIDField(_("客户端编号"), unique=True, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["household", "date"], name="visit_household_date")]

    def __str__(self) -> str:
        return f"{self.household} {self.date}"


class VisitPhoto(models.Model):
    """A photo of a visit, stored under the data dir (MEDIA_ROOT) like other attachments."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("走访"))
    image = models.FileField(_("照片"), upload_to="visits/%Y/%m/")
    width = models.PositiveIntegerField(_("宽"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高"), null=True, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), **COORDINATE)
    longitude = models.DecimalField(_("经度"), **COORDINATE)

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return self.image.name
