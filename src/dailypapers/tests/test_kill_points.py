"""kill -9 at random moments of `import`, `index`, `harvest`, `sync-hf` and `digest send`,
each followed by a re-run: nothing lost, nothing duplicated, no half-written paper, the
search indexes level with the catalog, and every subscriber one copy of each digest.

Each command runs as a real subprocess, on small fresh input for each round (new papers,
new days, a new digest date), against local stand-ins for arXiv's OAI-PMH interface and
API, Hugging Face's daily lists and an SMTP server. Its `--help` measures how long the
interpreter, Django and the command's imports take before any work starts (a kill there
interrupts nothing), and a first run, left to finish, how long the whole command takes.
Each round then starts the command and sends it SIGKILL after a random delay between the
two, does the same to its re-run (a kill while resuming), runs it once more to the end,
and audits the whole catalog, the keyword index and the embeddings against everything
fed in so far. The delays come from DAILYPAPERS_KILL_SEED (printed with the figures;
random when unset): set it to replay a campaign's moments, up to the machine's timing.
"""

import asyncio
import os
import random
import shutil
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from dailypapers.conftest import ExternalDatabase, arxiv_row, canned_http_server, free_port
from dailypapers.digests.tests.conftest import Inbox
from dailypapers.ingest.tests.stand_ins import OaiStandIn, hf_row, stand_in_environment
from dailypapers.search import backends
from dailypapers.search.embeddings import paper_text, text_hash
from dailypapers.search.keyword_tantivy import TantivyIndex

pytestmark = pytest.mark.django_db(transaction=True)

SEED = int(os.environ.get("DAILYPAPERS_KILL_SEED") or random.SystemRandom().randrange(10**6))
COMMANDS = 5
# Kills per input: the first run, and the re-run resuming it; the next re-run finishes.
KILLS_PER_INPUT = 2
# Inputs tried, at most, per kill point wanted (a run may finish before its kill).
ATTEMPTS_PER_KILL = 2


def kill_points(campaign) -> int:
    """This command's share of the campaign: 20 kill points in CI, 100 with --long."""
    return campaign.size(20, 100) // COMMANDS


def query(db: ExternalDatabase, sql: str) -> list[tuple]:
    """Rows of the database the subprocesses write to."""
    if db.sqlite_file is None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    with closing(sqlite3.connect(db.sqlite_file)) as database:
        return database.execute(sql).fetchall()


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path | None:
    """One migrated SQLite file for the module, copied for each test: migrating takes seconds."""
    if connection.vendor != "sqlite":
        return None
    template = ExternalDatabase(tmp_path_factory.mktemp("template"))
    return template.sqlite_file


@pytest.fixture
def external(tmp_path, migrated_sqlite, settings) -> ExternalDatabase:
    """A fresh, migrated database for the subprocesses, with the session's embedding model
    (built here, if no test has yet, so that no timed run builds it)."""
    backends.embedder().embed_query("the model is loaded, so built, by its first query")
    db = ExternalDatabase(tmp_path, migrate=False)
    if migrated_sqlite is not None:
        db.sqlite_file.parent.mkdir(mode=0o700)
        shutil.copy(migrated_sqlite, db.sqlite_file)
    db.env |= {
        "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
        "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
        "DAILYPAPERS_ARXIV_REQUEST_DELAY": "0",
    }
    return db


# The kill points


