"""Benefits statements (明白册): the query code each household's statement of a year carries.

A code is made on the first print or view and stays; staff with the right role may re-issue it: the old row is
kept with revoked_at/revoked_by (the audit record of the re-issue) and stops working, a new row is the current
one. At most one current code per household and year (a partial unique constraint)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sunshine.registry.models import Household


class QueryCode(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="statement_codes",
                                  verbose_name=_("农户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    code = models.CharField(_("查询码"), max_length=8, unique=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("生成人"))
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("作废人"))

    class Meta:
        verbose_name = _("明白册查询码")
        verbose_name_plural = _("明白册查询码")
        ordering = ["household", "year", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["household", "year"], condition=Q(revoked_at__isnull=True),
                                               name="one_current_code_per_household_year")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"
