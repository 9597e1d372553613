"""``dailypapers backup`` and ``restore``: a consistent snapshot taken while the site serves."""

import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pgserver
import psycopg
import pytest
from django.db import connection

from dailypapers import snapshots
from dailypapers.conftest import ExternalDatabase, free_port

CLIENTS = 6
# With abstracts of ~4 kB, the database is a few hundred pages more than one
# copy step, so the backup copies in several steps while the upvotes go on.
PAPERS = 600

SETUP = f"""
import json
from datetime import date
from django.contrib.auth.models import User
from dailypapers.community.models import ApiToken
from dailypapers.papers.records import ListingRecord, PaperRecord
from dailypapers.papers.upserts import upsert_listings, upsert_papers

ids = [f"2403.{{n:05d}}" for n in range(1, {PAPERS} + 1)]
upsert_papers([
    PaperRecord.build(arxiv_id=i, title=f"Paper {{i}}", abstract="An abstract. " * 300,
                      authors=["Ada Lovelace"], published=date(2024, 3, 4))
    for i in ids
])
# Upvotes mirrored from another site are each paper's baseline.
upsert_listings([
    ListingRecord(arxiv_id=i, date=date(2024, 3, 5), source="hf-api", upvotes=n % 7)
    for n, i in enumerate(ids)
])
tokens = {{
    f"voter{{n}}": ApiToken.objects.issue(User.objects.create_user(f"voter{{n}}"), "test")[1]
    for n in range({CLIENTS})
}}
print(json.dumps({{"ids": ids, "tokens": tokens}}))
"""


# The voters below vote as fast as they can, far beyond what the rate limits
# allow people: here the limits would only stand in the way of the load.
VOTE_AT_WILL = {
    "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT": "1000000/minute",
    "DAILYPAPERS_RATE_VOTE_PER_CLIENT": "1000000/minute",
}


@dataclass
class Vote:
    username: str
    arxiv_id: str
    sent: float
    answered: float
    status: int


def upvote_until_stopped(
    url: str, username: str, token: str, ids: list[str], stop: threading.Event, votes: list
) -> None:
    """Upvote every paper in ``ids`` through the API, recording when each was answered."""
    client = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    try:
        for arxiv_id in ids:
            if stop.is_set():
                return
            sent = time.monotonic()
            client.request(
                "POST",
                f"/api/papers/{arxiv_id}/upvote",
                headers={"Authorization": f"Bearer {token}"},
            )
            response = client.getresponse()
            response.read()
            votes.append(Vote(username, arxiv_id, sent, time.monotonic(), response.status))
    finally:
        client.close()


