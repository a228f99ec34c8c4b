"""Warning signatures over ID hashes (issue 12): the signatures stored so far were sha256 over texts holding plain
ID numbers, which anyone with the database could reverse by trying every ID of a region. They cannot be
recomputed over the hashes (the texts were never stored), so the ones that may hold an ID — warnings with
M-SUDDEN (the members' IDs) and warnings of a monitored household whose head has an ID — become ``legacy:<pk>``.
The next run recognises such a warning by subject, codes and explanation and gives it its new signature
(sunshine.monitoring.runs.store.recognise_legacy). Warnings of registered households without M-SUDDEN are signed
on no ID and keep their signature. Not reversible: the old signatures are gone (going back leaves the markers,
which the old code sees as warnings never raised again)."""

from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

LEGACY = "legacy:"  # sunshine.monitoring.runs.store.LEGACY
BATCH = 1000


def mark_legacy(apps, schema_editor):
    EarlyWarning = apps.get_model("monitoring", "EarlyWarning")
    MonitoredHousehold = apps.get_model("monitoring", "MonitoredHousehold")
    with_id = set(MonitoredHousehold.objects.exclude(head_id_number_hash="").values_list("pk", flat=True))
    marked = [pk for pk, codes, monitored_id in (EarlyWarning.objects.exclude(signature__startswith=LEGACY)
                                                 .order_by("pk").values_list("pk", "codes", "monitored_id").iterator())
              if "M-SUDDEN" in (codes or []) or monitored_id in with_id]
    for i in range(0, len(marked), BATCH):
        EarlyWarning.objects.filter(pk__in=marked[i:i + BATCH]).update(
            signature=Concat(Value(LEGACY), Cast("id", CharField()), output_field=CharField()))


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0005_list_indexes"),
    ]

    operations = [
        migrations.RunPython(mark_legacy, migrations.RunPython.noop, elidable=True),
    ]
