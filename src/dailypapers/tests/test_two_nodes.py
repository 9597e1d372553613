"""Issue 14's proof with two nodes: two ``dailypapers serve`` (each its own data dir and
port) and one ``dailypapers worker``, against one PostgreSQL and one Redis.

- an upvote on node A is seen by a signed-in reader on node B at once;
- a paper imported through node A is found by search on node B within the documented lag;
- the day's digest goes out once, although every node's scheduler fires;
- a rate limit counts across both nodes;
- node A killed (SIGKILL, its whole process group) in the middle of requests loses no
  answered write, and node B keeps serving.

The Redis is the machine's own, its database for this run (conftest.SHARED_REDIS_URL).
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from dailypapers.conftest import (
    SHARED_REDIS_URL,
    ExternalDatabase,
    arxiv_row,
    free_port,
    wait_until_answering,
)
from dailypapers.digests.tests.conftest import Inbox
from dailypapers.search.tests.test_following import DOCUMENTED_LAG, FOLLOW_SECONDS, SLACK
from dailypapers.tests.test_shared_state import Visitor, form_token, upvotes_shown
from dailypapers.tests.test_throttles_live import failed_login, login_form

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="several nodes share one PostgreSQL (issue 14); the PostgreSQL run covers it",
    ),
]

REDIS_URL = SHARED_REDIS_URL
PAPER = "2412.00001"
VOTED = [f"2412.{n:05d}" for n in range(100, 300)]
KILL_AFTER = 10
PASSWORD = "correct horse battery staple"
SETUP = f"""
from datetime import date, timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from dailypapers.community.models import ApiToken
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
upsert_papers([PaperRecord.build(
    arxiv_id=arxiv_id, title="Paper " + arxiv_id, abstract=".", authors=["A"],
    published=date.today(),
) for arxiv_id in ["{PAPER}", *{VOTED!r}]])
DailyListing.objects.create(paper=Paper.objects.get(pk="{PAPER}"), date=date.today())
User.objects.create_user("ada", password="{PASSWORD}")
voter = User.objects.create_user("voter")
Subscription.objects.create(
    email="reader@example.org",
    confirmed_at=timezone.now() - timedelta(days=30),
    covered_until=timezone.now() - timedelta(days=20),
)
print(ApiToken.objects.issue(voter, "votes")[1])
"""


class Node:
    """A ``dailypapers`` process in a session of its own, so that killing its group kills
    gunicorn's workers and its background processes with it, as a machine going down."""

    def __init__(self, env: dict[str, str], *args):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", *map(str, args)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        threading.Thread(
            target=lambda: self.output.extend(self.process.stdout), daemon=True
        ).start()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=60)


def answer(url: str, *, method: str = "GET", token: str = "") -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""  # no answer: the node is gone


