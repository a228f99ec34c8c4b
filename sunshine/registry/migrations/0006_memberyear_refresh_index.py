"""An index for the indicator refresh (issue 17, scale): a year's active and insured members per household are
counted from the index alone, in household order, instead of reading and sorting 2.5M member rows."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_list_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='memberyear',
            index=models.Index(fields=['year', 'member_status', 'household_year', 'medical_insured'],
                               name='memberyear_year_status_hy'),
        ),
    ]
