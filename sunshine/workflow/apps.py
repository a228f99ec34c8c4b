from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "sunshine.workflow"
    label = "workflow"
    verbose_name = "识别退出程序"
