from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "sunshine.library"
    verbose_name = _("政策文件库")
    default_auto_field = "django.db.models.BigAutoField"
