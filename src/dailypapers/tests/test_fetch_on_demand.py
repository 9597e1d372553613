"""Fetching unknown papers from arXiv never holds a web worker: a live ``dailypapers serve``
with one worker of two threads, in front of an arXiv that is slow, then silent."""

import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

from dailypapers.conftest import ExternalDatabase, arxiv_row, canned_http_server
from dailypapers.ingest.tests.stand_ins import ArxivStandIn, Reply

pytestmark = pytest.mark.django_db(transaction=True)

# Seconds the slow arXiv takes to answer, and how long serve waits for any answer.
SLOW = 2.0
TIMEOUT = 4
# What one client may queue (DAILYPAPERS_FETCH_RATE_PER_CLIENT): the burst and one more.
BURST = 10
RATE = f"{BURST + 1}/hour"
# An answer that takes longer than this held a worker while arXiv was asked (it took
# 14-16 s when the request fetched: ten fetches of SLOW seconds on two threads).
FAST = 2.0
PASSWORD = "a long pass phrase 42"


@dataclass
class SlowArxiv(ArxivStandIn):
    """arXiv taking SLOW seconds per answer, or (``silent``) none before the client gives up."""

    silent: bool = False
    released: threading.Event = field(default_factory=threading.Event)

    def reply(self, query: dict[str, str]) -> Reply:
        if self.silent:
            self.released.wait(60)
        else:
            time.sleep(SLOW)
        return super().reply(query)


