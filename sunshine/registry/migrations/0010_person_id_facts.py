"""Person.id_facts: the facts of each person's ID number that C-ID checks, filled for the rows already there (their
IDs decrypted in memory, a batch at a time). Rows it misses read as "not derived", and a snapshot then decrypts
just those; history rows keep "" (no snapshot reads them)."""

from typing import Any

from django.db import migrations

import sunshine.core.encrypted_fields

BATCH = 5_000


def fill(apps: Any, schema_editor: Any) -> None:
    from sunshine.core.crypto import decrypt_many
    from sunshine.core.encrypted_fields import fact_codes

    connection = schema_editor.connection
    table = connection.ops.quote_name(apps.get_model("registry", "Person")._meta.db_table)
    last = 0
    with connection.cursor() as cur:
        while True:
            cur.execute(f"SELECT id, id_number FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                        [last, BATCH])
            rows = cur.fetchall()
            if not rows:
                return
            codes = fact_codes(decrypt_many([r[1] for r in rows]))
            if connection.vendor == "postgresql":   # one statement a batch: 2.5 M single updates take minutes
                values = ", ".join(["(%s, %s)"] * len(rows))
                cur.execute(f"UPDATE {table} SET id_facts = v.code FROM (VALUES {values}) AS v(id, code) "  # noqa: S608
                            f"WHERE {table}.id = v.id", [x for r, c in zip(rows, codes, strict=True)
                                                         for x in (r[0], c)])
            else:
                cur.executemany(f"UPDATE {table} SET id_facts = %s WHERE id = %s",  # noqa: S608
                                [(c, r[0]) for r, c in zip(rows, codes, strict=True)])
            last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0009_year_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalperson',
            name='id_facts',
            field=sunshine.core.encrypted_fields.IdFactsField(source='id_number'),
        ),
        migrations.AddField(
            model_name='person',
            name='id_facts',
            field=sunshine.core.encrypted_fields.IdFactsField(source='id_number'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
