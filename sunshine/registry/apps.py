from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "sunshine.registry"
    label = "registry"
    verbose_name = "建档立卡"
