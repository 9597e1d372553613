"""/settings/feed: what the reader follows, the words and authors they muted, and the
secret of their private feed, with a button that replaces it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dailypapers.feeds.lists import ForYouFeed
from dailypapers.library import feed_tokens, follows, mutes
from dailypapers.library.errors import LibraryError

from .signed_in import refused


def _page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    token = feed_tokens.feed_token(request.user)
    return render(
        request,
        "web/feed_settings.html",
        {
            "title": "Your feed",
            "follows": follows.follows(request.user),
            "mutes": mutes.mutes(request.user).order_by("kind", "value"),
            "feed_token": token,
            "private_feeds": ForYouFeed.links_for(token),
            "error": error,
        },
        status=status,
    )


@login_required
def feed_settings(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: mute a word or an author."""
    if request.method == "POST":
        try:
            mutes.mute(request.user, request.POST.get("kind", ""), request.POST.get("value", ""))
        except LibraryError as error:
            return _page(request, str(error), error.status)
        return redirect("feed-settings")
    return _page(request)


@login_required
@require_POST
def unmute(request: HttpRequest, mute_id: int) -> HttpResponse:
    try:
        mutes.unmute(request.user, mute_id)
    except LibraryError as error:
        return refused(request, error)
    return redirect("feed-settings")


@login_required
@require_POST
def reset_feed_token(request: HttpRequest) -> HttpResponse:
    feed_tokens.reset_feed_token(request.user)
    return redirect("feed-settings")
