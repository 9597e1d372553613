"""The database going away and coming back under a live ``dailypapers serve``: requests
fail cleanly with 503 meanwhile, then everything recovers without a restart.

The PostgreSQL is the test's own cluster (Debian's binaries, a free port, a
temporary directory), stopped with ``pg_ctl stop -m immediate`` as a crash or
an impatient operator would; the machine's shared server is never touched.
"""

import json
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
import requests

from dailypapers.conftest import (
    ExternalDatabase,
    LiveServe,
    arxiv_row,
    canned_http_server,
    free_port,
)
from dailypapers.ingest.tests.stand_ins import ArxivStandIn, closed_port_url
from dailypapers.web.errors import UNAVAILABLE

# The test starts a cluster of its own whatever DATABASE_URL says, and takes a minute:
# CI runs it once, in its PostgreSQL run.
pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="runs in the PostgreSQL run of the suite (its own cluster either way)",
)

# Debian's server binaries: initdb and pg_ctl of the newest installed major version.
PG_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
# The server refuses to run as root: as root, the cluster belongs to this system user.
PG_SYSTEM_USER = "postgres"


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of the test's own, in a temporary directory, on a free port."""

    bin: Path
    data: Path
    port: int

    def pg_ctl(self, *args: str, check: bool = True) -> None:
        finished = subprocess.run(
            [self.bin / "pg_ctl", "-D", self.data, *args],
            user=PG_SYSTEM_USER if os.geteuid() == 0 else None,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0 or not check, finished.stdout + finished.stderr

    def start(self) -> None:
        # Durability is not under test here: fsync off keeps the test quick. A restart
        # after `-m immediate` still replays the WAL as after a crash.
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("start", "-w", "-l", str(self.data / "server.log"), "-o", options)

    def stop_immediately(self) -> None:
        self.pg_ctl("stop", "-m", "immediate", "-w")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    if not PG_BINARIES:
        pytest.fail("this test needs Debian's PostgreSQL server: apt-get install postgresql")
    # Not under pytest's tmp_path: as root, the server's user must be able to reach it.
    data = Path(tempfile.mkdtemp(prefix="dailypapers-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(data, PG_SYSTEM_USER, PG_SYSTEM_USER)
    cluster = PrivateCluster(PG_BINARIES[-1], data, free_port())
    initdb = subprocess.run(
        [cluster.bin / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N"],
        user=PG_SYSTEM_USER if os.geteuid() == 0 else None,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert initdb.returncode == 0, initdb.stdout + initdb.stderr
    cluster.start()
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE dailypapers")
        yield cluster
    finally:
        cluster.pg_ctl("stop", "-m", "immediate", check=False)  # stopped already, or not
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def serving_into(log: Path, db: ExternalDatabase, *serve_args, env: dict) -> Iterator[LiveServe]:
    """``dailypapers serve`` writing to a file as it goes: the logs of hundreds of 503s
    would fill a pipe read only at the end (``ExternalDatabase.serving``), and stop it."""
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            db.command("serve", "--port", port, *serve_args),
            env=db.env | env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while ask(f"http://127.0.0.1:{port}", "/").status == 0:
                if server.poll() is not None:
                    raise RuntimeError(f"serve stopped: {log.read_text()}")
                assert time.monotonic() < deadline, f"serve did not answer: {log.read_text()}"
                time.sleep(0.2)
            yield LiveServe(f"http://127.0.0.1:{port}", port)
        finally:
            server.terminate()
            server.wait(timeout=30)


def background_processes() -> dict[str, int]:
    """The ``dailypapers`` commands serve runs beside gunicorn (children of this test's
    serve), by command line, with their pids."""
    found = {}
    for process in psutil.Process().children(recursive=True):
        try:
            command = process.cmdline()
        except psutil.NoSuchProcess:
            continue
        if command[1:3] == ["-m", "dailypapers"] and command[3] != "serve":
            found[" ".join(command[3:])] = process.pid
    return found


# What a visitor, a reader of the API and a script with a token ask for.
PAGES = ["/papers", "/papers/2404.00001", "/papers/trending", "/feeds/daily.rss"]
API = ["/api/daily_papers", "/api/papers/2404.00001"]
# A user, and an API token for a script of theirs, in one process (each costs seconds).
ISSUE_TOKEN = (
    "from django.contrib.auth.models import User; "
    "from dailypapers.community.models import ApiToken; "
    "print(ApiToken.objects.issue(User.objects.create_user('script'), 'load')[1])"
)
# Words that would show internals in an error answer.
INTERNALS = re.compile(r"Traceback|psycopg|OperationalError|connection|5432|/usr/lib|File \"")
# An answer slower than this held a worker: the database was waited for.
PROMPT = 5.0
Request = tuple[str, str | None]  # a path, and the API token to send (or None)


@dataclass
class Answer:
    path: str
    status: int  # 0: no answer within PROMPT
    body: str
    seconds: float
    retry_after: str | None


def ask(url: str, path: str, token: str | None = None, timeout: float = PROMPT) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        response = requests.get(f"{url}{path}", headers=headers, timeout=timeout)
    except requests.RequestException as error:
        return Answer(path, 0, str(error), time.monotonic() - started, None)
    took = time.monotonic() - started
    return Answer(
        path, response.status_code, response.text, took, response.headers.get("Retry-After")
    )


def clean_503(answer: Answer) -> bool:
    """A 503 a person can read (a page) or a script can parse (JSON), without internals."""
    if answer.status != 503 or answer.retry_after is None or INTERNALS.search(answer.body):
        return False
    if answer.path.startswith("/api/"):
        return json.loads(answer.body) == {"error": UNAVAILABLE}
    return "<h1>Briefly unavailable</h1>" in answer.body


def test_requests_answer_503_while_postgresql_is_down_and_recover_without_a_restart(
    tmp_path, settings, private_postgres, campaign
):
    db = ExternalDatabase(tmp_path, migrate=False)
    db.env["DATABASE_URL"] = private_postgres.url("dailypapers")
    assert db.run("migrate", "-v0").returncode == 0
    created = db.run("shell", "-c", ISSUE_TOKEN)
    assert created.returncode == 0, created.stderr
    token = created.stdout.split()[-1]
    outage = campaign.size(8, 60)
    log = tmp_path / "serve.log"
    arxiv = ArxivStandIn()
    with canned_http_server(arxiv.reply) as arxiv_server:
        env = {
            # Every answer rendered afresh: a shared one would hide the outage.
            "DAILYPAPERS_PAGE_CACHE_SECONDS": "0",
            "DAILYPAPERS_ARXIV_API_URL": f"{arxiv_server.url}/api/query",
            "DAILYPAPERS_ARXIV_REQUEST_DELAY": "0",
            "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
            "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
            # Every schedule the worker can run, so that each meets the outage.
            "DAILYPAPERS_DIGEST_TIME": "23:59",
            "DAILYPAPERS_SYNC_HF": "1",
            "DAILYPAPERS_SYNC_HF_TIME": "23:59",
            "DAILYPAPERS_HF_API_URL": closed_port_url(),
            "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0.05",
        }
        with serving_into(log, db, "--workers", 2, "--threads", 2, env=env) as site:
            # The worker, and the follower of the node's keyword index.
            wait_for(lambda: len(background_processes()) == 2, "the background processes")
            before = background_processes()
            # The catalog's first paper, through the background fetcher: it is at work.
            assert a_fetch(site.url, token, arxiv, "2404.00001") == "done"
            every: list[Request] = [(path, None) for path in PAGES + API]
            every += [(path, token) for path in API]
            warm_up = [ask(site.url, *request, timeout=60).status for request in every]
            assert warm_up == [200] * len(every)

            private_postgres.stop_immediately()
            during = during_the_outage(site.url, every, outage)
            private_postgres.start()
            restarted = time.monotonic()
            wait_for(
                lambda: all(ask(site.url, *request).status == 200 for request in every),
                "the site to answer again",
            )
            recovered = time.monotonic() - restarted

            time.sleep(2)  # a loop of the worker that fails would have ended its process
            after = background_processes()
            survived = {c: pid for c, pid in after.items() if before.get(c) == pid}
            fetched = a_fetch(site.url, token, arxiv, "2404.00002")
            killed, restarted_in = a_killed_background_process_is_started_again(before)

    statuses = Counter(answer.status for answer in during)
    unclean = [answer for answer in during if not clean_503(answer)]
    campaign.record(
        f"PostgreSQL stopped (-m immediate) for {outage} s under serve (2 workers x 2 threads, "
        f"{len(before)} background processes); {len(during)} requests meanwhile "
        f"(pages, API, API with a token)",
        f"{statuses[503]} answered 503, "
        f"{sum(n for s, n in statuses.items() if 500 <= s < 600 and s != 503)} other 5xx, "
        f"{statuses[0]} unanswered, {len(unclean)} not a clean 503; 200 again "
        f"{recovered:.1f} s after the restart, no serve restart; {len(survived)}/{len(before)} "
        f"background processes survived, a killed one started again in {restarted_in:.1f} s; "
        f"a fetch after the outage: {fetched}",
    )
    assert unclean == [], unclean[:3]
    assert max(answer.seconds for answer in during) < PROMPT
    assert survived == before, before
    assert fetched == "done"  # the fetcher, which met the outage every second, still works
    assert restarted_in < 30
    output = log.read_text()
    assert f" {killed}` stopped; starting it again" in output
    assert output.count("the database is not answering") >= 1, output[-3000:]


def during_the_outage(url: str, every: list[Request], seconds: float) -> list[Answer]:
    """What four clients get, asking for every kind of page and API answer for ``seconds``."""
    deadline = time.monotonic() + seconds
    answers: list[Answer] = []

    def client(requests_: list[Request]) -> None:
        while time.monotonic() < deadline:
            answers.extend(ask(url, *request) for request in requests_)

    with ThreadPoolExecutor(4) as pool:
        for started in [pool.submit(client, every[n::4]) for n in range(4)]:
            started.result()
    return answers


def a_fetch(url: str, token: str, arxiv: ArxivStandIn, arxiv_id: str) -> str:
    """How a paper asked for through the API ends: the background fetcher's work."""
    arxiv.papers[arxiv_id] = arxiv_row(arxiv_id)
    asked = requests.post(
        f"{url}/api/daily_papers",
        json={"arxivId": arxiv_id},
        headers={"Authorization": f"Bearer {token}"},
        timeout=PROMPT,
    )
    assert asked.status_code == 202, asked.text

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.loads(ask(url, f"/api/papers/{arxiv_id}/fetch", token).body)["status"]
        if status in {"done", "failed"}:
            return status
        time.sleep(0.2)
    return f"still {status} after a minute"


def a_killed_background_process_is_started_again(before: dict[str, int]) -> tuple[str, float]:
    """The worker, killed: the seconds until serve has started it again (inf: never)."""
    command = next(c for c in before if c.startswith("worker"))
    with suppress(ProcessLookupError):  # the outage ended it already
        os.kill(before[command], signal.SIGKILL)
    killed = time.monotonic()
    while background_processes().get(command) in {None, before[command]}:
        if time.monotonic() - killed > 30:
            return command, math.inf
        time.sleep(0.2)
    return command, time.monotonic() - killed


def wait_for(condition, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
