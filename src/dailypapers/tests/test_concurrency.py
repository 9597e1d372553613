"""What many clients do at once, against a live ``dailypapers serve`` with several workers.

The tests share one database and one `serve` (3 workers × 4 threads): on
PostgreSQL the test database, emptied after each test; on SQLite a file the
module keeps, so each test uses its own papers, users and subscribers.
"""

import asyncio
import json
import random
import re
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from http.cookiejar import CookieJar

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

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


# --- Voters: API clients with tokens, and people signed in on the site -------------------

PASSWORD = "correct horse battery staple"


def rows(db: ExternalDatabase, sql: str) -> list[tuple]:
    if db.sqlite_file is None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    with sqlite3.connect(db.sqlite_file) as sqlite:
        return sqlite.execute(sql).fetchall()


CROWD = """
import json
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from dailypapers.community.models import ApiToken
from dailypapers.papers.models import Paper
for arxiv_id in {papers!r}:
    Paper.objects.create(
        arxiv_id=arxiv_id, version=1, title=f"Paper {{arxiv_id}}", abstract="A method.",
        categories="cs.LG", primary_category="cs.LG",
    )
tokens = {{}}
for name in {api!r}:
    tokens[name] = ApiToken.objects.issue(User.objects.create(username=name), name="crowd")[1]
hashed = make_password({password!r})  # once: every site client has the same password
for name in {people!r}:
    User.objects.create(username=name, password=hashed)
print(json.dumps(tokens))
"""


def make_crowd(
    db: ExternalDatabase, papers: list[str], api: list[str], people: list[str]
) -> dict[str, str]:
    """The papers, the API clients (whose tokens it returns) and the people (PASSWORD)."""
    made = db.run(
        "shell",
        "-c",
        CROWD.format(papers=papers, api=api, people=people, password=PASSWORD),
    )
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout.strip().splitlines()[-1])


@dataclass
class Tally:
    """What the clients saw, across threads."""

    statuses: Counter = field(default_factory=Counter)
    # Answers that were not what this client's own moves imply (its vote's state).
    wrong: list[str] = field(default_factory=list)
    # 5xx answers, no answer at all, and answers saying the database was locked.
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int, body: str, what: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500 or "database is locked" in body:
                self.errors.append(f"{what}: {status} {body[:200]}")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


