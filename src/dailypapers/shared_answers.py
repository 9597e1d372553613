"""Answers shared by every reader: one request renders, the others are served from the cache.

The website's pages for anonymous readers (web/page_cache.py) and the read
API's answers (api/shared.py) are the same for whoever asks. Each is kept for
PAGE_CACHE_SECONDS in Django's cache under a key made of its URL and the
parameters it reads; 200 answers only, and an expired one keeps being served
while a single request renders it anew.

The cache is each process's memory by default, or one Redis that every node
shares (DAILYPAPERS_CACHE_URL): an answer one node rendered is served by all.
So nothing in an entry may belong to the process that made it. Its freshness
is a wall-clock time (every node reads the same clock, within NTP's error; a
monotonic clock is per machine), and the blank that stands for a reader's own
part (a CSRF token) is drawn for each rendering and kept with the entry.
"""

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

# An answer older than PAGE_CACHE_SECONDS is still served, while one request
# renders it anew, for up to this many times as long: without it, every thread
# of every worker would render the same expired answer at once.
STALE_FACTOR = 10


# What a shared answer keeps of the original response's headers.
KEPT_HEADERS = ("Content-Type", "Link")

# The query parameters that shared pages and API answers read. Any other one
# cannot change the answer, but would make each URL a new entry (a loop of
# ?x=1, ?x=2, … would push every useful answer out): such requests are
# answered afresh and not stored.
SHARED_PARAMETERS = frozenset(
    {
        "q",
        "category",
        "organization",
        "published_from",
        "published_until",
        "sort",
        "p",
        "date",
        "week",
        "month",
        "submitter",
        "limit",
    }
)


@dataclass
class SharedResponse:
    content: bytes
    headers: dict[str, str]
    # A wall-clock time (time.time()), comparable on every node.
    fresh_until: float
    # Where ``content`` holds a reader's own part, to be replaced for each request.
    blank: str


def shared_key(request: HttpRequest, *variant: str) -> str | None:
    """What ``request``'s answer is shared under; None when no shared answer may serve it.

    Parameters in any order share one answer. A parameter that no shared answer
    reads, or one given twice, makes the request unshared.
    """
    query = request.GET
    if not set(query) <= SHARED_PARAMETERS or any(len(query.getlist(k)) > 1 for k in query):
        return None
    return ":".join([*variant, request.path, urlencode(sorted(query.items()))])


def cache_key(key: str) -> str:
    """A fixed-length key: URLs may be longer, or hold characters, that a cache server refuses."""
    return "shared:" + hashlib.sha256(key.encode()).hexdigest()


def serve_shared(
    key: str,
    render: Callable[[str], HttpResponse],
    personalise: Callable[[bytes, str], bytes] = lambda content, blank: content,
) -> HttpResponse:
    """The answer cached under ``key``, rendered by ``render(blank)`` when missing or expired.

    ``blank`` is a random string, new for each rendering, that ``render`` may put
    where each reader's own part goes; ``personalise(content, blank)`` adapts the
    content for the request at hand (both shared and unshared answers go through
    it). Only 200 answers are shared.
    """
    key = cache_key(key)
    shared = cache.get(key)
    if shared is None or (
        shared.fresh_until < time.time() and cache.add(f"{key}:renewing", True, 60)
    ):
        # Random: no page content can hold it, by accident or on purpose.
        blank = f"blank-{secrets.token_hex(16)}"
        response = render(blank)
        if response.status_code != 200:  # a redirect or an error: not shared
            response.content = personalise(response.content, blank)
            return response
        fresh_for = settings.PAGE_CACHE_SECONDS
        headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        shared = SharedResponse(response.content, headers, time.time() + fresh_for, blank)
        cache.set(key, shared, fresh_for * STALE_FACTOR)
        cache.delete(f"{key}:renewing")
    return HttpResponse(personalise(shared.content, shared.blank), headers=shared.headers)
