from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "sunshine.dashboard"
    verbose_name = _("统计分析")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sunshine.dashboard import signals

        signals.connect()  # the other apps' data_changed queues a refresh of their indicators
