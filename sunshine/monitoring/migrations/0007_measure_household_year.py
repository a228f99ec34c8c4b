"""Measures get their own household and year (services.md §5: 帮扶措施 household, year, kind, …), so that a
measure agreed on a cadre's visit needs no warning; existing measures take both from their warning."""

import django.db.models.deletion
from django.db import migrations, models


def from_warnings(apps, schema_editor):
    Measure = apps.get_model("monitoring", "Measure")
    for measure in Measure.objects.select_related("warning").iterator():
        measure.household_id = measure.warning.household_id
        measure.year = measure.warning.year
        measure.save(update_fields=["household", "year"])


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0006_hashed_signatures"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="measure", name="warning",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="measures", to="monitoring.earlywarning")),
        migrations.AddField(
            model_name="measure", name="household",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="measures", to="registry.household", verbose_name="农户")),
        migrations.AddField(model_name="measure", name="year",
                            field=models.PositiveSmallIntegerField(null=True, verbose_name="年度")),
        migrations.RunPython(from_warnings, migrations.RunPython.noop),
        migrations.AlterField(model_name="measure", name="year",
                              field=models.PositiveSmallIntegerField(verbose_name="年度")),
        migrations.AddIndex(model_name="measure",
                            index=models.Index(fields=["household", "year"], name="measure_household_year")),
    ]
