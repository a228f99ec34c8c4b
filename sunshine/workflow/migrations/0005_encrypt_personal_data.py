"""Cases' applicant, payload and registry changes (documents with ID numbers and phones) and objections'
contact encrypted at rest (sunshine.core.crypto). Reversible."""

from django.db import migrations

from sunshine.core.encrypted_fields import EncryptedCharField, EncryptedJSONField, seal_columns


class Migration(migrations.Migration):

    dependencies = [
        ("workflow", "0004_list_indexes"),
    ]

    operations = [
        migrations.AlterField("case", "applicant", EncryptedJSONField(blank=True, default=dict,
                                                                      verbose_name="申请人信息")),
        migrations.AlterField("case", "payload", EncryptedJSONField(blank=True, default=dict, verbose_name="申请内容")),
        migrations.AlterField("case", "registry_changes", EncryptedJSONField(blank=True, default=list,
                                                                             verbose_name="对建档立卡的变更")),
        migrations.AlterField("objection", "contact", EncryptedCharField(blank=True, max_length=50,
                                                                         verbose_name="联系方式")),
        seal_columns("workflow", {
            "case": {"applicant": None, "payload": None, "registry_changes": None},
            "objection": {"contact": None},
        }),
    ]
