from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "sunshine.policy"
    label = "policy"
    verbose_name = "政策标准"
