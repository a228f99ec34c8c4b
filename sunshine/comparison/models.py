"""Department dataset loads, comparison runs over a frozen snapshot, and the findings they raise with their
verification history.

A DatasetLoad is one validated file of one dataset, kept as Parquet under DATA_DIR/datasets/ and never
changed: versions count up per dataset. A ComparisonRun names the loads it used and the registry snapshot it
extracted, so re-running it gives the same findings. A Finding belongs to the division that owns the household
(or, outside the registry, the county of the ID); when a later run raises the same finding again
(same fingerprint) it is linked through FindingOccurrence, not duplicated."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sunshine.comparison.choices import (
    DATASET_CHOICES,
    MATCH_CHOICES,
    RULE_CHOICES,
    SEVERITY_CHOICES,
    SUBJECT_CHOICES,
    Engine,
    FindingStatus,
    JobStatus,
    RunKind,
)
from sunshine.core.encrypted_fields import EncryptedCharField, EncryptedJSONField, KeyedHashField
from sunshine.core.jobs import JobProcess, UploadJob
from sunshine.core.models import Division
from sunshine.policy.models import PolicyStandard
from sunshine.registry.models import Household, Person


class DatasetLoad(models.Model):
    dataset = models.CharField(_("数据集"), max_length=32, choices=DATASET_CHOICES)
    version = models.PositiveIntegerField(_("版本"))
    as_of = models.DateField(_("数据截止日期"), null=True, blank=True)
    hashed = models.BooleanField(_("身份证号为哈希值"), default=False)
    file_name = models.CharField(_("原始文件"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500)  # the Parquet file, relative to DATA_DIR
    rows = models.PositiveIntegerField(_("行数"), default=0)
    invalid_ids = models.PositiveIntegerField(_("身份证号缺失或无效行数"), default=0)
    rejected_rows = models.PositiveIntegerField(_("未导入的错误行数"), default=0)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("导入人"))
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("部门数据批次")
        verbose_name_plural = _("部门数据批次")
        ordering = ["dataset", "-version"]
        constraints = [models.UniqueConstraint(fields=["dataset", "version"], name="one_version_per_dataset")]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} v{self.version}"


class DatasetUpload(UploadJob):
    """A dataset file uploaded from the page, loaded by the background worker."""

    dataset = models.CharField(_("数据集"), max_length=32, choices=DATASET_CHOICES)
    as_of = models.DateField(_("数据截止日期"), null=True, blank=True)
    partial = models.BooleanField(_("只导入无错误的行"), default=False)
    file_name = models.CharField(_("文件"), max_length=255)
    path = models.CharField(max_length=500)
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    load = models.ForeignKey(DatasetLoad, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("导入人"))

    class Meta:
        verbose_name = _("部门数据上传")
        verbose_name_plural = _("部门数据上传")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_dataset_display()} {self.file_name} ({self.get_status_display()})"


class ComparisonRun(JobProcess):
    """A run of a rule catalogue over a frozen snapshot: the comparison (C-*) or the funds check (F-*, P-*).
    Both raise Findings into the one verification workflow."""

    kind = models.CharField(_("核查类型"), max_length=12, choices=RunKind.choices, default=RunKind.COMPARISON,
                            db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="comparison_runs",
                                 verbose_name=_("比对范围"))
    rules = models.JSONField(_("比对规则"), default=list)
    engine = models.CharField(_("计算引擎"), max_length=10, choices=Engine.choices, default=Engine.DUCKDB)
    loads = models.ManyToManyField(DatasetLoad, related_name="runs", verbose_name=_("所用部门数据"))
    standard = models.ForeignKey(PolicyStandard, null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("政策标准"))
    standard_version = models.CharField(_("政策标准版本"), max_length=60, blank=True)
    parameters = models.JSONField(_("所用参数"), default=dict)
    # Probabilistic links below this probability are not used (settings.SUNSHINE_MATCH_PROBABILITY by default).
    min_probability = models.FloatField(_("概率匹配阈值"), null=True, blank=True)
    snapshot_path = models.CharField(max_length=500, blank=True)  # the frozen registry snapshot, under DATA_DIR
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # An incremental run (sunshine.comparison.runs.incremental): the earlier run it recomputed from.
    base_run = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("增量比对基准批次"))
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    stage = models.CharField(_("当前步骤"), max_length=100, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(_("说明"), blank=True)
    counts = models.JSONField(_("结果统计"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("执行人"))
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    seconds = models.FloatField(_("用时(秒)"), default=0)

    class Meta:
        verbose_name = _("比对批次")
        verbose_name_plural = _("比对批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year}年度数据比对 #{self.pk}"


# The most severe findings first (高, 中, then risk signals): the list's first sort key, and an index
# (Finding.Meta) so that a page of the list never sorts every finding of the area.
SEVERITY_RANK = models.Case(models.When(severity__in=("high", "warning"), then=models.Value(0)),
                            models.When(severity__in=("medium", "risk"), then=models.Value(1)),
                            default=models.Value(2), output_field=models.IntegerField())


class Finding(models.Model):
    rule = models.CharField(_("规则"), max_length=24, choices=RULE_CHOICES)
    severity = models.CharField(_("严重程度"), max_length=10, choices=SEVERITY_CHOICES)
    year = models.PositiveSmallIntegerField(_("年度"))
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="findings", verbose_name=_("农户"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="findings",
                               verbose_name=_("人员"))
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="findings",
                                 verbose_name=_("责任单位"))
    id_number = EncryptedCharField(_("身份证号"), max_length=18, blank=True, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number")  # keyed hash of id_number (crypto); indexed in Meta
    id_hash = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    dataset = models.CharField(_("部门数据"), max_length=32, choices=DATASET_CHOICES, blank=True)
    # The department rows, as stored; encrypted, since they hold ID numbers and phones.
    evidence = EncryptedJSONField(_("比对依据"), default=list, blank=True)
    match = models.CharField(_("匹配方式"), max_length=16, choices=MATCH_CHOICES, blank=True)
    probability = models.FloatField(_("匹配概率"), null=True, blank=True)
    # Funds findings (funds.md §7): what the finding is about (fund · project · payment · loan), its key and
    # the idle, gap, excess or paid amount. Empty for comparison findings.
    subject = models.CharField(_("核查对象"), max_length=10, choices=SUBJECT_CHOICES, blank=True)
    key = models.CharField(_("编号"), max_length=400, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2, null=True, blank=True)
    explanation = models.TextField(_("说明"))
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(_("状态"), max_length=12, choices=FindingStatus.choices,
                              default=FindingStatus.PENDING)
    deadline = models.DateField(_("核实期限"))
    first_run = models.ForeignKey(ComparisonRun, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("首次发现批次"))
    last_run = models.ForeignKey(ComparisonRun, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("最近发现批次"))
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="later",
                                 verbose_name=_("此前同一问题"))
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("比对发现")
        verbose_name_plural = _("比对发现")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["division", "status"]), models.Index(fields=["year", "rule"]),
                   # The list's order (selectors.findings) and the to-do's: a page is read from the index.
                   models.Index(SEVERITY_RANK, "deadline", "id", name="finding_list_order"),
                   models.Index(fields=["status", "deadline", "id"], name="finding_status_deadline"),
                   # Plain indexes: db_index on a CharField adds a second, LIKE-prefix index on PostgreSQL, which
                   # nothing searches these columns by; status alone is finding_status_deadline's first column.
                   # A province's run writes 150,000 findings: each index is maintained for every one of them.
                   models.Index(fields=["rule"], name="finding_rule"),
                   models.Index(fields=["fingerprint"], name="finding_fingerprint"),
                   models.Index(fields=["id_number_hash"], name="finding_id_number_hash")]

    def __str__(self) -> str:
        return f"{self.rule} {self.name}"


class FindingOccurrence(models.Model):
    """A finding raised (again) by a run."""

    run = models.ForeignKey(ComparisonRun, on_delete=models.CASCADE, related_name="occurrences")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="occurrences")
    recurring = models.BooleanField(_("此前已发现"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "finding"], name="one_occurrence_per_run")]

    def __str__(self) -> str:
        return f"#{self.finding_id} @ {self.run_id}"


class FindingEvent(models.Model):
    """One step in a finding's history: raised, raised again, verified, rectified."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("操作人"))
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(max_length=12, choices=FindingStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=FindingStatus.choices, blank=True)
    note = models.TextField(_("说明"), blank=True)
    attachment = models.FileField(_("附件"), upload_to="findings/%Y/%m/", blank=True)
    run = models.ForeignKey(ComparisonRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} #{self.finding_id}"
