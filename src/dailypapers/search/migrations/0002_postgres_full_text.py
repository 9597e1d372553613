from django.db import migrations

from dailypapers.search.keyword_postgres import CREATE_TABLE


def create(apps, schema_editor):
    # Only PostgreSQL searches with tsvector; SQLite uses the embedded engine.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TABLE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE search_document")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("papers", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
