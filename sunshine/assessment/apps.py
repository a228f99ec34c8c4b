from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "sunshine.assessment"
    label = "assessment"
    verbose_name = "脱贫认定评估"
