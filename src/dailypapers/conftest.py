"""Fixtures shared by every app's tests."""

import gzip
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import psycopg
import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from dailypapers.ingest.tests.stand_ins import ArxivStandIn, FakeHuggingFace
from dailypapers.recommend import catalog as recommend_catalog
from dailypapers.search import backends


@pytest.fixture(autouse=True)
def search_dirs(settings, tmp_path, tmp_path_factory):
    """A fresh keyword index and page cache per test; one embedding cache for the session."""
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.EMBEDDING_CACHE = tmp_path_factory.getbasetemp() / "embedding-cache.sqlite3"
    settings.MODEL_DIR = tmp_path_factory.getbasetemp() / "models"
    backends.reset()
    cache.clear()
    yield
    backends.reset()


@pytest.fixture(autouse=True)
def fresh_candidate_pools():
    """ "For you" pools are kept per process and window: none outlives its test's catalog."""
    recommend_catalog.forget_pools()
    yield
    recommend_catalog.forget_pools()


def run_queued_tasks() -> list[DBTaskResult]:
    """Run every task waiting in the queue, in this process and the test's transaction, as
    a worker would (its loop closes connections between tasks, which a test's would not
    survive); the tasks run, each with its outcome."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="the test",
        excluded_queue_names=[],
    )
    done = []
    while (task := DBTaskResult.objects.ready().first()) is not None:
        task.claim(worker.worker_id)
        worker.run_task(task)
        task.refresh_from_db()
        done.append(task)
    return done


def arxiv_row(arxiv_id: str = "2403.01779", **fields) -> dict:
    """A record in the format of ../shared/data/arxiv-cs.jsonl.gz."""
    row = {
        "id": arxiv_id,
        "title": f"A study of {arxiv_id}",
        "abstract": "We propose a method. Code is available at https://github.com/acme/method.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "cs.CL"],
        "primary_category": "cs.LG",
        "published": "2024-03-04",
        "comment": "12 pages",
    }
    row.update(fields)
    return row


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write rows (dicts, or raw strings for broken lines) as JSON Lines, optionally gzipped."""

    def write(name: str, rows: list, *, gz: bool | None = None) -> Path:
        path = tmp_path / name
        text = "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
        if gz if gz is not None else name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        return path

    return write


# The machine's Redis (.ci/run starts it), one database for each suite run: CI runs the
# SQLite and the PostgreSQL runs at the same time, and the tests of several nodes empty it.
SHARED_REDIS_URL = f"redis://127.0.0.1:6379/{2 if connection.vendor == 'sqlite' else 3}"


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    """The run's Redis database, empty before and after the test."""
    server = redis.Redis.from_url(SHARED_REDIS_URL)
    server.flushdb()
    yield server
    server.flushdb()


class ExternalDatabase:
    """The database a ``dailypapers`` subprocess writes to, queried from the test."""

    def __init__(self, tmp_path: Path, *, migrate: bool = True):
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
            if migrate:
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

    @contextmanager
    def serving(
        self, *serve_args, env: dict[str, str] | None = None, timeout: float = 90
    ) -> Iterator["LiveServe"]:
        """``dailypapers serve`` on a free port, once it answers; its output when it stops."""
        port = free_port()
        server = subprocess.Popen(
            self.command("serve", "--port", port, *serve_args),
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        live = LiveServe(f"http://127.0.0.1:{port}", port)
        try:
            wait_until_answering(live.url, server, timeout)
            yield live
        finally:
            server.terminate()
            live.output.append(server.communicate(timeout=30)[0])


@dataclass
class LiveServe:
    url: str
    port: int
    # What serve printed, once it has stopped.
    output: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # answering, if not with 200
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"serve stopped: {server.stdout.read()}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout} s") from None
            time.sleep(0.2)


Reply = tuple[int, bytes, dict[str, str]]


@dataclass
class CannedServer:
    """A local HTTP server standing in for a remote one: tests set what it answers."""

    respond: Callable[[dict[str, str]], Reply]
    url: str = ""
    # The query of every request received, and when it came.
    requests: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


class _CannedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        canned: CannedServer = self.server.canned
        query = dict(parse_qsl(urlsplit(self.path).query))
        canned.requests.append(query)
        canned.times.append(time.monotonic())
        status, body, headers = canned.respond(query)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@contextmanager
def canned_http_server(respond: Callable[[dict[str, str]], Reply]) -> Iterator[CannedServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CannedHandler)
    server.canned = CannedServer(respond, url=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.canned
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Answers of the arXiv API, recorded for the ingest tests.
ATOM = Path(__file__).parent / "ingest" / "tests" / "atom"
PAPER_V1 = (ATOM / "2403.01779v1.xml").read_bytes()
PAPER_V2 = (ATOM / "2403.01779v2.xml").read_bytes()
EMPTY = (ATOM / "empty.xml").read_bytes()


@dataclass
class FakeArxiv:
    """Answers each ``id_list`` with the response set for it, else an empty feed."""

    url: str = ""
    responses: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    # The id_list of every request received, in order.
    requests: list[str] = field(default_factory=list)

    def reply(self, query: dict[str, str]) -> Reply:
        id_list = query.get("id_list", "")
        self.requests.append(id_list)
        status, body = self.responses.get(id_list, (200, EMPTY))
        return status, body, {"Content-Type": "application/atom+xml; charset=utf-8"}


@pytest.fixture
def arxiv_api(settings) -> Iterator[FakeArxiv]:
    fake = FakeArxiv()
    with canned_http_server(fake.reply) as server:
        fake.url = settings.ARXIV_API_URL = f"{server.url}/api/query"
        settings.ARXIV_REQUEST_DELAY = 0
        yield fake


CHROMIUM = Path(os.environ.get("DAILYPAPERS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless chromium driven by Playwright (`.ci/run` installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous, so Django's async guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies); its page opens site paths: ``goto("/papers")``."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def hf_api(settings):
    """A local Hugging Face serving daily lists (ingest/tests/stand_ins.py), no request delay."""
    fake = FakeHuggingFace()
    with canned_http_server(fake.reply) as server:
        fake.url = settings.HF_API_URL = server.url
        settings.HF_REQUEST_DELAY = 0
        yield fake
        fake.release.set()


@pytest.fixture
def arxiv_stand_in(settings):
    """A local arXiv API that knows the papers a test gives it (ingest/tests/stand_ins.py)."""
    fake = ArxivStandIn()
    with canned_http_server(fake.reply) as server:
        fake.url = settings.ARXIV_API_URL = f"{server.url}/api/query"
        settings.ARXIV_REQUEST_DELAY = 0
        yield fake


@pytest.fixture(scope="module")
def pgvector_database() -> Iterator[str]:
    """A real PostgreSQL 16 with pgvector (the pgserver package), on a unix socket."""
    import pgserver

    server = pgserver.get_server(
        tempfile.mkdtemp(prefix="pgserver-", dir="/tmp"), cleanup_mode="delete"
    )
    with psycopg.connect(server.get_uri(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE dailypapers")
    socket_dir = quote(str(server.get_postmaster_info().socket_dir), safe="")
    yield f"postgres://postgres@{socket_dir}/dailypapers"
    server.cleanup()
