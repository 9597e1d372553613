"""A request body larger than the site takes is refused before anything reads it.

Django holds a body to DATA_UPLOAD_MAX_MEMORY_SIZE only when it keeps it in
memory: the files of a multipart body are streamed to temporary files whatever
their size, and a form view reads them all before it can refuse the form.
Nothing here takes files, so the whole body is held to that limit, from its
Content-Length. A body sent without one is never read (Django reads
Content-Length bytes), so it needs no limit of its own.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from dailypapers.web import errors


def declared_length(request: HttpRequest) -> int:
    """The body's Content-Length; 0 when absent or malformed, as Django reads it."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class RequestSizeLimit:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # Answered as Django's own refusal is (a 413), without its logged traceback.
            return errors.bad_request(request, RequestDataTooBig())
        return self.get_response(request)
