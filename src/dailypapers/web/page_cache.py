"""Whole pages shared by anonymous readers, with each reader's own CSRF token put back in.

An anonymous reader's page differs from another's only by the CSRF token in
its forms (the subscribe box) and in htmx's headers. So a page is rendered
once per ``PAGE_CACHE_SECONDS`` per process with a placeholder where the token
goes (the shared-answer cache: dailypapers/shared_answers.py), and every
anonymous request gets that HTML with its own token substituted (``get_token``
also sets the reader's CSRF cookie, as rendering would). Signed-in readers,
who see their own upvotes and comment forms, and requests carrying a one-time
message always get a freshly rendered page.
"""

import secrets
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from dailypapers.shared_answers import serve_shared, shared_key

# Random per process: page content cannot contain it by accident or on purpose.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


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
