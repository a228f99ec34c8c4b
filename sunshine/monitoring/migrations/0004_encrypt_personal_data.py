"""Monitored households' head ID numbers and phones encrypted at rest (sunshine.core.crypto); one head per
year is now enforced on the keyed hash. Reversible."""

from django.db import migrations, models

from sunshine.core.encrypted_fields import EncryptedCharField, KeyedHashField, seal_columns


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0003_historicalsampleunit"),
    ]

    operations = [
        migrations.RemoveConstraint("monitoredhousehold", "one_monitored_head_per_year"),
        migrations.AddField("monitoredhousehold", "head_id_number_hash", KeyedHashField(source="head_id_number")),
        migrations.AddField("historicalmonitoredhousehold", "head_id_number_hash",
                            KeyedHashField(source="head_id_number")),
        *(migrations.AlterField(model, "head_id_number", EncryptedCharField(
            hash_field="head_id_number_hash", max_length=18, verbose_name="户主身份证号"))
          for model in ("monitoredhousehold", "historicalmonitoredhousehold")),
        *(migrations.AlterField(model, "phone", EncryptedCharField(blank=True, max_length=20, verbose_name="联系电话"))
          for model in ("monitoredhousehold", "historicalmonitoredhousehold")),
        seal_columns("monitoring", {
            model: {"head_id_number": "head_id_number_hash", "phone": None}
            for model in ("monitoredhousehold", "historicalmonitoredhousehold")
        }),
        migrations.AddConstraint("monitoredhousehold", models.UniqueConstraint(
            fields=["head_id_number_hash", "year"], condition=~models.Q(head_id_number_hash=""),
            name="one_monitored_head_per_year")),
    ]
