# The public comment form's rate limit is counted in the database, per sender (a salted hash of the address).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("funds", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="announcementcomment",
            name="client_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
    ]
