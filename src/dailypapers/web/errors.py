"""Error pages: readable HTML for people, JSON for the API's paths."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

HEADINGS = {400: "Bad request", 403: "Forbidden", 404: "Page not found"}


def _error(request: HttpRequest, status: int, exception: Exception | None) -> HttpResponse:
    # Http404 and SuspiciousOperation messages are written for the visitor by the views.
    message = str(exception) if exception and exception.args else HEADINGS[status]
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=status)
    context = {"heading": HEADINGS[status], "message": message}
    return render(request, "web/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
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
