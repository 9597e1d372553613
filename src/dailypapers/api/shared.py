"""The read API's answers are the same for every caller: serve them from a shared cache.

Like the website's pages for anonymous readers, through the same shared-answer
cache (dailypapers/shared_answers.py), a GET of the daily list, a search or a
paper is answered from the cache for PAGE_CACHE_SECONDS (each worker's memory, or
the Redis every node shares), with one request renewing an expired answer.
Requests with an ``Authorization`` header (scripts acting for a user) always
get a fresh answer, so a client sees its own writes at once.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dailypapers.shared_answers import serve_shared, shared_key

SHARED_PATHS = ("/api/daily_papers", "/api/papers/")


class SharedReadAnswers:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = shared_key(request, "api")
        if (
            request.method != "GET"
            or not request.path.startswith(SHARED_PATHS)
            or "Authorization" in request.headers
            or key is None
        ):
            return self.get_response(request)
        return serve_shared(key, lambda blank: self.get_response(request))