class RestoreTarget:
    """A fresh database and data dir of the same kind as the tests', to restore into."""

    def __init__(self, tmp_path: Path):
        self.env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path / "restored")}
        self.data_dir = tmp_path / "restored"
        if connection.vendor == "postgresql":
            params = connection.settings_dict
            server = f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:" + str(
                params["PORT"] or 5432
            )
            self.name = f"{params['NAME']}_restored"
            self.admin_url = f"{server}/postgres"
            self.url = f"{server}/{self.name}"
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                admin.execute(f'CREATE DATABASE "{self.name}"')
            self.env["DATABASE_URL"] = self.url
        else:
            self.env.pop("DATABASE_URL", None)

    def rows(self, sql: str) -> list[tuple]:
        if connection.vendor == "postgresql":
            with psycopg.connect(self.url) as db:
                return db.execute(sql).fetchall()
        with closing(sqlite3.connect(self.data_dir / "dailypapers.sqlite3")) as db:
            return db.execute(sql).fetchall()

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            with psycopg.connect(self.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_restore_has_every_upvote_committed_before_the_backup_started(tmp_path):
    site = ExternalDatabase(tmp_path)
    made = site.run("shell", "-c", SETUP)
    assert made.returncode == 0, made.stderr
    catalog = json.loads(made.stdout.splitlines()[-1])
    votes: list[Vote] = []
    stop = threading.Event()
    snapshot = tmp_path / "snapshot.tar"
    with site.serving("--workers", 2, "--threads", 4, "--no-indexer", env=VOTE_AT_WILL) as served:
        clients = [
            threading.Thread(
                target=upvote_until_stopped,
                args=(
                    served.url,
                    username,
                    token,
                    random.sample(catalog["ids"], PAPERS),
                    stop,
                    votes,
                ),
            )
            for username, token in catalog["tokens"].items()
        ]
        try:
            for client in clients:
                client.start()
            while len(votes) < 100:
                time.sleep(0.05)
            backup_started = time.monotonic()
            backup = site.run("backup", snapshot)
            backup_ended = time.monotonic()
            time.sleep(0.5)  # and the upvotes go on after it
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=120)
    assert backup.returncode == 0, backup.stderr
    assert "search index: not included" in backup.stdout
    assert {vote.status for vote in votes} == {200}
    during = [v for v in votes if backup_started < v.answered and v.sent < backup_ended]
    assert during, "no upvote was answered while the backup ran: nothing was tested"
    assert any(v.sent > backup_ended for v in votes), "the upvotes stopped before the backup"

    target = RestoreTarget(tmp_path)
    try:
        restored = subprocess.run(
            site.command("restore", snapshot, "--no-input"),
            env=target.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert restored.returncode == 0, restored.stderr
        upvotes = set(
            target.rows(
                "SELECT u.username, v.paper_id FROM papers_upvote v "
                "JOIN auth_user u ON u.id = v.user_id"
            )
        )
        papers = target.rows(
            "SELECT arxiv_id, upvotes, imported_upvotes, "
            "(SELECT COUNT(*) FROM papers_upvote v WHERE v.paper_id = p.arxiv_id) "
            "FROM papers_paper p"
        )
    finally:
        target.drop()

    committed_before = {(v.username, v.arxiv_id) for v in votes if v.answered < backup_started}
    sent_after = {(v.username, v.arxiv_id) for v in votes if v.sent > backup_ended}
    assert committed_before <= upvotes
    assert not upvotes & sent_after
    assert upvotes <= {(v.username, v.arxiv_id) for v in votes}
    assert len(papers) == PAPERS
    assert [row for row in papers if row[1] != row[2] + row[3]] == []
    assert (tmp_path / "restored" / "secret_key").read_text() == (
        tmp_path / "data" / "secret_key"
    ).read_text()
    print(
        f"{len(committed_before)} upvotes committed before the backup, {len(during)} while it "
        f"ran ({backup_ended - backup_started:.1f} s), {len(upvotes)} in the restore"
    )


def test_sqlite_copy_reads_one_state_while_writers_go_on(tmp_path):
    """Writes committed during the copy are not in it, and do not start it over."""
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE upvote (id INTEGER PRIMARY KEY, note TEXT)")
    writer.executemany("INSERT INTO upvote (note) VALUES (?)", [("x" * 1000,)] * 3000)
    steps = []

    def write_between_steps(remaining: int, total: int) -> None:
        steps.append(remaining)
        writer.execute("INSERT INTO upvote (note) VALUES ('during the copy')")

    snapshots.copy_sqlite(live, copy, write_between_steps)

    assert len(steps) >= 3, "the copy took one step: nothing was written during it"
    assert steps == sorted(steps, reverse=True) and steps[-1] == 0  # never restarted
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT COUNT(*) FROM upvote").fetchone()[0] == 3000
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert writer.execute("SELECT COUNT(*) FROM upvote").fetchone()[0] == 3000 + len(steps)
    writer.close()


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.django_db(transaction=True)
def test_restore_over_the_live_database_brings_back_the_snapshot(tmp_path):
    site = ExternalDatabase(tmp_path)

    def shell(code: str) -> None:
        done = site.run("shell", "-c", code)
        assert done.returncode == 0, done.stderr

    shell("from django.contrib.auth.models import User; User.objects.create_user('before')")
    snapshot = tmp_path / "snapshot.tar"
    assert site.run("backup", snapshot).returncode == 0
    shell("from django.contrib.auth.models import User; User.objects.create_user('after')")
    # A table the snapshot does not have, as a later migration would leave.
    shell(
        "from django.db import connection\n"
        "connection.cursor().execute('CREATE TABLE stray (x int)')"
    )
    # What the indexer saved for the database as it is now.
    index = tmp_path / "data" / "index"
    (index / "vectors").mkdir(parents=True, exist_ok=True)
    (index / "vectors" / "graph.json").write_text("{}")

    restored = site.run("restore", snapshot, "--no-input")

    assert restored.returncode == 0, restored.stderr
    assert "Restored: 0 papers, 0 upvotes, 1 accounts" in restored.stdout
    assert "secret key: restored into the data dir" in restored.stdout
    assert f"{index} removed" in restored.stdout
    assert not index.exists()
    assert site.scalar("SELECT COUNT(*) FROM auth_user WHERE username = 'after'") == 0
    assert site.scalar("SELECT COUNT(*) FROM auth_user WHERE username = 'before'") == 1
    with pytest.raises(Exception, match="stray"):
        site.scalar("SELECT COUNT(*) FROM stray")
    if site.sqlite_file:
        with sqlite3.connect(site.sqlite_file) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.django_db
def test_backup_replaces_a_file_only_with_force_and_leaves_nothing_half_written(tmp_path):
    site = ExternalDatabase(tmp_path)
    snapshot = tmp_path / "snapshot.tar"
    snapshot.write_text("last week's snapshot")

    refused = site.run("backup", snapshot)
    assert refused.returncode == 1
    assert f"{snapshot} exists: pass --force to replace it" in refused.stderr
    assert snapshot.read_text() == "last week's snapshot"

    assert site.run("backup", snapshot, "--force").returncode == 0
    manifest = snapshots.read_manifest(snapshot)
    assert manifest.database == connection.vendor and manifest.secret_key
    assert snapshot.stat().st_mode & 0o777 == 0o600  # password hashes and the secret key
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "snapshot.tar"]


