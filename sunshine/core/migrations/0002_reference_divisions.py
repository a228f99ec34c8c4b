from django.db import migrations


def load(apps, schema_editor):
    from sunshine.core.reference_data import load_reference_divisions

    load_reference_divisions(apps.get_model("core", "Division"), apps.get_model("core", "KeyArea"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
