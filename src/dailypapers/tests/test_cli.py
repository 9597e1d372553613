import sys
from pathlib import Path

import pytest
from django.db import connection

from dailypapers.cli import command_hint
from dailypapers.conftest import ExternalDatabase, arxiv_row


def test_hint_names_the_venv_script_when_dailypapers_is_not_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(Path(sys.prefix).parent)
    venv = Path(sys.prefix).name
    assert command_hint("import PATH") == f"{venv}/bin/dailypapers import PATH"


def test_hint_says_dailypapers_when_it_is_on_path(monkeypatch):
    monkeypatch.setenv("PATH", str(Path(sys.prefix) / "bin"))
    assert command_hint("add 2403.01779") == "dailypapers add 2403.01779"
    assert command_hint() == "dailypapers"


@pytest.mark.django_db(transaction=True)
def test_an_import_before_the_first_serve_creates_the_tables(tmp_path, write_jsonl):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL test database is migrated by the test run itself")
    site = ExternalDatabase(tmp_path, migrate=False)
    imported = site.run("import", write_jsonl("papers.jsonl", [arxiv_row()]))
    assert imported.returncode == 0, imported.stderr
    assert "A new database: creating its tables" in imported.stderr
    assert site.papers() == 1
    again = site.run("import", write_jsonl("more.jsonl", [arxiv_row("2403.01780")]))
    assert "new database" not in again.stderr
    assert site.papers() == 2
