"""Whole pages shared by anonymous readers, with each reader's own CSRF token put back in.

An anonymous reader's page differs from another's only by the CSRF token in
its forms (the subscribe box) and in htmx's headers. So a page is rendered
once per ``PAGE_CACHE_SECONDS`` with a blank where the token goes (the
shared-answer cache: dailypapers/shared_answers.py), and every anonymous
request gets that HTML with its own token substituted (``get_token`` also sets
the reader's CSRF cookie, as rendering would). The blank is drawn for each
rendering and kept with the page, so a page one node rendered into a shared
cache gets the right substitution on every other node. Signed-in readers, who
see their own upvotes and comment forms, and requests carrying a one-time
message always get a freshly rendered page.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from dailypapers.shared_answers import serve_shared, shared_key


def csrf_placeholder(request: HttpRequest) -> dict:
    """Context processor: the blank instead of a token while a shared page renders."""
    blank = getattr(request, "shared_page_blank", None)
    return {"csrf_token": blank} if blank else {}


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

        def render(blank: str) -> HttpResponse:
            request.shared_page_blank = blank
            try:
                return view(request, *args, **kwargs)
            finally:
                request.shared_page_blank = None

        def with_token(content: bytes, blank: str) -> bytes:
            return content.replace(blank.encode(), get_token(request).encode())

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
