"""Indexes for the list pages' filters and orders (issue 12, load): a page of a list is read from an
index instead of sorting or counting every row of the reader's area."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_encrypt_personal_data'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='householdyear',
            index=models.Index(fields=['year', 'household', 'status'], name='householdyear_year_status'),
        ),
    ]