class Client:
    """One HTTP client with its own cookies (a person's browser) or token (a script)."""

    def __init__(self, url: str, tally: Tally, token: str | None = None):
        self.url, self.tally, self.token = url, tally, token
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def call(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> tuple[int, str]:
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with self.opener.open(request, timeout=60) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode(errors="replace")
        except OSError as error:
            # No answer at all (reset, timeout): as bad as a 5xx.
            status, body = 599, f"{type(error).__name__}: {error}"
        self.tally.saw(status, body, f"{method} {path}")
        return status, body

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")

    def log_in(self, username: str) -> None:
        """Through the login form, with the CSRF token it carries."""
        status, page = self.call("GET", "/accounts/login/")
        assert status == 200, page
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        status, _ = self.call("POST", "/accounts/login/", form)
        assert status == 200 and self.cookie("sessionid"), f"{username} could not log in"

    def toggle(self, paper: str) -> bool | None:
        """The site's htmx upvote button: the viewer's state after the toggle."""
        headers = {"HX-Request": "true", "X-CSRFToken": self.cookie("csrftoken")}
        status, fragment = self.call("POST", f"/papers/{paper}/upvote", {}, headers)
        pressed = re.search(r'aria-pressed="(true|false)"', fragment)
        return pressed[1] == "true" if status == 200 and pressed else None

    def vote(self, paper: str, up: bool) -> bool | None:
        """The API's upvote (POST) or withdrawal (DELETE)."""
        status, body = self.call("POST" if up else "DELETE", f"/api/papers/{paper}/upvote")
        return json.loads(body)["upvoted"] if status == 200 else None

    def paper_page(self, paper: str) -> tuple[bool, int]:
        """The paper's page for this signed-in person: their upvote state, and the count."""
        status, page = self.call("GET", f"/papers/{paper}")
        assert status == 200, page
        button = re.search(
            rf'action="/papers/{re.escape(paper)}/upvote".*?aria-pressed="(true|false)"'
            r'.*?data-testid="upvotes">(\d+)<',
            page,
            re.DOTALL,
        )
        return button[1] == "true", int(button[2])


def moves_of(rng: random.Random, papers: list[str], count: int) -> list[tuple[str, bool]]:
    """(paper, upvote or withdraw): an API client's moves; a person only toggles."""
    return [(rng.choice(papers), rng.random() < 0.6) for _ in range(count)]


def play(client: Client, name: str, moves: Iterable[tuple[str, bool]], by_toggle: bool) -> set:
    """Make the moves one after another; the (user, paper) votes they leave."""
    state: dict[str, bool] = {}
    for paper, up in moves:
        if by_toggle:
            expected = not state.get(paper, False)
            answer = client.toggle(paper)
        else:
            expected = up
            answer = client.vote(paper, up)
        state[paper] = expected
        if answer is not None and answer != expected:
            with client.tally.lock:
                client.tally.wrong.append(f"{name} {paper}: {answer}, expected {expected}")
    return {(name, paper) for paper, up in state.items() if up}


@dataclass
class Count:
    """Each paper's votes, every way the site can tell."""

    lost: int
    duplicated: int
    disagreements: list[str]


def count_votes(site: Site, papers: list[str], expected: set, reader: Client, token: str) -> Count:
    """Compare the votes the moves imply with the rows, the stored counter, the API's
    ``upvotes`` and the count on the paper's page (for a signed-in reader: fresh)."""
    ids = ", ".join(f"'{p}'" for p in papers)
    stored = set(
        rows(
            site.db,
            "SELECT u.username, v.paper_id FROM papers_upvote v "
            f"JOIN auth_user u ON u.id = v.user_id WHERE v.paper_id IN ({ids})",
        )
    )
    counters = dict(
        rows(site.db, f"SELECT arxiv_id, upvotes FROM papers_paper WHERE arxiv_id IN ({ids})")
    )
    api = Client(site.url, reader.tally, token)
    lost, duplicated = len(expected - stored), len(stored - expected)
    disagreements = []
    for paper in papers:
        want = sum(1 for _, p in expected if p == paper)
        lost += max(0, want - counters[paper])
        duplicated += max(0, counters[paper] - want)
        status, body = api.call("GET", f"/api/papers/{paper}")
        shown = {
            "counter": counters[paper],
            "API": json.loads(body)["upvotes"] if status == 200 else status,
            "page": reader.paper_page(paper)[1],
        }
        if set(shown.values()) != {want}:
            disagreements.append(f"{paper}: {want} votes, {shown}")
    return Count(lost, duplicated, disagreements)


def test_fifty_clients_voting_at_once_leave_exact_counts(site, campaign):
    clients = campaign.size(50, 200)
    moves_each = campaign.size(8, 30)
    papers = [f"2412.{n:05d}" for n in range(6)]
    api = [f"script{n}" for n in range(clients * 3 // 5)]
    people = [f"person{n}" for n in range(clients - len(api))]
    tokens = make_crowd(site.db, papers, api, people)
    rng = random.Random(12)
    moves = {name: moves_of(rng, papers, moves_each) for name in api + people}
    tally = Tally()
    start = threading.Barrier(clients, timeout=120)

    def run(name: str) -> tuple[Client, set]:
        client = Client(site.url, tally, tokens.get(name))
        if name in people:
            client.log_in(name)
        start.wait()  # every client signed in: all vote at once
        return client, play(client, name, moves[name], by_toggle=name in people)

    with ThreadPoolExecutor(clients) as pool:
        played = list(pool.map(run, api + people))
    expected = set().union(*(votes for _, votes in played))
    reader = next(client for client, _ in played if client.token is None)
    count = count_votes(site, papers, expected, reader, next(iter(tokens.values())))

    votes = clients * moves_each
    campaign.record(
        f"{clients} clients ({len(api)} with API tokens, {len(people)} signed in on the site) "
        f"voting and withdrawing at once: {votes} votes on {len(papers)} papers, "
        f"{WORKERS} workers",
        f"{count.lost} lost, {count.duplicated} duplicated, {tally.server_errors} 5xx "
        f"in {tally.requests} requests; {len(count.disagreements)} papers whose counter, "
        "rows, API and page disagree",
    )
    assert (count.lost, count.duplicated, tally.errors, tally.wrong) == (0, 0, [], [])
    assert count.disagreements == []
    assert tally.requests >= votes


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


# --- An import while the site serves --------------------------------------------------------


def moves_until(
    done: threading.Event, rng: random.Random, papers: list[str], at_least: int
) -> Iterator[tuple[str, bool]]:
    """Moves as ``moves_of`` makes them, until ``done`` (and at least ``at_least``)."""
    made = 0
    while made < at_least or not done.is_set():
        yield rng.choice(papers), rng.random() < 0.6
        made += 1


def read_until(client: Client, done: threading.Event, rng: random.Random, ids: list[str]) -> None:
    """An anonymous reader's pages and API calls: papers (maybe not imported yet: 404),
    lists, and searches that no cache has answered before."""
    while not done.is_set():
        paper, words = rng.choice(ids), f"method+{rng.randrange(10**6)}"
        path = rng.choice(
            [
                f"/papers/{paper}",
                f"/api/papers/{paper}",
                "/papers/new",
                "/api/daily_papers",
                f"/papers?q={words}",
                f"/api/papers/search?q={words}",
            ]
        )
        client.call("GET", path)


def test_an_import_while_the_site_serves_reads_and_votes_loses_nothing(site, write_jsonl, campaign):
    count = campaign.size(3000, 30000)
    ids = [f"2501.{n:05d}" for n in range(count)]
    # The voted papers are in the catalog before the import, which rewrites them (version 2).
    voted = ids[:: count // 4][:4]
    api, people, readers = [f"importer-fan{n}" for n in range(6)], ["reader0", "reader1"], 2
    tokens = make_crowd(site.db, voted, api, people)
    path = write_jsonl("big.jsonl", [arxiv_row(i, version=2) for i in ids])
    tally, done = Tally(), threading.Event()
    voters = [Client(site.url, tally, tokens.get(name)) for name in api + people]
    for name, client in zip(api + people, voters, strict=True):
        if name in people:
            client.log_in(name)

    def vote(index: int) -> set:
        name = (api + people)[index]
        moves = moves_until(done, random.Random(f"{name}-12"), voted, at_least=10)
        return play(voters[index], name, moves, by_toggle=name in people)

    with ThreadPoolExecutor(len(voters) + readers) as pool:
        reading = [
            pool.submit(read_until, Client(site.url, tally), done, random.Random(n), ids)
            for n in range(readers)
        ]
        voting = [pool.submit(vote, index) for index in range(len(voters))]
        started = time.monotonic()
        try:
            imported = subprocess.run(
                site.db.command("import", path),
                env=site.db.env,
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            done.set()
        seconds = time.monotonic() - started
        expected = set().union(*(future.result() for future in voting))
        for future in reading:
            future.result()
    count_of = count_votes(site, voted, expected, voters[-1], next(iter(tokens.values())))
    in_catalog = site.db.scalar(
        "SELECT COUNT(*) FROM papers_paper WHERE arxiv_id LIKE '2501.%' AND version = 2"
    )
    locked = sum(1 for error in tally.errors if "database is locked" in error)
    locked += imported.stderr.count("database is locked")

    campaign.record(
        f"`import` of {count} records ({seconds:.0f} s) while {readers} readers and "
        f"{len(voters)} voters used the site, {WORKERS} workers",
        f"{in_catalog}/{count} records imported; {tally.server_errors} 5xx and {locked} "
        f"'database is locked' in {tally.requests} requests; {count_of.lost} lost, "
        f"{count_of.duplicated} duplicated votes",
    )
    assert imported.returncode == 0, imported.stderr
    assert in_catalog == count
    assert (tally.errors, locked, tally.wrong) == ([], 0, [])
    assert (count_of.lost, count_of.duplicated, count_of.disagreements) == (0, 0, [])