def wait_for(condition, what: str, limit: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, f"timed out ({limit} s) waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started


def test_two_nodes_and_a_worker_share_one_state(tmp_path: Path, settings, shared_redis):
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    db = ExternalDatabase(tmp_path)
    common = db.env | {
        "DAILYPAPERS_CACHE_URL": REDIS_URL,
        "SECRET_KEY": "one key for every node",
        "PYTHONUNBUFFERED": "1",
        # Every scheduler has today's digest due at start.
        "DAILYPAPERS_DIGEST_TIME": "00:00",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "DAILYPAPERS_KEYWORD_FOLLOW_SECONDS": str(FOLLOW_SECONDS),
        "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0",
        # No model to build in the subprocesses.
        "DAILYPAPERS_EMBEDDER": "dailypapers.search.tests.hashing_embedder.HashingEmbedder",
        "DAILYPAPERS_RATE_LOGIN_PER_ACCOUNT": "5/hour",
        "DAILYPAPERS_RATE_LOGIN_PER_CLIENT": "1000/hour",
        "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT": "1000/hour",
        "DAILYPAPERS_RATE_VOTE_PER_CLIENT": "1000/hour",
        "DAILYPAPERS_TRUSTED_PROXIES": "127.0.0.1",
    }
    made = db.run("shell", "-c", SETUP)
    assert made.returncode == 0, made.stderr
    vote_token = made.stdout.strip().splitlines()[-1]
    envs = {name: common | {"DAILYPAPERS_DATA_DIR": str(tmp_path / name)} for name in "ab"}
    ports = {name: free_port() for name in "ab"}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    nodes = {
        name: Node(envs[name], "serve", "--port", ports[name], "--workers", 2, "--no-indexer")
        for name in "ab"
    }
    worker = Node(envs["a"], "worker", "--queues", "default")
    try:
        for name, node in nodes.items():
            wait_until_answering(urls[name], node.process, timeout=120)
        a, b = urls["a"], urls["b"]
        page = f"/papers/{PAPER}"

        # An upvote on A, seen at once by a reader signed in on B; anonymous readers
        # of B within the cache time.
        anonymous = Visitor()
        assert upvotes_shown(anonymous.get(b + page)) == 0
        ada = Visitor()
        login = ada.get(f"{b}/accounts/login/")
        fields = {"csrfmiddlewaretoken": form_token(login), "username": "ada", "password": PASSWORD}
        assert ada.post(f"{b}/accounts/login/", fields) == (302, "/papers")
        voted = ada.post(
            f"{a}{page}/upvote", {"csrfmiddlewaretoken": form_token(ada.get(a + page))}
        )
        assert voted == (302, page)
        assert upvotes_shown(ada.get(b + page)) == 1
        cache_seconds = settings.PAGE_CACHE_SECONDS
        wait_for(
            lambda: upvotes_shown(anonymous.get(b + page)) == 1, "anonymous B", cache_seconds + 2
        )

        # A paper imported through node A (its data dir, its index) is found on B.
        arrived = tmp_path / "arrived.jsonl"
        arrived.write_text(json.dumps(arxiv_row("2412.09999", title="Quokka locomotion")) + "\n")
        imported = subprocess.run(
            [sys.executable, "-m", "dailypapers", "import", str(arrived)],
            env=envs["a"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert imported.returncode == 0, imported.stderr

        def found_on_b() -> bool:
            # With a token, past the shared answers: a poll made before B's index caught
            # up would otherwise be the answer every later poll gets, for the cache time
            # (an anonymous reader waits the lag plus that time: shared_answers.py).
            status, body = answer(f"{b}/api/papers/search?q=quokka", token=vote_token)
            return status == 200 and "2412.09999" in body.decode()

        wait_for(found_on_b, "the import on B's index", DOCUMENTED_LAG + SLACK)

        # The day's digest: three schedulers (two nodes' workers, the worker), one mail.
        wait_for(lambda: inbox.to("reader@example.org"), "the digest", 120)
        time.sleep(3)  # every scheduler has ticked again meanwhile
        assert len(inbox.to("reader@example.org")) == 1
        assert db.scalar("SELECT COUNT(*) FROM workers_scheduleclaim WHERE job = 'digests'") == 1

        # Failed logins alternating between the nodes stop at the limit, exactly.
        forms = {name: login_form(url) for name, url in urls.items()}
        statuses = Counter(
            failed_login(urls[name], forms[name], "ada", "198.51.100.9") for name in "ab" * 6
        )
        assert statuses == {200: 5, 429: 7}

        # Node A dies mid-requests: what it answered is stored, B keeps serving.
        def vote(arxiv_id: str) -> tuple[str, int]:
            return arxiv_id, answer(
                f"{a}/api/papers/{arxiv_id}/upvote", method="POST", token=vote_token
            )[0]

        with ThreadPoolExecutor(6) as pool:
            votes = [pool.submit(vote, arxiv_id) for arxiv_id in VOTED]
            # Killed once some votes are answered: the others are in flight or waiting.
            wait_for(lambda: sum(v.done() for v in votes) >= KILL_AFTER, "votes", 60)
            nodes["a"].stop(signal.SIGKILL)
            answered = dict(v.result() for v in votes)
        accepted = {arxiv_id for arxiv_id, status in answered.items() if status == 200}
        assert accepted, f"node A answered no vote before it died: {Counter(answered.values())}"
        assert accepted < set(VOTED), "node A was killed after the last vote: nothing was cut"
        voter_votes = (
            "SELECT COUNT(*) FROM papers_upvote WHERE user_id = "
            "(SELECT id FROM auth_user WHERE username = 'voter')"
        )
        for arxiv_id in accepted:
            assert db.scalar(f"{voter_votes} AND paper_id = '{arxiv_id}'") == 1, (
                f"{arxiv_id}: answered 200 by A, then lost"
            )
        # Every stored vote is counted on its paper, none half-written.
        assert (
            db.scalar(
                "SELECT COUNT(*) FROM papers_paper p WHERE p.upvotes <> "
                "(SELECT COUNT(*) FROM papers_upvote u WHERE u.paper_id = p.arxiv_id)"
            )
            == 0
        )
        assert answer(b + page)[0] == 200
        assert answer(f"{b}/api/papers/{PAPER}")[0] == 200
    except BaseException:
        for node in (*nodes.values(), worker):
            node.stop()
        print("".join(line for node in (*nodes.values(), worker) for line in node.output))
        raise
    finally:
        for node in (*nodes.values(), worker):
            node.stop()
        smtp.stop()
