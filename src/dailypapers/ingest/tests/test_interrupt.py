"""An import killed half-way keeps its finished batches and completes when run again."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from dailypapers.conftest import arxiv_row

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 20_000
HALF_WRITTEN = (
    "SELECT COUNT(*) FROM papers_paper p WHERE NOT EXISTS "
    "(SELECT 1 FROM papers_authorship a WHERE a.paper_id = p.arxiv_id)"
)


class ExternalDatabase:
    """The database a ``dailypapers`` subprocess writes to, queried from the test."""

    def __init__(self, tmp_path: Path):
        self.env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path / "data")}
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            # The test database itself: a transactional test sees the subprocess's commits.
            self.env["DATABASE_URL"] = (
                f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
                f"{settings['PORT'] or 5432}/{settings['NAME']}"
            )
            self.sqlite_file = None
        else:
            self.sqlite_file = tmp_path / "data" / "dailypapers.sqlite3"
            self.env.pop("DATABASE_URL", None)
            self.run("migrate", "-v0")

    def run(self, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(*args), env=self.env, capture_output=True, text=True, timeout=300
        )

    def command(self, *args) -> list[str]:
        return [sys.executable, "-m", "dailypapers", *map(str, args)]

    def scalar(self, sql: str) -> int:
        if self.sqlite_file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]
        with sqlite3.connect(self.sqlite_file) as db:
            return db.execute(sql).fetchone()[0]

    def papers(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM papers_paper")


def start_and_stop_import(db: ExternalDatabase, path: Path, stop_signal: int):
    process = subprocess.Popen(
        db.command("import", path, "--batch-size", "250"),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while db.papers() < 1000:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import committed nothing in time"
        time.sleep(0.05)
    process.send_signal(stop_signal)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.mark.parametrize(
    "stop_signal", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["kill-9", "ctrl-c", "kill"]
)
def test_interrupted_import_loses_nothing_and_resumes(tmp_path, write_jsonl, stop_signal):
    path = write_jsonl("big.jsonl", [arxiv_row(f"2403.{n:05d}") for n in range(1, ROWS + 1)])
    db = ExternalDatabase(tmp_path)

    returncode, _, err = start_and_stop_import(db, path, stop_signal)
    kept = db.papers()
    assert 0 < kept < ROWS, "stop the import half-way"
    assert db.scalar(HALF_WRITTEN) == 0
    if stop_signal != signal.SIGKILL:
        assert returncode == 130
        assert "Interrupted: every finished batch is saved" in err

    rerun = db.run("import", path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS - kept} new, 0 updated, {kept} unchanged, 0 rejected" in rerun.stdout
    assert db.papers() == ROWS
    assert "nothing changed" in db.run("import", path).stdout
