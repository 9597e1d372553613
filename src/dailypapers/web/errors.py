"""Error pages: readable HTML for people, JSON for the API's paths."""

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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
