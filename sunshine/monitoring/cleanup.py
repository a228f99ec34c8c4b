"""Removing monitoring data about divisions that are about to disappear (the demo generator replaces its
synthetic townships and villages with raw SQL, and warnings, monitored households and sample units refer to
them)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from sunshine.core.models import Division
from sunshine.monitoring.models import EarlyWarning, MonitoredHousehold, MonitoringRun, SampleDraw


def delete_monitoring_touching(divisions: QuerySet[Division]) -> None:
    """Delete the warnings (with measures and events), monitored households and sample draws about
    ``divisions``, and the monitoring runs and draws over them that nothing refers to any more."""
    with transaction.atomic():
        EarlyWarning.objects.filter(
            Q(division__in=divisions) | Q(household__village__in=divisions) | Q(monitored__division__in=divisions)
        ).delete()
        MonitoredHousehold.objects.filter(division__in=divisions).delete()
        for draw in SampleDraw.objects.filter(
            Q(division__in=divisions) | Q(units__household__village__in=divisions)
        ).distinct().order_by("-pk"):
            _delete_draw(draw)
        (MonitoringRun.objects.filter(division__in=divisions)
         .exclude(pk__in=EarlyWarning.objects.values("first_run"))
         .exclude(pk__in=EarlyWarning.objects.values("last_run")).delete())


def _delete_draw(draw: SampleDraw) -> None:
    """A continued panel refers to the draw it continues: the later draws go first."""
    for later in SampleDraw.objects.filter(panel=draw):
        _delete_draw(later)
    SampleDraw.objects.filter(pk=draw.pk).delete()
