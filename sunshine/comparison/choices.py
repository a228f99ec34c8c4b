"""Choice sets of the comparison app. Dataset names, rule codes and severities come from the engine's
catalogue (sunshine.engine.comparison), declared there once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.engine.assistance.catalogue import RULES as ASSISTANCE_RULES
from sunshine.engine.assistance.catalogue import SUBJECT_LABELS as ASSISTANCE_SUBJECT_LABELS
from sunshine.engine.comparison.catalogue import MATCH_LABELS, RULES, SEVERITY_LABELS
from sunshine.engine.comparison.datasets import DATASETS
from sunshine.engine.funds.catalogue import RULES as FUNDS_RULES
from sunshine.engine.funds.catalogue import SEVERITY_LABELS as FUNDS_SEVERITY_LABELS
from sunshine.engine.funds.catalogue import SUBJECT_LABELS

DATASET_CHOICES = [(name, d.label) for name, d in DATASETS.items()]
COMPARISON_RULE_CHOICES = [(code, f"{code} {r.title}") for code, r in RULES.items()]
FUNDS_RULE_CHOICES = [(code, f"{code} {r.title}") for code, r in FUNDS_RULES.items()]
ASSISTANCE_RULE_CHOICES = [(code, f"{code} {r.title}") for code, r in ASSISTANCE_RULES.items()]
# Funds findings (funds.md §3–4) and assistance findings (services.md §5) go through the same verification
# workflow as comparison findings.
RULE_CHOICES = COMPARISON_RULE_CHOICES + FUNDS_RULE_CHOICES + ASSISTANCE_RULE_CHOICES
SEVERITY_CHOICES = list(SEVERITY_LABELS.items()) + [
    (code, label) for code, label in FUNDS_SEVERITY_LABELS.items() if code not in SEVERITY_LABELS]
SUBJECT_CHOICES = list(SUBJECT_LABELS.items()) + list(ASSISTANCE_SUBJECT_LABELS.items())
MATCH_CHOICES = list(MATCH_LABELS.items())


class Engine(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SPARK = "spark", "Spark"


class RunKind(models.TextChoices):
    COMPARISON = "comparison", _("数据比对")
    FUNDS = "funds", _("资金项目核查")
    ASSISTANCE = "assistance", _("帮扶责任核查")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队")
    RUNNING = "running", _("进行中")
    DONE = "done", _("完成")
    FAILED = "failed", _("失败")


class FindingStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    CONFIRMED = "confirmed", _("核实属实")
    REJECTED = "rejected", _("核实不属实")
    RECTIFIED = "rectified", _("已整改")
