"""Removing what an earlier `sunshine demo` left in a county, so that a re-run starts clean.

The generator (``generate_region(replace=True)``) deletes the synthetic divisions and registry rows and what
refers to them; but the demo also made county-wide things that refer to no synthetic row: monitoring runs and
warnings about people outside the registry, comparison runs over the county with their directories, the demo's
department dataset versions (rows and Parquet files), assessment runs, cases, objections and sample draws.
Everything here is scoped to the county's division prefix, except dataset versions, which have no division:
only those the demo stored (``DEMO_NOTE``) and that no remaining run uses go.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q

from sunshine.assessment.models import AssessmentRun
from sunshine.assessment.services import delete_runs_touching as delete_assessments_touching
from sunshine.comparison.datasets import storage
from sunshine.comparison.models import DatasetLoad
from sunshine.comparison.runs.services import delete_runs_touching as delete_comparisons_touching
from sunshine.core.models import Division
from sunshine.demo.funds import clear_demo_funds
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold, MonitoringRun, SampleDraw
from sunshine.workflow.models import AnnualAdjustment, Case

logger = logging.getLogger(__name__)

DEMO_NOTE = "合成演示数据"  # the note of every dataset version the demo stores


def _delete_draw(draw: SampleDraw) -> None:
    """A continued panel refers to the draw it continues: the later draws go first."""
    for later in SampleDraw.objects.filter(panel=draw):
        _delete_draw(later)
    SampleDraw.objects.filter(pk=draw.pk).delete()


def clear_previous_demo(county6: str) -> dict[str, int]:
    """Delete the county's cases, sample draws, warnings, monitored households, monitoring, comparison and
    assessment runs, and the demo's dataset versions; returns how many of each were deleted."""
    region = Division.objects.filter(code__startswith=county6)
    counts: dict[str, int] = {}
    # The funds trail first: its payments and project beneficiaries hold registry households (PROTECT).
    counts["payments"] = clear_demo_funds(county6)
    # Cadres and work teams hold the synthetic divisions (PROTECT), visits the households.
    from sunshine.demo.assistance import clear_demo_assistance

    clear_demo_assistance(county6)
    with transaction.atomic():
        # Cases first: they hold households and monitored households (PROTECT); steps and objections cascade.
        counts["cases"] = Case.objects.filter(division__in=region).delete()[1].get(Case._meta.label, 0)
        counts["adjustments"] = AnnualAdjustment.objects.filter(county__in=region).delete()[0]
        draws = SampleDraw.objects.filter(Q(division__in=region) | Q(units__household__village__in=region))
        draw_ids = list(draws.distinct().order_by("-pk").values_list("pk", flat=True))
        for draw in SampleDraw.objects.filter(pk__in=draw_ids).order_by("-pk"):
            _delete_draw(draw)
        counts["sample_draws"] = len(draw_ids)
        warnings = EarlyWarning.objects.filter(Q(division__in=region) | Q(household__village__in=region)
                                               | Q(monitored__division__in=region))
        counts["warnings"] = warnings.delete()[1].get(EarlyWarning._meta.label, 0)
        MonitoredHousehold.objects.filter(division__in=region).delete()
        counts["monitoring_runs"] = (MonitoringRun.objects.filter(division__in=region)
                                     .exclude(pk__in=EarlyWarning.objects.values("first_run"))
                                     .exclude(pk__in=EarlyWarning.objects.values("last_run")).delete()[0])
        before = AssessmentRun.objects.count()
        delete_assessments_touching(region)  # returns every row deleted, results included: count the runs
        counts["assessment_runs"] = before - AssessmentRun.objects.count()
    counts["comparison_runs"] = delete_comparisons_touching(region)  # its own transaction, and the directories
    counts["dataset_versions"] = _delete_demo_loads()
    return counts


def _delete_demo_loads() -> int:
    loads = list(DatasetLoad.objects.filter(note=DEMO_NOTE, runs__isnull=True))
    DatasetLoad.objects.filter(pk__in=[load.pk for load in loads]).delete()
    for load in loads:  # after the rows: a file without its row is harmless, a row without its file is not
        try:
            storage.load_path(load).unlink(missing_ok=True)
        except OSError as exc:  # the row is gone; a stale file only takes space
            logger.info("演示部门数据文件 %s 未能删除: %s", load.path, exc)
    return len(loads)
