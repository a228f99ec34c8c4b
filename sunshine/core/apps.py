from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sunshine.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from sunshine.core.audit import connect_signals

        connect_signals()  # sign-ins and sign-outs go to the access log
