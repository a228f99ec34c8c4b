from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "sunshine.monitoring"
    label = "monitoring"
    verbose_name = "监测预警"
