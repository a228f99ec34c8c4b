from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "sunshine.assistance"
    verbose_name = _("帮扶责任")
    default_auto_field = "django.db.models.BigAutoField"