def signed_in(url: str, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{url}/accounts/login/", timeout=30).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    login = {"csrfmiddlewaretoken": csrf, "username": username, "password": password}
    assert "Log out" in browser.post(f"{url}/accounts/login/", login, timeout=30).text
    browser.headers["X-CSRFToken"] = browser.cookies["csrftoken"]
    return browser


def timed(call, *args, **kwargs) -> tuple[float, requests.Response | Exception]:
    started = time.monotonic()
    try:
        answer = call(*args, **kwargs)
    except requests.RequestException as error:
        answer = error
    return time.monotonic() - started, answer


def p99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[98]


def wait_for(condition, what: str, limit: float = 60) -> float:
    """Seconds until ``condition()`` holds."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, f"timed out waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started


@dataclass
class Site:
    url: str
    browser: requests.Session  # a signed-in reader
    token: str  # a script's API token
    db: ExternalDatabase
    arxiv: SlowArxiv

    def fetch_on_the_site(self, arxiv_id: str) -> requests.Response:
        url = f"{self.url}/papers/{arxiv_id}/fetch"
        return self.browser.post(url, allow_redirects=False, timeout=30)

    def submit_through_the_api(self, arxiv_id: str) -> requests.Response:
        return requests.post(
            f"{self.url}/api/daily_papers",
            json={"arxivId": arxiv_id},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )

    def read(self, path: str) -> tuple[float, int]:
        """Seconds and status of an anonymous read, rendered afresh (no shared answer)."""
        took, answer = timed(requests.get, f"{self.url}{path}", {"fresh": "1"}, timeout=30)
        return took, getattr(answer, "status_code", 0)

    def fetched(self, prefix: str) -> int:
        return self.db.scalar(
            f"SELECT COUNT(*) FROM papers_paper WHERE arxiv_id LIKE '{prefix}%' AND version > 0"
        )


def test_fetches_answer_at_once_and_a_silent_arxiv_fails_them_after_the_timeout(
    tmp_path, write_jsonl, settings, campaign
):
    db = ExternalDatabase(tmp_path)
    known = write_jsonl("known.jsonl", [arxiv_row(f"2403.0000{n}") for n in range(1, 4)])
    assert db.run("import", known).returncode == 0
    # A reader who signs in, and a script with an API token, in one process.
    created = db.run(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "from dailypapers.community.models import ApiToken; "
        f"User.objects.create_user('reader', password={PASSWORD!r}); "
        "print(ApiToken.objects.issue(User.objects.create_user('script'), 'fetches')[1])",
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.split()[-1]
    arxiv = SlowArxiv()
    with canned_http_server(arxiv.reply) as server:
        env = {
            "DAILYPAPERS_ARXIV_API_URL": f"{server.url}/api/query",
            "DAILYPAPERS_ARXIV_REQUEST_DELAY": "0",
            "DAILYPAPERS_SOURCE_TIMEOUT": str(TIMEOUT),
            "DAILYPAPERS_FETCH_RATE_PER_CLIENT": RATE,
            # The embedding model the session has built already, for the fetched papers.
            "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
            "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
        }
        try:
            with db.serving("--workers", 1, "--threads", 2, "--no-indexer", env=env) as live:
                site = Site(live.url, signed_in(live.url, "reader", PASSWORD), token, db, arxiv)
                burst_of_fetches_while_arxiv_is_slow(site, campaign)
                a_fetch_while_arxiv_is_silent(site, campaign)
        finally:
            arxiv.released.set()


def burst_of_fetches_while_arxiv_is_slow(site: Site, campaign) -> None:
    ids = [f"2404.{n:05d}" for n in range(1, BURST + 1)]
    for arxiv_id in ids:
        site.arxiv.papers[arxiv_id] = arxiv_row(arxiv_id)
    # Half through the site (a signed-in reader), half through the API (a script).
    calls = [
        (site.fetch_on_the_site if n % 2 else site.submit_through_the_api, arxiv_id)
        for n, arxiv_id in enumerate(ids)
    ]
    reading = threading.Event()
    pages = ("/papers", "/api/daily_papers", "/papers/2403.00001")
    for path in pages:  # rendered once before: templates compiled, connections open
        assert site.read(path)[1] == 200
    reads: list[tuple[float, int]] = []

    def read_pages() -> None:
        while not reading.is_set():
            for path in pages:
                reads.append(site.read(path))

    # Pages are read while the fetches are asked for, and until the papers are here.
    reader = threading.Thread(target=read_pages)
    reader.start()
    try:
        with ThreadPoolExecutor(BURST) as pool:
            answers = list(pool.map(lambda call: timed(*call), calls))
        arrived_after = wait_for(lambda: site.fetched("2404.") == BURST, "the fetched papers")
    finally:
        reading.set()
        reader.join()
    fetch_times = [took for took, _ in answers]
    statuses = [getattr(answer, "status_code", 0) for _, answer in answers]
    read_times = [took for took, _ in reads]

    campaign.record(
        f"{BURST} parallel fetches of unknown papers (site + API), arXiv {SLOW:g} s per answer, "
        "1 worker x 2 threads",
        f"fetches p99 {p99(fetch_times):.2f} s; {len(reads)} page reads meanwhile p99 "
        f"{p99(read_times):.2f} s, max {max(read_times):.2f} s; all {BURST} papers in "
        f"{arrived_after:.1f} s after",
    )
    assert statuses == [202 if n % 2 == 0 else 303 for n in range(BURST)], statuses
    assert max(fetch_times) < FAST, fetch_times
    assert {status for _, status in reads} == {200} and max(read_times) < FAST, reads
    for _, answer in answers[1::2]:
        assert re.fullmatch(r"/papers/2404\.\d{5}/fetch", answer.headers["Location"])


def a_fetch_while_arxiv_is_silent(site: Site, campaign) -> None:
    site.arxiv.silent = True
    site.arxiv.papers["2405.00001"] = arxiv_row("2405.00001")
    took, queued = timed(site.fetch_on_the_site, "2405.00001")
    assert getattr(queued, "status_code", queued) == 303
    status_url = f"{site.url}/papers/2405.00001/fetch"
    read_times = []

    def failed() -> bool:
        read_times.append(site.read("/papers")[0])
        return 'data-status="failed"' in site.browser.get(status_url, timeout=30).text

    failed_after = took + wait_for(failed, "the fetch to fail", limit=TIMEOUT + 30)
    page = site.browser.get(status_url, timeout=30).text
    refused = site.fetch_on_the_site("2405.00002")  # one more than a client may queue

    campaign.record(
        f"a fetch while arXiv never answers (timeout {TIMEOUT} s)",
        f"queued in {took:.2f} s, failed after {failed_after:.1f} s, {len(read_times)} page "
        f"reads meanwhile max {max(read_times):.2f} s; fetch {BURST + 2} of one client: "
        f"{refused.status_code}",
    )
    assert took < FAST and max(read_times) < FAST, read_times
    assert failed_after >= TIMEOUT
    assert f"arXiv did not answer within {TIMEOUT} seconds" in page
    assert "Try again" in page and "/api/query" not in page and "Traceback" not in page
    assert refused.status_code == 429 and "Try again later" in refused.text