@dataclass
class KillCampaign:
    """Runs one command to the end once (its duration), then kills and re-runs it."""

    command: str
    db: ExternalDatabase
    wanted: int
    # Seconds before the command starts working, and until it has finished.
    startup: float = 0.0
    duration: float = 0.0
    # Share of its input's work (rows, listings, embeddings) stored when a run was killed,
    # one per kill point.
    progress: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{SEED}/{self.command}")

    def measure(self, args: list) -> None:
        """Time the command's startup (its `--help`), then a whole run on ``args``."""
        started = time.monotonic()
        self.run_to_the_end([*self.command.split(), "--help"])
        self.startup = time.monotonic() - started
        started = time.monotonic()
        self.run_to_the_end(args)
        self.duration = time.monotonic() - started

    def run_to_the_end(self, args: list) -> None:
        done = self.db.run(*args)
        assert done.returncode == 0, f"{self.where()}: {args} failed:\n{done.stderr}"

    def points(self, prepare: Callable[[int], list], done: Callable[[int], float]) -> Iterator[int]:
        """Kill points on new input (``prepare`` makes a generation of it) until there
        are enough: the command is started and killed at random, its re-run too (a kill
        while resuming), and the next re-run is left to finish. Yields each generation
        once a run has finished it, to be audited; ``done`` tells how much of a
        generation's work is stored, for the figures."""
        generation = 0
        while len(self.progress) < self.wanted:
            generation += 1
            assert generation <= ATTEMPTS_PER_KILL * self.wanted, (
                f"{self.where()}: the command kept finishing before its kill"
            )
            args = prepare(generation)
            for attempt in range(KILLS_PER_INPUT):
                if len(self.progress) == self.wanted:
                    self.run_to_the_end(args)
                    break
                if not self.kill_at_random(args, resumed=attempt > 0):
                    break
                self.progress.append(done(generation))
            else:
                self.run_to_the_end(args)
            yield generation

    def kill_at_random(self, args: list, resumed: bool) -> bool:
        """Start the command and SIGKILL it at a random moment of its work; False if it
        finished first (a first run's time is then the new estimate: the machine got faster)."""
        delay = self.rng.uniform(*self.window())
        started = time.monotonic()
        process = subprocess.Popen(
            self.db.command(*args),
            env=self.db.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _, err = process.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return True
        assert process.returncode == 0, f"{self.where()}: {args} failed:\n{err.decode()}"
        if not resumed:
            self.duration = time.monotonic() - started
        return False

    def window(self) -> tuple[float, float]:
        """Seconds into a run between which kills fall: after the startup, but in the second
        half at the latest (on a busy machine a `--help` may outlast a later whole run)."""
        return min(self.startup, self.duration / 2), self.duration

    def where(self) -> str:
        return f"`{self.command}`, kill point {len(self.progress)} (DAILYPAPERS_KILL_SEED={SEED})"

    def tried(self) -> str:
        shares = ", ".join(f"{share:.0%}" for share in self.progress)
        return (
            f"kill -9 at {len(self.progress)} random points of `{self.command}` "
            f"({'-'.join(f'{t:.1f}' for t in self.window())} s in; "
            f"work stored at the kill: {shares}), "
            f"each re-run; seed {SEED}"
        )


# The audit of the catalog and the search indexes


@dataclass
class Expected:
    """Everything fed to the commands so far, as the catalog should hold it."""

    # arxiv id -> (title, abstract, authors)
    papers: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    # arxiv id -> the upvotes the listing's source reported
    upvotes: dict[str, int] = field(default_factory=dict)
    # arxiv id -> the day it is listed
    listings: dict[str, str] = field(default_factory=dict)

    def paper(self, row: dict) -> None:
        self.papers[row["id"]] = (row["title"], row["abstract"], tuple(row["authors"]))

    def listing(self, row: dict) -> None:
        self.listings[row["id"]] = row["date"]
        self.upvotes[row["id"]] = row["upvotes"]


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    index: list[str] = field(default_factory=list)

    def __iadd__(self, other: "Findings") -> "Findings":
        for name in ("lost", "duplicated", "half_written", "index"):
            getattr(self, name).extend(getattr(other, name))
        return self

    def result(self) -> str:
        return (
            f"{len(self.lost)} lost, {len(self.duplicated)} duplicated, "
            f"{len(self.half_written)} half-written, {len(self.index)} index disagreements"
        )


def keyword_ids(db: ExternalDatabase) -> list[str]:
    # The subprocesses' Tantivy index, in their data dir, on either database.
    return TantivyIndex(Path(db.env["DAILYPAPERS_DATA_DIR"]) / "index" / "keyword").ids()


def audit(db: ExternalDatabase, expected: Expected) -> Findings:
    found = Findings()
    papers = {
        arxiv_id: (title, abstract, imported, upvotes)
        for arxiv_id, title, abstract, imported, upvotes in query(
            db, "SELECT arxiv_id, title, abstract, imported_upvotes, upvotes FROM papers_paper"
        )
    }
    authors: dict[str, list[str]] = {}
    for paper_id, name in query(
        db,
        "SELECT s.paper_id, a.name FROM papers_authorship s "
        "JOIN papers_author a ON a.id = s.author_id ORDER BY s.paper_id, s.position",
    ):
        authors.setdefault(paper_id, []).append(name)
    listings = Counter()
    listed_on = {}
    for paper_id, day in query(db, "SELECT paper_id, date FROM papers_dailylisting"):
        listings[paper_id] += 1
        listed_on[paper_id] = str(day)
    local_votes = Counter(
        dict(query(db, "SELECT paper_id, COUNT(*) FROM papers_upvote GROUP BY paper_id"))
    )

    for arxiv_id, (title, abstract, names) in expected.papers.items():
        if arxiv_id not in papers:
            found.lost.append(f"paper {arxiv_id}")
            continue
        stored = papers[arxiv_id]
        if (stored[0], stored[1], tuple(authors.get(arxiv_id, ()))) != (title, abstract, names):
            found.half_written.append(
                f"{arxiv_id}: {stored[:2]} by {authors.get(arxiv_id)}, "
                f"not {(title, abstract)} by {list(names)}"
            )
    found.duplicated += [f"paper {i} was never fed in" for i in papers if i not in expected.papers]
    found.duplicated += [
        f"{paper_id}: {name} is an author twice"
        for paper_id, names in authors.items()
        for name, count in Counter(names).items()
        if count > 1
    ]
    for arxiv_id, day in expected.listings.items():
        if listed_on.get(arxiv_id) != day:
            found.lost.append(f"listing of {arxiv_id} on {day} (found {listed_on.get(arxiv_id)})")
    found.duplicated += [f"{i} listed {n} times" for i, n in listings.items() if n > 1]
    for arxiv_id, (_, _, imported, upvotes) in papers.items():
        wanted = expected.upvotes.get(arxiv_id, 0)
        counted = (imported, upvotes)
        if counted != (wanted, wanted + local_votes[arxiv_id]):
            bucket = found.duplicated if imported > wanted else found.lost
            bucket.append(f"{arxiv_id}: upvotes (imported, total) {counted}, {wanted} reported")

    indexed = Counter(keyword_ids(db))
    found.index += [f"{i} not in the keyword index" for i in papers if i not in indexed]
    found.index += [
        f"{i} in the keyword index, not in the catalog" for i in indexed if i not in papers
    ]
    found.index += [f"{i} in the keyword index {n} times" for i, n in indexed.items() if n > 1]
    model = backends.embedder().name
    embedded = {
        paper_id: (stored_model, stored_hash)
        for paper_id, stored_model, stored_hash in query(
            db, "SELECT paper_id, model, text_hash FROM search_paperembedding"
        )
    }
    for arxiv_id, (title, abstract, _, _) in papers.items():
        if abstract and embedded.get(arxiv_id) != (model, text_hash(paper_text(title, abstract))):
            found.index.append(f"{arxiv_id}: no current embedding ({embedded.get(arxiv_id)})")
    found.index += [f"embedding of {i}, not in the catalog" for i in embedded if i not in papers]
    return found


def stored(db: ExternalDatabase, **wanted: list[str]) -> float:
    """The share of the rows wanted (paper ids by table: ``papers_paper=[...]``) that are
    stored: how much of a run's work a kill left done."""
    found = 0
    for table, ids in wanted.items():
        column = "arxiv_id" if table == "papers_paper" else "paper_id"
        quoted = ", ".join(f"'{i}'" for i in ids)
        found += db.scalar(f"SELECT COUNT(*) FROM {table} WHERE {column} IN ({quoted})")
    return found / sum(len(ids) for ids in wanted.values())


def assert_clean(found: Findings, kills: KillCampaign) -> None:
    assert not (found.lost or found.duplicated or found.half_written or found.index), (
        f"{kills.where()}: {found.result()}: {found}"
    )


# Input: every generation's papers are new, with text of their own (embeddings are cached
# by text: a vector found in the cache would hide the work).

TOPICS = ("sparse", "attention", "diffusion", "graphs", "robots", "retrieval", "agents", "proofs")


def paper_row(arxiv_id: str, rng: random.Random) -> dict:
    topic = " ".join(rng.sample(TOPICS, 3))
    return arxiv_row(
        arxiv_id,
        title=f"On {topic} ({arxiv_id})",
        abstract=f"We study {topic} in {arxiv_id}. It helps on {rng.randrange(2, 99)} tasks.",
        authors=[f"Author {arxiv_id}", rng.choice(["Ada Lovelace", "Alan Turing"])],
    )


def ids(prefix: str, generation: int, count: int) -> list[str]:
    return [f"{prefix}.{generation:02d}{n:03d}" for n in range(1, count + 1)]


def run_campaign(kills: KillCampaign, expected: Expected, prepare, done, campaign) -> None:
    """Measure on generation 0, kill and re-run on the next ones, audit after each."""
    kills.measure(prepare(0))
    found = audit(kills.db, expected)
    assert_clean(found, kills)
    for _ in kills.points(prepare, done):
        found += audit(kills.db, expected)
        assert_clean(found, kills)
    campaign.record(kills.tried(), found.result())
    assert len(kills.progress) == kills.wanted


def test_import_killed_at_random_points_then_rerun_stores_every_record_once(
    external, write_jsonl, campaign
):
    expected, rng = Expected(), random.Random(f"{SEED}/import input")

    def prepare(generation: int) -> list:
        new = ids("2501", generation, 53)
        papers = [paper_row(arxiv_id, rng) for arxiv_id in new[:20]]
        day = str(date(2025, 2, 1) + timedelta(days=generation))
        # Listings of five of those papers, of three papers known only from their listing,
        # and of thirty more without an abstract (the archive has such rows): placeholders.
        listed = [hf_row(arxiv_id, day, upvotes=rng.randrange(1, 50)) for arxiv_id in new[15:23]]
        listed += [hf_row(arxiv_id, day, abstract=None, upvotes=1) for arxiv_id in new[23:]]
        for row in papers:
            expected.paper(row)
        for row in listed:
            expected.listing(row)
            if not row["abstract"]:
                expected.papers[row["id"]] = (row["title"], "", ())
            elif row["id"] not in expected.papers:
                expected.paper(row)
        return [
            "import",
            write_jsonl(f"papers-{generation}.jsonl", papers),
            write_jsonl(f"listings-{generation}.jsonl", listed),
            "--batch-size",
            "2",
        ]

    def done(generation: int) -> float:
        new = ids("2501", generation, 53)
        return stored(
            external,
            papers_paper=new,
            papers_dailylisting=new[15:],
            search_paperembedding=new[:23],
        )

    kills = KillCampaign("import", external, kill_points(campaign))
    run_campaign(kills, expected, prepare, done, campaign)


# The import command's own reader and batches, without its search update: papers that
# wait for `dailypapers index`.
STORE_WITHOUT_SEARCH = """
from pathlib import Path
from dailypapers.ingest.importer import import_file
import_file(Path({path!r}))
"""


def test_index_killed_at_random_points_then_rerun_indexes_and_embeds_every_paper_once(
    external, write_jsonl, campaign
):
    expected, rng = Expected(), random.Random(f"{SEED}/index input")

    def prepare(generation: int) -> list:
        papers = [paper_row(arxiv_id, rng) for arxiv_id in ids("2502", generation, 24)]
        path = write_jsonl(f"papers-{generation}.jsonl", papers)
        written = external.run("shell", "-c", STORE_WITHOUT_SEARCH.format(path=str(path)))
        assert written.returncode == 0, written.stderr
        for row in papers:
            expected.paper(row)
        return ["index", "--batch-size", "2"]

    def done(generation: int) -> float:
        return stored(external, search_paperembedding=ids("2502", generation, 24))

    kills = KillCampaign("index", external, kill_points(campaign))
    run_campaign(kills, expected, prepare, done, campaign)


@pytest.fixture
def oai_stand_in(external) -> Iterator[OaiStandIn]:
    stand_in = OaiStandIn(page_size=3)
    with canned_http_server(stand_in.reply) as server:
        stand_in.url = external.env["DAILYPAPERS_ARXIV_OAI_URL"] = f"{server.url}/oai"
        yield stand_in


def test_harvest_killed_at_random_points_then_rerun_stores_every_record_once(
    external, oai_stand_in, campaign
):
    # arXiv asks for seconds between requests: here a fifth, so that pages take a while.
    external.env["DAILYPAPERS_ARXIV_REQUEST_DELAY"] = "0.2"
    expected, rng = Expected(), random.Random(f"{SEED}/harvest input")

    def prepare(generation: int) -> list:
        first = date(2025, 1, 1) + timedelta(days=3 * generation)
        days = [str(first), str(first + timedelta(days=1))]
        for n, arxiv_id in enumerate(ids("2503", generation, 15)):
            row = paper_row(arxiv_id, rng)
            oai_stand_in.records.append((days[n % 2], row))
            expected.paper(row)
        return ["harvest", "--from", days[0], "--until", days[1], "--set", "cs"]

    def done(generation: int) -> float:
        new = ids("2503", generation, 15)
        return stored(external, papers_paper=new, search_paperembedding=new)

    kills = KillCampaign("harvest", external, kill_points(campaign))
    run_campaign(kills, expected, prepare, done, campaign)


def test_sync_hf_killed_at_random_points_then_rerun_stores_every_listing_once(
    external, hf_api, arxiv_stand_in, settings, campaign
):
    external.env |= stand_in_environment(settings)
    # Requests spaced a little, as against the real sites; two items a page, so that a
    # day takes several requests.
    external.env |= {
        "DAILYPAPERS_HF_REQUEST_DELAY": "0.1",
        "DAILYPAPERS_ARXIV_REQUEST_DELAY": "0.1",
    }
    hf_api.max_limit = 2
    expected, rng = Expected(), random.Random(f"{SEED}/sync-hf input")

    def prepare(generation: int) -> list:
        first = date(2024, 5, 1) + timedelta(days=3 * generation)
        days = [str(first), str(first + timedelta(days=1))]
        for n, arxiv_id in enumerate(ids("2504", generation, 10)):
            listing = hf_row(
                arxiv_id, days[n % 2], upvotes=rng.randrange(1, 90), authors=["Listed Author"]
            )
            hf_api.add([listing])
            expected.listing(listing)
            # arXiv knows eight of the ten: the other two keep their listing's data.
            if n < 8:
                arxiv_stand_in.papers[arxiv_id] = paper_row(arxiv_id, rng)
                expected.paper(arxiv_stand_in.papers[arxiv_id])
            else:
                expected.paper(listing)
        return ["sync-hf", "--from", days[0], "--until", days[1]]

    def done(generation: int) -> float:
        new = ids("2504", generation, 10)
        return stored(
            external, papers_paper=new, papers_dailylisting=new, search_paperembedding=new
        )

    kills = KillCampaign("sync-hf", external, kill_points(campaign))
    run_campaign(kills, expected, prepare, done, campaign)


# Digests

SUBSCRIBERS = 16
# What the SMTP server takes over each message: sending is a good part of the run.
SMTP_SECONDS = 0.05
# Papers listed on each day a digest is sent for, and the subscribers.
POPULATE = """
from datetime import date, timedelta
from django.utils import timezone
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import DailyListing, Paper
for n, day in enumerate({days!r}):
    for k in (1, 2):
        paper = Paper.objects.create(
            arxiv_id=f"2505.{{n:02d}}{{k:03d}}", title=f"Paper {{k}} of {{day}}", upvotes=k
        )
        DailyListing.objects.create(paper=paper, date=date.fromisoformat(day))
for n in range({subscribers}):
    Subscription.objects.create(
        email=f"reader{{n}}@example.org",
        confirmed_at=timezone.now() - timedelta(days=2),
        covered_until=timezone.now() - timedelta(days=1),
    )
"""


class SlowInbox(Inbox):
    """An SMTP server that takes a while over each message, as real ones do."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


def weekdays(first: date, count: int) -> list[str]:
    days = (first + timedelta(days=n) for n in range(2 * count))
    return [str(day) for day in days if day.weekday() < 5][:count]


def test_digest_send_killed_at_random_points_then_rerun_sends_each_subscriber_one_copy(
    external, campaign
):
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    kills = KillCampaign("digest send", external, kill_points(campaign))
    days = weekdays(date(2026, 11, 2), ATTEMPTS_PER_KILL * kills.wanted + 1)
    external.env |= {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        "DAILYPAPERS_BASE_URL": "https://papers.example.org",
        "DAILYPAPERS_DIGEST_RETRY_DELAY": "0.01",
    }
    populated = external.run("shell", "-c", POPULATE.format(days=days, subscribers=SUBSCRIBERS))
    assert populated.returncode == 0, populated.stderr
    # Where each day's messages start in the inbox.
    first_message: dict[int, int] = {}
    found, delivered_again = Findings(), 0

    def prepare(generation: int) -> list:
        first_message[generation] = len(inbox.messages)
        return ["digest", "send", "--date", days[generation], "--period", "daily"]

    def done(generation: int) -> float:
        received = inbox.messages[first_message[generation] :]
        served = {address for message in received for address in message.recipients}
        return len(served) / SUBSCRIBERS

    def audit_digests(generation: int) -> Findings:
        """Each subscriber one message for the day: delivered once, or again as the same
        message (same Message-ID) after a kill between the end of the message and its record."""
        nonlocal delivered_again
        day, deliveries = Findings(), {}
        for received in inbox.messages[first_message[generation] :]:
            for address in received.recipients:
                deliveries.setdefault(address, []).append(received.message["Message-ID"])
        for n in range(SUBSCRIBERS):
            message_ids = deliveries.get(f"reader{n}@example.org", [])
            if not message_ids:
                day.lost.append(f"reader{n}: no digest of {days[generation]}")
            if len(set(message_ids)) > 1:
                day.duplicated.append(f"reader{n}: {set(message_ids)} on {days[generation]}")
            delivered_again += len(message_ids) - len(set(message_ids))
        statuses = dict(
            query(
                external,
                "SELECT status, COUNT(*) FROM digests_digest "
                f"WHERE period = 'daily:{days[generation]}' GROUP BY status",
            )
        )
        if statuses != {"sent": SUBSCRIBERS}:
            day.lost.append(f"digests of {days[generation]}: {statuses}")
        return day

    try:
        kills.measure(prepare(0))
        found += audit_digests(0)
        for generation in kills.points(prepare, done):
            found += audit_digests(generation)
            assert_clean(found, kills)
    finally:
        controller.stop()
    campaign.record(
        kills.tried(),
        f"{len(found.lost)} lost, {len(found.duplicated)} duplicated digests "
        f"({SUBSCRIBERS} subscribers); {delivered_again} delivered again as the same message",
    )
    assert len(kills.progress) == kills.wanted
    assert_clean(found, kills)
