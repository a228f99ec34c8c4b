"""Indexes for the list pages' filters and orders (issue 12, load): a page of a list is read from an
index instead of sorting or counting every row of the reader's area."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0003_objection_client_hash'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['-opened_at', '-id'], name='case_list_order'),
        ),
    ]