BALLAST_ROWS = 200_000  # of 1 kB: a database that takes a moment to copy


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_backup_leaves_no_file(tmp_path):
    site = ExternalDatabase(tmp_path)
    if site.sqlite_file:
        with sqlite3.connect(site.sqlite_file) as db:
            db.execute(
                "CREATE TABLE ballast AS WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL "
                f"SELECT n + 1 FROM g WHERE n < {BALLAST_ROWS}) SELECT randomblob(1000) AS b FROM g"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE ballast AS SELECT repeat(md5(g::text), 32) AS b "
                f"FROM generate_series(1, {BALLAST_ROWS}) g"
            )
    backups = tmp_path / "backups"
    backups.mkdir()
    try:
        backup = subprocess.Popen(
            site.command("backup", backups),
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while not any(backups.iterdir()):  # its temporary directory: the copy starts
            assert backup.poll() is None, backup.stderr.read()
            time.sleep(0.01)
        backup.terminate()
        out, err = backup.communicate(timeout=120)
    finally:
        if not site.sqlite_file:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE ballast")

    assert backup.returncode == 130, f"the backup finished before it was stopped: {out}"
    assert "Interrupted: no snapshot written" in err
    assert list(backups.iterdir()) == []


@pytest.mark.django_db
def test_backup_into_a_directory_names_the_file_after_the_time_and_gz_compresses(tmp_path):
    site = ExternalDatabase(tmp_path)
    backups = tmp_path / "backups"
    backups.mkdir()
    assert site.run("backup", backups).returncode == 0
    assert site.run("backup", backups / "weekly.tar.gz").returncode == 0
    dated = [path for path in backups.iterdir() if path.name != "weekly.tar.gz"]
    assert len(dated) == 1 and dated[0].name.startswith("dailypapers-")
    compressed = (backups / "weekly.tar.gz").read_bytes()
    assert compressed[:2] == b"\x1f\x8b"
    assert snapshots.read_manifest(backups / "weekly.tar.gz").database == connection.vendor

    missing = site.run("backup", tmp_path / "no-such-dir" / "snapshot.tar")
    assert missing.returncode == 1 and "is not a directory" in missing.stderr


@pytest.mark.django_db
def test_restore_refuses_a_snapshot_of_the_other_kind_of_database(tmp_path):
    site = ExternalDatabase(tmp_path)
    snapshot = tmp_path / "snapshot.tar"
    assert site.run("backup", snapshot).returncode == 0
    other = {**site.env, "DAILYPAPERS_DATA_DIR": str(tmp_path / "other")}
    if connection.vendor == "sqlite":
        # Refused before connecting: nothing listens there.
        other["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/elsewhere"
        expected = "a snapshot of a SQLite database, and this site uses PostgreSQL"
    else:
        other.pop("DATABASE_URL")
        expected = "a snapshot of a PostgreSQL database, and this site uses SQLite"

    refused = run(site.command("restore", snapshot, "--no-input"), other)

    assert refused.returncode == 1
    assert expected in refused.stderr
    assert "goes back into the kind of database it was taken from" in refused.stderr
    assert not (tmp_path / "other" / "dailypapers.sqlite3").exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_snapshot_taken_by_a_newer_version(tmp_path):
    site = ExternalDatabase(tmp_path)
    newer = site.run(
        "shell",
        "-c",
        "from django.db import connection\n"
        "from django.db.migrations.recorder import MigrationRecorder\n"
        "MigrationRecorder(connection).record_applied('papers', '9999_from_a_newer_version')",
    )
    assert newer.returncode == 0, newer.stderr
    snapshot = tmp_path / "snapshot.tar"
    assert site.run("backup", snapshot).returncode == 0

    refused = site.run("restore", snapshot, "--no-input")

    assert refused.returncode == 1
    assert "taken by a newer dailypapers" in refused.stderr
    assert "papers.9999_from_a_newer_version" in refused.stderr
    assert "Upgrade first" in refused.stderr


def test_restore_refuses_a_file_that_is_not_a_snapshot(tmp_path):
    site = ExternalDatabase(tmp_path, migrate=False)
    not_a_snapshot = tmp_path / "notes.txt"
    not_a_snapshot.write_text("not a tar file")
    refused = site.run("restore", not_a_snapshot, "--no-input")
    assert refused.returncode == 1
    assert f"{not_a_snapshot} is not a dailypapers snapshot" in refused.stderr


def pg_dump_major() -> int:
    return snapshots.client_major(shutil.which("pg_dump"))


def test_backup_refuses_a_server_newer_than_pg_dump(pgvector_database, tmp_path):
    if pg_dump_major() >= 16:
        pytest.skip(f"pg_dump here is PostgreSQL {pg_dump_major()}'s: it can dump 16")
    env = {
        **os.environ,
        "DATABASE_URL": pgvector_database,
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
    }
    refused = run([sys.executable, "-m", "dailypapers", "backup", tmp_path / "s.tar"], env)
    assert refused.returncode == 1
    assert "the server runs PostgreSQL 16" in refused.stderr
    assert "apt-get install postgresql-client-16" in refused.stderr
    assert not (tmp_path / "s.tar").exists()


def test_backup_without_pg_dump_says_what_to_install(pgvector_database, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": pgvector_database,
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        "PATH": str(tmp_path),  # no PostgreSQL client there
    }
    refused = run([sys.executable, "-m", "dailypapers", "backup", tmp_path / "s.tar"], env)
    assert refused.returncode == 1
    assert "pg_dump is not installed" in refused.stderr
    assert "apt-get install postgresql-client" in refused.stderr


def test_restore_keeps_an_extension_only_a_superuser_may_drop(pgvector_database, tmp_path):
    """pgvector, created by a superuser, in a database its site's role owns: the
    restore leaves the extension as it is instead of failing to drop it."""
    superuser = urlsplit(pgvector_database)
    with psycopg.connect(superuser._replace(path="/postgres").geturl(), autocommit=True) as db:
        db.execute("CREATE ROLE site LOGIN")
        db.execute("CREATE DATABASE site_db OWNER site")
    with psycopg.connect(superuser._replace(path="/site_db").geturl(), autocommit=True) as db:
        db.execute("CREATE EXTENSION vector")
    env = {
        **os.environ,
        # pg_dump 16, for the server's version.
        "PATH": f"{Path(pgserver.__file__).parent / 'pginstall' / 'bin'}:{os.environ['PATH']}",
        "DATABASE_URL": superuser._replace(
            netloc=superuser.netloc.replace("postgres@", "site@"), path="/site_db"
        ).geturl(),
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
    }

    def dailypapers(*args) -> str:
        done = run([sys.executable, "-m", "dailypapers", *map(str, args)], env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    dailypapers("migrate", "-v0")
    dailypapers("shell", "-c", EMBEDDED_PAPER.format(arxiv_id="2403.00001"))
    dailypapers("backup", tmp_path / "snapshot.tar")
    dailypapers("shell", "-c", EMBEDDED_PAPER.format(arxiv_id="2403.00002"))

    restored = dailypapers("restore", tmp_path / "snapshot.tar", "--no-input")

    assert "Restored: 1 papers" in restored
    with psycopg.connect(env["DATABASE_URL"]) as db:
        assert db.execute("SELECT paper_id FROM search_vector").fetchall() == [("2403.00001",)]
        assert db.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()


# A paper and its embedding, copied into pgvector's table as the indexer does.
EMBEDDED_PAPER = """
from datetime import date
import numpy as np
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
from dailypapers.search import backends
from dailypapers.search.models import PaperEmbedding

upsert_papers([PaperRecord.build(arxiv_id="{arxiv_id}", title="T", abstract="A.",
                                 authors=["A B"], published=date(2024, 3, 4))])
embedder = backends.embedder()
PaperEmbedding.objects.create(paper_id="{arxiv_id}", model=embedder.name, text_hash="",
                              vector=np.ones(embedder.dim, dtype="<f4").tobytes())
backends.vector_index().refresh(force=True)
"""
