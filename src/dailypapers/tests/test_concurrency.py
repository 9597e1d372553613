"""What many clients do at once, against a live ``dailypapers serve`` with several workers.

The tests share one database and one `serve` (3 workers × 4 threads): on
PostgreSQL the test database, emptied after each test; on SQLite a file the
module keeps, so each test uses its own papers, users and subscribers.
"""

import asyncio
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from dailypapers.conftest import ExternalDatabase, arxiv_row, free_port
from dailypapers.digests.tests.conftest import DAY, Inbox

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 3
# The clients are one network voting far faster than people: the campaign
# measures races, not the throttles (they have tests of their own).
SERVE_ENV = {
    "DAILYPAPERS_RATE_VOTE_PER_ACCOUNT": "100000/minute",
    "DAILYPAPERS_RATE_VOTE_PER_CLIENT": "100000/minute",
    # No background fetches from arXiv.
    "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0",
}


@dataclass
class Site:
    db: ExternalDatabase
    url: str


@pytest.fixture(scope="module")
def database(django_db_setup, tmp_path_factory) -> ExternalDatabase:
    return ExternalDatabase(tmp_path_factory.mktemp("crowd"))


@pytest.fixture(scope="module")
def site(database) -> Iterator[Site]:
    with database.serving(
        "--workers", WORKERS, "--threads", "4", "--no-indexer", env=SERVE_ENV
    ) as live:
        yield Site(database, live.url)


def post_json(url: str, body: dict, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def create_user_with_token(db: ExternalDatabase, username: str) -> str:
    created = db.run(
        "shell",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.create_user({username!r})",
    )
    assert created.returncode == 0, created.stderr
    issued = db.run("token", "create", username, "--name", "load")
    assert issued.returncode == 0, issued.stderr
    return next(word for word in issued.stdout.split() if word.startswith("dp_"))


def test_twenty_parallel_submissions_by_one_user_stop_at_the_daily_limit(
    site, write_jsonl, campaign
):
    db = site.db
    today = date.today().isoformat()
    ids = [f"2411.{n:05d}" for n in range(20)]
    imported = db.run(
        "import", write_jsonl("recent.jsonl", [arxiv_row(i, published=today) for i in ids])
    )
    assert imported.returncode == 0, imported.stderr
    token = create_user_with_token(db, "eager")

    with ThreadPoolExecutor(20) as pool:
        statuses = list(
            pool.map(
                lambda i: post_json(f"{site.url}/api/daily_papers", {"arxivId": i}, token), ids
            )
        )

    limit = 5  # DAILYPAPERS_SUBMISSIONS_PER_DAY's default
    campaign.record(
        f"20 parallel submissions by one user, {WORKERS} workers",
        f"{statuses.count(201)} accepted (limit {limit}), {statuses.count(429)} refused",
    )
    assert sorted(statuses) == [201] * limit + [429] * (20 - limit)
    listed = "SELECT COUNT(*) FROM papers_dailylisting WHERE paper_id LIKE '2411.%'"
    assert db.scalar(listed) == limit


# --- Two `digest send` runs at once -------------------------------------------------------

SUBSCRIBERS = """
from datetime import date, timedelta
from django.utils import timezone
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import DailyListing, Paper
day = date.fromisoformat({day!r})
for n in range(1, 4):
    paper, _ = Paper.objects.get_or_create(
        arxiv_id=f"2611.0000{{n}}", defaults={{"title": f"Paper {{n}}", "upvotes": n}}
    )
    DailyListing.objects.get_or_create(paper=paper, defaults={{"date": day}})
Subscription.objects.bulk_create(
    Subscription(
        email=address,
        confirmed_at=timezone.now() - timedelta(days=2),
        covered_until=timezone.now() - timedelta(days=1),
    )
    for address in {addresses!r}
)
"""


@dataclass
class Rendezvous(Inbox):
    """Holds each message until ``runs`` SMTP sessions have begun one: the runs overlap."""

    runs: int = 2
    timeout: float = 10
    sessions: set[int] = field(default_factory=set)
    all_here: asyncio.Event | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.all_here is None:
            self.all_here = asyncio.Event()
        self.sessions.add(id(session))
        if len(self.sessions) >= self.runs:
            self.all_here.set()
        try:
            await asyncio.wait_for(self.all_here.wait(), self.timeout)
        except TimeoutError:
            self.all_here.set()  # the others are not coming: wait no more
        return await super().handle_MAIL(server, session, envelope, address, mail_options)


@pytest.mark.parametrize("data_dirs", ["one data dir", "a data dir each"])
def test_two_digest_runs_started_together_send_each_subscriber_one_copy(
    database, tmp_path, data_dirs, campaign
):
    """Cron and `serve`'s scheduler on one machine (one data dir), or two machines
    sharing the database (a data dir each; on SQLite, DATABASE_URL names the file)."""
    count = campaign.size(40, 400)
    slug = data_dirs.replace(" ", "-")
    addresses = [f"{slug}-{n}@example.org" for n in range(count)]
    made = database.run("shell", "-c", SUBSCRIBERS.format(day=DAY.isoformat(), addresses=addresses))
    assert made.returncode == 0, made.stderr
    inbox = Rendezvous()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = database.env | {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        "DAILYPAPERS_BASE_URL": "https://papers.example.org",
        "DAILYPAPERS_DIGEST_RETRY_DELAY": "0.01",
        "SECRET_KEY": "one key for both runs",
    }
    envs = [env, env]
    if data_dirs == "a data dir each":
        shared = database.env.get("DATABASE_URL") or f"sqlite:///{database.sqlite_file}"
        envs[1] = env | {"DAILYPAPERS_DATA_DIR": str(tmp_path / "other"), "DATABASE_URL": shared}
    try:
        runs = [
            subprocess.Popen(
                database.command("digest", "send", "--date", DAY.isoformat()),
                env=run_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for run_env in envs
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        controller.stop()

    copies = Counter(m.recipients[0] for m in inbox.messages)
    lost = sum(1 for address in addresses if copies[address] == 0)
    duplicated = sum(copies[address] - 1 for address in addresses if copies[address] > 1)
    sent = [int(m[1]) if (m := re.search(r"(\d+) sent", out)) else 0 for out, _ in outputs]
    campaign.record(
        f"2 `digest send` runs started together ({data_dirs}), {count} subscribers",
        f"{lost} lost, {duplicated} duplicated; the runs sent {sent[0]} and {sent[1]}",
    )
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert (lost, duplicated) == (0, 0)
    assert sum(sent) == count and min(sent) > 0  # both took part
    sent_rows = "SELECT COUNT(*) FROM digests_digest d JOIN digests_subscription s "
    sent_rows += f"ON s.id = d.subscription_id WHERE d.status = 'sent' AND s.email LIKE '{slug}-%'"
    assert database.scalar(sent_rows) == count
