""" "For you": the signed-in reader's ranked papers of the last week, each card saying
why it is there, with the knob that weighs community upvotes against personal fit,
and for a new reader the starting points that give a feed at once (docs/recommend.md).
"""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dailypapers.feeds.lists import ForYouFeed
from dailypapers.library import collections, follows
from dailypapers.library.errors import LibraryError
from dailypapers.library.feed_preferences import set_community_weight
from dailypapers.library.feed_tokens import feed_token
from dailypapers.papers.collections import papers_in_order
from dailypapers.papers.listings import InvalidPeriod, parse_day
from dailypapers.recommend import readers
from dailypapers.throttles import limits

from .rendering import PAGE_SIZE, bad_request, page_number, page_of_cards
from .signed_in import refused

# Where the papers a new reader picks go: a private collection they can rename.
STARTING_COLLECTION = "Starting points"


def _day(request: HttpRequest, name: str) -> date | None:
    text = request.GET.get(name, "")
    return parse_day(text).first if text else None


@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    """The reader's feed; ``?since=`` and ``?until=`` (YYYY-MM-DD) pick another window."""
    reader = readers.state_of(request.user.pk)
    # Ranked up to this page and one more paper (is there a next page?): each paper ranked
    # costs its reason and its card's row.
    shown = min(page_number(request) * PAGE_SIZE + 1, readers.MAX_LIMIT)
    try:
        feed = readers.feed(
            reader, since=_day(request, "since"), until=_day(request, "until"), limit=shown
        )
    except (InvalidPeriod, ValueError) as error:
        return bad_request(request, str(error))
    starting = readers.starting_points() if reader.is_new else None
    context = {
        "title": "For you",
        "feed": feed,
        "community": reader.community,
        "new_reader": reader.is_new,
        "starting_points": starting,
        "starting_papers": papers_in_order(starting.papers) if starting else [],
        "feed_links": ForYouFeed.links_for(feed_token(request.user)),
    }
    if feed is None:
        return render(request, "web/for_you.html", context | {"cards": []})
    recommendations = feed.recommendations
    return page_of_cards(
        request,
        papers_in_order([r.arxiv_id for r in recommendations]),
        "web/for_you.html",
        context,
        reasons={r.arxiv_id: r.reason.text for r in recommendations},
    )


@require_POST
@login_required
def set_knob(request: HttpRequest) -> HttpResponse:
    """The community knob: 0 ranks by personal fit alone, 1 by upvotes first."""
    try:
        set_community_weight(request.user, request.POST.get("community", ""))
    except LibraryError as error:
        return refused(request, error)
    return redirect("papers-for-you")


@require_POST
@login_required
def start(request: HttpRequest) -> HttpResponse:
    """A new reader's picks: categories and authors followed, papers saved."""
    problems = []
    for category in request.POST.getlist("category"):
        problems += _follow(request, "category", category)
    for author in request.POST.get("authors", "").splitlines():
        if author.strip():
            problems += _follow(request, "author", author.strip())
    picked = request.POST.getlist("paper")
    if picked:
        try:
            key = collections.collection_named(request.user, STARTING_COLLECTION).key
            for arxiv_id in picked:
                collections.add_paper(
                    request.user, key, arxiv_id, client=limits.client_key(request)
                )
        except LibraryError as error:
            problems.append(str(error))
    if problems:
        context = {"heading": "Some picks were not kept", "message": " ".join(problems)}
        return render(request, "web/error.html", context, status=400)
    return redirect("papers-for-you")


def _follow(request: HttpRequest, kind: str, value: str) -> list[str]:
    try:
        follows.follow(request.user, kind, value)
    except LibraryError as error:
        return [str(error)]
    return []
