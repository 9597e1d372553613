"""Several nodes, one state: with DAILYPAPERS_CACHE_URL, two ``dailypapers serve`` nodes (each
its own data dir and port, one database, one Redis) share their pages, and their limits
hold across both; a Redis that stops answering costs caching, never a page.

The Redis is the machine's own, its database for this run (conftest.SHARED_REDIS_URL).
"""

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from dailypapers.conftest import SHARED_REDIS_URL, ExternalDatabase, LiveServe, free_port
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
from dailypapers.tests.test_throttles_live import failed_login, login_form

REDIS_URL = SHARED_REDIS_URL
PAPER = "2411.00001"
# Another paper's page, opened first on each node: the first page a process renders
# loads what similar papers need, which takes seconds on a small machine.
WARM_UP = "2411.00002"
# Long enough for the steps between a rendering and the reads that expect it (the
# test checks that they fit), short enough to wait for an expiry.
PAGE_CACHE_SECONDS = 10
# A blank shared_answers.py drew for a rendering: no reader may ever see one.
BLANK = re.compile(rb"blank-[0-9a-f]{32}")


class Visitor:
    """A browser: its own cookies (for 127.0.0.1, whichever node's port it talks to)."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> bytes:
        with self.opener.open(url, timeout=60) as page:
            return page.read()

    def post(self, url: str, fields: dict[str, str]) -> tuple[int, str]:
        """(status, where it redirects to) of a form posted without following redirects."""
        request = urllib.request.Request(url, urlencode(fields).encode(), method="POST")
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )
        try:
            with opener.open(request, timeout=60) as answer:
                return answer.status, ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def form_token(page: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()


def upvotes_shown(page: bytes) -> int:
    return int(re.search(rb'data-testid="upvotes">(\d+)<', page)[1])


def two_nodes(tmp_path, stack: ExitStack, env: dict[str, str]) -> tuple[LiveServe, LiveServe]:
    """Nodes A and B: each its own data dir (so its own generated files) and port, one
    database, one Redis, one secret key (sessions signed on one are read on the other)."""
    db = ExternalDatabase(tmp_path)
    shared = env | {
        "DAILYPAPERS_CACHE_URL": REDIS_URL,
        "SECRET_KEY": "one key for every node of the test",
        "DAILYPAPERS_PAGE_CACHE_SECONDS": str(PAGE_CACHE_SECONDS),
    }
    if db.sqlite_file is not None:
        shared["DATABASE_URL"] = f"sqlite:///{db.sqlite_file}"
    return tuple(
        stack.enter_context(
            db.serving(
                "--workers",
                1,
                "--no-indexer",
                env=shared | {"DAILYPAPERS_DATA_DIR": str(tmp_path / node)},
                timeout=120,
            )
        )
        for node in ("node-a", "node-b")
    )


def make_paper_and_reader(db: ExternalDatabase) -> None:
    made = db.run(
        "shell",
        "-c",
        f"""
