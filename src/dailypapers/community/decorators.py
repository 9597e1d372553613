from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url


def login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's login_required, except that htmx is told to load the login page itself.

    A plain redirect would be followed inside the XMLHttpRequest and the login
    page swapped into the middle of the paper page.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            back = request.htmx.current_url_abs_path or "/"
            login = f"{resolve_url(settings.LOGIN_URL)}?next={quote(back)}"
            return HttpResponse(status=401, headers={"HX-Redirect": login})
        return redirect_to_login(request.get_full_path())

    return wrapped
