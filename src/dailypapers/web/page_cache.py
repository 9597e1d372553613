"""Whole pages shared by anonymous readers, with each reader's own CSRF token put back in.

An anonymous reader's page differs from another's only by the CSRF token in
its forms (the subscribe box) and in htmx's headers. So a page is rendered
once per ``PAGE_CACHE_SECONDS`` per process with a placeholder where the token
goes, and every anonymous request gets that HTML with its own token
substituted (``get_token`` also sets the reader's CSRF cookie, as rendering
would). Signed-in readers, who see their own upvotes and comment forms, and
requests carrying a one-time message always get a freshly rendered page.
"""

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

# Random per process: page content cannot contain it by accident or on purpose.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


# A page older than PAGE_CACHE_SECONDS is still served, while one request
# renders it anew, for up to this many times as long: without it, every thread
# of every worker would render the same expired page at once.
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
    fresh_until: float


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
    render: Callable[[], HttpResponse],
    personalise: Callable[[bytes], bytes] = lambda content: content,
) -> HttpResponse:
    """The answer cached under ``key``, rendered by ``render()`` when missing or expired.

    Only 200 answers are shared; ``personalise`` adapts the content for the
    request at hand (both shared and unshared answers go through it).
    """
    key = cache_key(key)
    shared = cache.get(key)
    if shared is None or (
        shared.fresh_until < time.monotonic() and cache.add(f"{key}:renewing", True, 60)
    ):
        response = render()
        if response.status_code != 200:  # a redirect or an error: not shared
            response.content = personalise(response.content)
            return response
        fresh_for = settings.PAGE_CACHE_SECONDS
        headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        shared = SharedResponse(response.content, headers, time.monotonic() + fresh_for)
        cache.set(key, shared, fresh_for * STALE_FACTOR)
        cache.delete(f"{key}:renewing")
    return HttpResponse(personalise(shared.content), headers=shared.headers)


def csrf_placeholder(request: HttpRequest) -> dict:
    """Context processor: the placeholder instead of a token while a shared page renders."""
    return (
        {"csrf_token": CSRF_PLACEHOLDER} if getattr(request, "renders_shared_page", False) else {}
    )


def _shareable(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))
    )


def shared_with_anonymous_readers(view: Callable[..., HttpResponse]) -> Callable:
    """Serve anonymous GETs of ``view`` from a page rendered once per PAGE_CACHE_SECONDS."""

    @wraps(view)
    def serve(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _shareable(request):
            return view(request, *args, **kwargs)

        def render() -> HttpResponse:
            request.renders_shared_page = True
            try:
                return view(request, *args, **kwargs)
            finally:
                request.renders_shared_page = False

        def with_token(content: bytes) -> bytes:
            return content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())

        # htmx asks for fragments of the same URL: they are other pages.
        key = shared_key(
            request,
            "page",
            request.headers.get("HX-Request", ""),
            request.headers.get("HX-Target", ""),
        )
        if key is None:
            return view(request, *args, **kwargs)
        return serve_shared(key, render, with_token)

    return serve
