from django.apps import AppConfig


class ComparisonConfig(AppConfig):
    name = "sunshine.comparison"
    label = "comparison"
    verbose_name = "部门数据比对"
