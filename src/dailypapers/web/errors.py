"""Error pages: readable HTML for people, JSON for the API's paths."""

import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

HEADINGS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    413: "Request too large",
}
# The views raise these very classes with a message written for the visitor. Django's
# own subclasses describe internals: Resolver404 carries the URL configuration,
# DisallowedHost the ALLOWED_HOSTS advice.
MESSAGES_FOR_VISITORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


def _error(
    request: HttpRequest, status: int, exception: Exception | None, message: str = ""
) -> HttpResponse:
    written_for_visitor = type(exception) in MESSAGES_FOR_VISITORS and exception.args
    message = message or (str(exception) if written_for_visitor else HEADINGS[status])
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=status)
    context = {"heading": HEADINGS[status], "message": message}
    return render(request, "web/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's refusals of oversized requests name its settings: say it in the visitor's words.
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return _error(request, 413, exception, f"The request is larger than {limit} KB.")
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return _error(request, 400, exception, "The request has too many parameters.")
    return _error(request, 400, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 403, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 404, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without its security token (an expired page, or another site's form)."""
    return _error(
        request,
        403,
        PermissionDenied(
            "This form's security token is missing or out of date. "
            "Reload the page and try again (cookies must be enabled)."
        ),
    )


# What a request meets while the database is stopped or restarting: the connection
# is refused, or an open one was cut. It passes without anyone doing anything.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE = "The site is briefly unavailable. Try again in a minute."
# Seconds a client is told to wait before trying again after a 503.
RETRY_AFTER = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """A 500, or a 503 while the database does not answer, which clears by itself.

    Rendered without a request context: the page's header would ask the database
    who the visitor is, and this page must answer when the database cannot.
    """
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "Internal server error"}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/api/"):
        return JsonResponse({"error": UNAVAILABLE}, status=503, headers=headers)
    return HttpResponse(loader.get_template("503.html").render(), status=503, headers=headers)


class DatabaseUnavailableMiddleware:
    """A view that meets a database which went away answers 503 at once.

    Logged as one line per request ("Service Unavailable: /papers"), not as the
    traceback of an unexpected error: an outage of a minute under load would
    write thousands of them. What fails outside a view reaches server_error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request)
        return None
