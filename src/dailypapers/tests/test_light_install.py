"""The default install has no PostgreSQL driver, no Redis client and no pygments:
SQLite on one machine must work without them.

The test extra brings psycopg and pgvector (the postgres extra), redis (the
shared-cache extra) and pygments (schemathesis's), so the suite would not notice a
SQLite code path that imports them; these runs hide them.
"""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from dailypapers.conftest import arxiv_row

WITHOUT_EXTRAS = (
    "import sys; sys.modules.update(psycopg=None, pgvector=None, redis=None, pygments=None); "
    "from dailypapers.cli import main; main(sys.argv[1:])"
)


def light_run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # The session's model file and embedding cache: building the graph again is not the point.
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, *args],
        env={
            "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
            "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
            "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the light install is the SQLite one")
def test_sqlite_site_imports_indexes_and_searches_without_postgres_driver_or_redis(
    tmp_path, write_jsonl
):
    papers = write_jsonl(
        "papers.jsonl",
        [
            arxiv_row("2403.00001", title="Graph neural networks for molecules"),
            arxiv_row("2403.00002", title="Sparse attention for long documents"),
        ],
    )
    for command in (("migrate", "-v0"), ("import", str(papers)), ("index",)):
        done = light_run(tmp_path, *command)
        assert done.returncode == 0, done.stderr

    found = light_run(tmp_path, "search", "molecule graphs")

    assert found.returncode == 0, found.stderr
    assert "2403.00001" in found.stdout


def check_without_extras(tmp_path, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, "check"],
        env={"DAILYPAPERS_DATA_DIR": str(tmp_path / "data"), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgres_url_without_driver_says_how_to_install_it(tmp_path):
    done = check_without_extras(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:5432/nothing")

    assert done.returncode != 0
    assert "[postgres]" in done.stderr


def test_cache_url_without_redis_client_says_how_to_install_it(tmp_path):
    done = check_without_extras(tmp_path, DAILYPAPERS_CACHE_URL="redis://127.0.0.1:6379/0")

    assert done.returncode != 0
    assert "[shared-cache]" in done.stderr
