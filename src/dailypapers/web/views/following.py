"""Follow and unfollow buttons: on an author's, an organization's and a category's page,
and on the search page for its query.

A signed-in reader's pages are never shared (page_cache.py), so the button's state
is theirs; every anonymous reader gets the same link to log in, which a shared
page may hold.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dailypapers.library import follows
from dailypapers.library.errors import LibraryError
from dailypapers.library.models import Follow

from .signed_in import back_to, login_first, refused


@dataclass(frozen=True)
class FollowButton:
    kind: str
    value: str
    # The reader's follow of it, if any.
    follow_id: int | None = None


def follow_button(request: HttpRequest, kind: str, value: str) -> FollowButton | None:
    """The button for ``value``, or None when it cannot be followed (no such category)."""
    try:
        kind, value = follows.clean_follow(kind, value)
    except LibraryError:
        return None
    follow_id = None
    if request.user.is_authenticated:
        follow_id = (
            Follow.objects.filter(user=request.user, kind=kind, value=value)
            .values_list("pk", flat=True)
            .first()
        )
    return FollowButton(kind, value, follow_id)


def _answer(request: HttpRequest, button: FollowButton) -> HttpResponse:
    if request.htmx:
        return render(request, "web/_follow.html", {"follow_button": button})
    return redirect(back_to(request, "/"))


@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_first(request, back_to(request, "/"))
    try:
        made, _ = follows.follow(
            request.user, request.POST.get("kind", ""), request.POST.get("value", "")
        )
    except LibraryError as error:
        return refused(request, error)
    return _answer(request, FollowButton(made.kind, made.value, made.pk))


@require_POST
def unfollow(request: HttpRequest, follow_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_first(request, back_to(request, "/"))
    found = Follow.objects.filter(user=request.user, pk=follow_id).first()
    try:
        follows.unfollow(request.user, follow_id)
    except LibraryError as error:
        return refused(request, error)
    return _answer(request, FollowButton(found.kind, found.value))
