from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sunshine.core"
    label = "core"
    verbose_name = "基础"
