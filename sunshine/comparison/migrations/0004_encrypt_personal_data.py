"""Findings' ID numbers encrypted at rest, with their keyed hash, and their evidence (the department rows)
encrypted as one document (sunshine.core.crypto). Reversible."""

from django.db import migrations

from sunshine.core.encrypted_fields import EncryptedCharField, EncryptedJSONField, KeyedHashField, seal_columns


class Migration(migrations.Migration):

    dependencies = [
        ("comparison", "0003_job_pid"),
    ]

    operations = [
        migrations.AddField("finding", "id_number_hash", KeyedHashField(source="id_number")),
        migrations.AlterField("finding", "id_number", EncryptedCharField(
            blank=True, hash_field="id_number_hash", max_length=18, verbose_name="身份证号")),
        migrations.AlterField("finding", "evidence", EncryptedJSONField(
            blank=True, default=list, verbose_name="比对依据")),
        seal_columns("comparison", {"finding": {"id_number": "id_number_hash", "evidence": None}}),
        migrations.AlterField("finding", "id_number_hash", KeyedHashField(source="id_number", db_index=True)),
    ]
