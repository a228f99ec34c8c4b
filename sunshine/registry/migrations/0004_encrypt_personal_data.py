"""ID numbers and phones encrypted at rest, with a keyed hash next to each ID number (sunshine.core.crypto).

Hash columns are added empty, the values are encrypted in batches (and hashed), then the hashes take over the
uniqueness and the index the plain columns had. Reversible: going back decrypts."""

from django.db import migrations

import sunshine.core.encrypted_fields
from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_job_pid"),
    ]

    operations = [
        migrations.AddField("person", "id_number_hash", KeyedHashField(source="id_number")),
        migrations.AddField("historicalperson", "id_number_hash", KeyedHashField(source="id_number")),
        migrations.AddField("householdyear", "head_id_number_hash", KeyedHashField(source="head_id_number")),
        migrations.AddField("historicalhouseholdyear", "head_id_number_hash",
                            KeyedHashField(source="head_id_number")),
        migrations.AlterField("person", "id_number", EncryptedCharField(
            hash_field="id_number_hash", max_length=18, verbose_name="身份证号")),
        migrations.AlterField("historicalperson", "id_number", EncryptedCharField(
            hash_field="id_number_hash", max_length=18, verbose_name="身份证号")),
        migrations.AlterField("householdyear", "head_id_number", EncryptedCharField(
            hash_field="head_id_number_hash", max_length=18, verbose_name="户主身份证号")),
        migrations.AlterField("historicalhouseholdyear", "head_id_number", EncryptedCharField(
            hash_field="head_id_number_hash", max_length=18, verbose_name="户主身份证号")),
        migrations.AlterField("householdyear", "phone", EncryptedCharField(
            blank=True, max_length=20, verbose_name="联系电话")),
        migrations.AlterField("historicalhouseholdyear", "phone", EncryptedCharField(
            blank=True, max_length=20, verbose_name="联系电话")),
        sunshine.core.encrypted_fields.seal_columns("registry", {
            "person": {"id_number": "id_number_hash"},
            "historicalperson": {"id_number": "id_number_hash"},
            "householdyear": {"head_id_number": "head_id_number_hash", "phone": None},
            "historicalhouseholdyear": {"head_id_number": "head_id_number_hash", "phone": None},
        }),
        migrations.AlterField("person", "id_number_hash", KeyedHashField(source="id_number", unique=True)),
        migrations.AlterField("historicalperson", "id_number_hash", KeyedHashField(source="id_number", db_index=True)),
        migrations.AlterField("householdyear", "head_id_number_hash",
                              KeyedHashField(source="head_id_number", db_index=True)),
        migrations.AlterField("historicalhouseholdyear", "head_id_number_hash",
                              KeyedHashField(source="head_id_number", db_index=True)),
    ]
