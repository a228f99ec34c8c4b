"""Indexes for the list pages' filters and orders (issue 12, load): a page of a list is read from an
index instead of sorting or counting every row of the reader's area."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comparison', '0004_encrypt_personal_data'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(
                models.Case(models.When(severity='high', then=models.Value(0)),
                            models.When(severity='medium', then=models.Value(1)),
                            default=models.Value(2), output_field=models.IntegerField()),
                models.F('deadline'), models.F('id'), name='finding_list_order'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['status', 'deadline', 'id'], name='finding_status_deadline'),
        ),
    ]
