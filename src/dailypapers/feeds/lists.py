"""The feeds of every list a reader may follow: one PaperFeed subclass per list.

The daily list, trending, new on arXiv (all of it or one category), a search,
an organization, an author, a user's upvotes, a public collection and a reader's private "For you",
each at ``/feeds/…​.rss`` and
``/feeds/…​.atom``. A new feed is a class here, named by the page showing its list.
"""

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dailypapers.library.collections import collection_items, readable_collection
from dailypapers.library.errors import NotFound
from dailypapers.library.feed_tokens import user_for_feed_token
from dailypapers.papers import announcements
from dailypapers.papers.collections import (
    author_papers,
    organization_papers,
    papers_in_order,
    upvoted_papers,
)
from dailypapers.papers.listings import daily_listings
from dailypapers.papers.models import Author, Organization, Paper
from dailypapers.papers.trending import describe, trending_paper_ids
from dailypapers.recommend import readers
from dailypapers.search.service import search

from .paper_feed import Channel, PaperFeed

ITEMS = 50
# A "new" feed holds the whole day, as arXiv's does (a busy day in cs is about a thousand).
NEW_ITEMS = 2000


class DailyFeed(PaperFeed):
    route = "feeds/daily"
    name = "daily"

    def channel(self, request: HttpRequest) -> Channel:
        listings = daily_listings()[:ITEMS]
        return Channel(
            "Daily papers",
            "/papers",
            "Papers featured on the daily list, newest first.",
            [(listing.paper, listing.date) for listing in listings],
        )


class TrendingFeed(PaperFeed):
    route = "feeds/trending"
    name = "trending"

    def channel(self, request: HttpRequest) -> Channel:
        papers = papers_in_order(trending_paper_ids(timezone.localdate())[:ITEMS])
        return Channel(
            "Trending papers",
            "/papers/trending",
            describe(),
            [(paper, paper.daily_listing.date) for paper in papers],
        )


class NewFeed(PaperFeed):
    route = "feeds/new"
    name = "new"

    def channel(self, request: HttpRequest, category: str = "") -> Channel:
        try:
            categories, shown = announcements.chosen_categories(category)
        except announcements.InvalidCategory as error:
            raise Http404(str(error)) from None
        day = announcements.newest_day(categories, timezone.localdate())
        papers = announcements.announced_on(day, categories)[:NEW_ITEMS] if day else []
        return Channel(
            f"New on arXiv in {shown}",
            f"/papers/new/{category}" if category else "/papers/new",
            f"What arXiv announced in {shown} on its latest day, most upvoted first.",
            [(paper, paper.published) for paper in papers],
        )


class NewInCategoryFeed(NewFeed):
    route = "feeds/new/<str:category>"
    name = "new-category"


class SearchFeed(PaperFeed):
    route = "feeds/search"
    name = "search"

    def channel(self, request: HttpRequest) -> Channel:
        query = request.GET.get("q", "")[:250]
        hits = search(query, sort="date", limit=ITEMS).hits if query.strip() else []
        return Channel(
            f"Papers matching “{query}”",
            f"/papers?{urlencode({'q': query})}",
            f"Newest papers matching the search “{query}”.",
            [(hit.paper, hit.paper.published) for hit in hits],
        )


def _newest(papers) -> list[tuple[Paper, date | None]]:
    return [(p, p.published) for p in papers[:ITEMS]]


class OrganizationFeed(PaperFeed):
    route = "feeds/organizations/<slug:slug>"
    name = "organization"

    def channel(self, request: HttpRequest, slug: str) -> Channel:
        org = get_object_or_404(Organization, slug=slug)
        return Channel(
            f"Papers from {org.name}",
            f"/organizations/{org.slug}",
            f"Papers linked to {org.name}.",
            _newest(organization_papers(org, newest_first=True)),
        )


class AuthorFeed(PaperFeed):
    route = "feeds/authors/<path:name>"
    name = "author"

    def channel(self, request: HttpRequest, name: str) -> Channel:
        author = get_object_or_404(Author, name=name)
        return Channel(
            f"Papers by {author.name}",
            f"/authors/{author.name}",
            f"Papers by {author.name}.",
            _newest(author_papers(author)),
        )


class UpvotesFeed(PaperFeed):
    route = "feeds/users/<str:username>/upvotes"
    name = "upvotes"

    def channel(self, request: HttpRequest, username: str) -> Channel:
        user = get_object_or_404(get_user_model(), username=username, is_active=True)
        return Channel(
            f"Papers upvoted by {user.username}",
            f"/users/{user.username}",
            f"Papers {user.username} upvoted, latest first.",
            [(paper, paper.upvoted_at.date()) for paper in upvoted_papers(user)[:ITEMS]],
        )


class CollectionFeed(PaperFeed):
    """A public collection, latest added first. A private one is 404 even to its owner:
    a feed reader has no session, and a feed URL gets shared."""

    route = "feeds/collections/<str:key>"
    name = "collection"

    def channel(self, request: HttpRequest, key: str) -> Channel:
        try:
            shown = readable_collection(None, key)
        except NotFound as error:
            raise Http404(str(error)) from None
        items = collection_items(shown)[:ITEMS]
        return Channel(
            f"Collection: {shown.name}",
            f"/collections/{shown.key}",
            f"Papers {shown.owner.username} put in the collection “{shown.name}”.",
            [(item.paper, item.added_at.date()) for item in items],
        )


class ForYouFeed(PaperFeed):
    """A reader's "For you", at a secret URL (their feed token) a feed reader can open
    without a session. Resetting the token ends the old URL: it answers 404, like a
    token nobody has."""

    route = "feeds/for-you/<str:token>"
    name = "for-you"

    def channel(self, request: HttpRequest, token: str) -> Channel:
        user = user_for_feed_token(token)
        if user is None:
            raise Http404("No feed has this address: its token may have been reset.")
        feed = readers.feed(readers.state_of(user.pk), limit=ITEMS)
        recommendations = feed.recommendations if feed else []
        papers = papers_in_order([r.arxiv_id for r in recommendations])
        return Channel(
            f"For {user.username}",
            "/papers/for-you",
            f"Papers picked for {user.username} from the catalog's last week, best first.",
            [(paper, paper.published) for paper in papers],
            reasons={r.arxiv_id: r.reason.text for r in recommendations},
        )

    def __call__(self, request: HttpRequest, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # One reader's list: no shared cache keeps it, and the URL's secret stays out of
        # the Referer of the links followed from it.
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
