"""The full-text index, in each database's own engine (sunshine.library.search.backends):

- SQLite: an FTS5 table over the segmented title and body (space-separated tokens, unicode61), rowid = the
  document's id; it stores its content, so a row can be replaced by rowid alone.
- PostgreSQL: a GIN index over library_policysearchvector.vector (to_tsvector('simple', segmented text)).

Each part runs only on its own database; on the other it does nothing."""

from django.db import migrations

FTS_TABLE = "library_policy_fts"


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201 - a migration function
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body, "
                              "tokenize='unicode61 remove_diacritics 0')")
    elif vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS library_policy_vector_gin "
                              "ON library_policysearchvector USING gin (vector)")


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201 - a migration function
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS library_policy_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
