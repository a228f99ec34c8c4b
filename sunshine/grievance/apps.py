from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrievanceConfig(AppConfig):
    name = "sunshine.grievance"
    verbose_name = _("12317监督举报")
    default_auto_field = "django.db.models.BigAutoField"
