"""The household number on each household result, filled from the household for the runs stored before, and the
index a run's result list is read from in its order (result rank, 户编号) — issue 18: a province's run has 750,000
results, and joining them to the households and sorting on every page took seconds."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_household_numbers(apps, schema_editor):
    HouseholdAssessment = apps.get_model("assessment", "HouseholdAssessment")
    Household = apps.get_model("registry", "Household")
    number = Household.objects.filter(pk=OuterRef("household_id")).values("household_no")[:1]
    HouseholdAssessment.objects.update(household_no=Subquery(number))


class Migration(migrations.Migration):

    dependencies = [
        ('assessment', '0001_initial'),
        ('registry', '0005_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='householdassessment',
            name='household_no',
            field=models.CharField(blank=True, default='', max_length=30, verbose_name='户编号'),
        ),
        migrations.RunPython(fill_household_numbers, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='householdassessment',
            index=models.Index(models.F('run'), models.Case(models.When(result='fails', then=models.Value(0)), models.When(result='incomplete', then=models.Value(1)), default=models.Value(2), output_field=models.IntegerField()), models.F('household_no'), name='household_result_order'),
        ),
    ]
