from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "sunshine.funds"
    verbose_name = _("资金项目")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sunshine.funds import signals

        signals.connect()
