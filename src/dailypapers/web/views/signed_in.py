"""What the reader's own pages share: sending an anonymous reader to log in, going back
where a form came from, and showing a library service's refusal."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dailypapers.library.errors import LibraryError


def login_first(request: HttpRequest, back: str) -> HttpResponse:
    """Anonymous POSTs go to the login page (htmx follows ``HX-Redirect``)."""
    login = f"{reverse('login')}?next={back}"
    if request.htmx:
        return HttpResponse(status=401, headers={"HX-Redirect": login})
    return redirect(login)


def back_to(request: HttpRequest, fallback: str) -> str:
    """The form's ``next`` if it is on this site, else ``fallback``."""
    back = request.POST.get("next", "")
    return back if url_has_allowed_host_and_scheme(back, {request.get_host()}) else fallback


def refused(request: HttpRequest, error: LibraryError) -> HttpResponse:
    return render(request, "web/error.html", {"message": str(error)}, status=error.status)