from datetime import date
from django.contrib.auth.models import User
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers
upsert_papers([PaperRecord.build(
    arxiv_id=arxiv_id, title=arxiv_id, abstract=".", authors=["A"], published=date.today(),
) for arxiv_id in ["{PAPER}", "{WARM_UP}"]])
User.objects.create_user("ada", password="correct horse battery staple")
""",
    )
    assert made.returncode == 0, made.stderr


@pytest.mark.django_db(transaction=True)
def test_two_nodes_share_pages_each_visitor_keeps_their_token_and_upvotes_show_across(
    tmp_path, shared_redis
):
    make_paper_and_reader(ExternalDatabase(tmp_path))
    with ExitStack() as stack:
        a, b = two_nodes(tmp_path, stack, {})
        page = f"/papers/{PAPER}"
        first, second, ada = Visitor(), Visitor(), Visitor()

        for node in (a, b):
            Visitor().get(f"{node.url}/papers/{WARM_UP}")

        # Node A renders the page for an anonymous visitor: it goes into Redis.
        assert upvotes_shown(first.get(a.url + page)) == 0
        rendered_at = time.monotonic()
        assert shared_redis.dbsize() > 0

        # Ada signs in on B and upvotes on A; on B she sees her upvote at once.
        login = ada.get(f"{b.url}/accounts/login/")
        signed_in = ada.post(
            f"{b.url}/accounts/login/",
            {
                "csrfmiddlewaretoken": form_token(login),
                "username": "ada",
                "password": "correct horse battery staple",
            },
        )
        assert signed_in == (302, "/papers")
        own = ada.get(a.url + page)
        assert ada.post(f"{a.url}{page}/upvote", {"csrfmiddlewaretoken": form_token(own)}) == (
            302,
            page,
        )
        upvoted_at = time.monotonic()
        seen_by_ada = ada.get(b.url + page)
        assert upvotes_shown(seen_by_ada) == 1 and b'aria-pressed="true"' in seen_by_ada

        # Another anonymous visitor on B gets the page A rendered (from before the
        # upvote: B itself never rendered it), with a token of their own that works.
        shared_page = second.get(b.url + page)
        assert time.monotonic() - rendered_at < PAGE_CACHE_SECONDS, "the machine is too slow"
        assert upvotes_shown(shared_page) == 0
        assert not BLANK.search(shared_page)
        token = form_token(shared_page)
        assert token != form_token(first.get(a.url + page))
        # The CSRF check lets the form through; the view then asks to sign in.
        assert second.post(f"{b.url}{page}/upvote", {"csrfmiddlewaretoken": token}) == (
            302,
            f"/accounts/login/?next={page}",
        )
        assert second.post(f"{b.url}{page}/upvote", {"csrfmiddlewaretoken": "x" * 64})[0] == 403

        # Within the cache time, anonymous readers see the upvote too, on either node.
        while upvotes_shown(second.get(b.url + page)) == 0:
            assert time.monotonic() - upvoted_at < PAGE_CACHE_SECONDS + 1
            time.sleep(0.2)
        assert upvotes_shown(first.get(a.url + page)) == 1


@pytest.mark.django_db(transaction=True)
def test_failed_logins_against_two_nodes_stop_exactly_at_the_limit(tmp_path, shared_redis):
    rates = {
        "DAILYPAPERS_RATE_LOGIN_PER_ACCOUNT": "5/hour",
        "DAILYPAPERS_RATE_LOGIN_PER_CLIENT": "1000/hour",
        "DAILYPAPERS_TRUSTED_PROXIES": "127.0.0.1",
    }
    with ExitStack() as stack:
        nodes = two_nodes(tmp_path, stack, rates)
        forms = [login_form(node.url) for node in nodes]
        statuses = Counter(
            failed_login(nodes[n % 2].url, forms[n % 2], "ada", f"198.51.100.{n + 1}")
            for n in range(12)
        )
    assert statuses == {200: 5, 429: 7}


@pytest.mark.django_db
def test_a_redis_that_does_not_answer_costs_caching_not_pages(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "dailypapers.shared_cache.SharedRedisCache",
            # Nothing listens there: every connection is refused.
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    upsert_papers(
        [PaperRecord.build(arxiv_id=PAPER, title="Still served", abstract=".", authors=["A"])]
    )
    pages = [client.get(f"/papers/{PAPER}") for _ in range(3)]
    Paper.objects.filter(pk=PAPER).update(title="Rendered afresh")
    fresh = client.get(f"/papers/{PAPER}")
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert b"Still served" in pages[0].content and not BLANK.search(pages[0].content)
    assert b"Rendered afresh" in fresh.content  # nothing was cached
    said = [r.getMessage() for r in caplog.records if r.name == "dailypapers.shared_cache"]
    assert len(said) == 1 and "not answering" in said[0]


@pytest.mark.django_db
def test_the_cache_comes_back_with_redis_without_a_restart(client, settings, shared_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "dailypapers.shared_cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    upsert_papers(
        [PaperRecord.build(arxiv_id=PAPER, title="Cached in Redis", abstract=".", authors=["A"])]
    )
    client.get(f"/papers/{PAPER}")
    Paper.objects.filter(pk=PAPER).update(title="Not yet shown")
    assert b"Cached in Redis" in client.get(f"/papers/{PAPER}").content
    assert cache.get("absent") is None and shared_redis.dbsize() > 0


def settings_of(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dailypapers",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_the_variable_each_process_keeps_its_own_cache(tmp_path):
    env = {"DAILYPAPERS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = settings_of(env)
    assert done.stdout.split()[-1] == "django.core.cache.backends.locmem.LocMemCache", done.stderr
    shared = settings_of(env | {"DAILYPAPERS_CACHE_URL": REDIS_URL})
    assert shared.stdout.split()[-1] == "dailypapers.shared_cache.SharedRedisCache", shared.stderr


def test_a_cache_url_that_is_not_redis_stops_the_start_with_the_variable_named(tmp_path):
    done = settings_of(
        {
            "DAILYPAPERS_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "DAILYPAPERS_CACHE_URL": "memcached://127.0.0.1:11211",
        }
    )
    assert done.returncode != 0
    assert "DAILYPAPERS_CACHE_URL='memcached://127.0.0.1:11211' is not a Redis address" in (
        done.stderr
    )
