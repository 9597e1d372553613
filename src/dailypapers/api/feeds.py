"""RSS 2.0 and Atom feeds of every list a reader may follow, with Django's syndication.

Feeds: the daily list, trending, new on arXiv, a search, an organization, an
author and a user's upvotes, each at ``/feeds/…​.rss`` and ``/feeds/…​.atom``.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

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
from dailypapers.search.service import search

ITEMS = 50
# A "new" feed holds the whole day, as arXiv's does (a busy day in cs is about a thousand).
NEW_ITEMS = 2000


@dataclass
class Channel:
    title: str
    link: str
    description: str
    # (paper, the day it entered this list)
    items: list[tuple[Paper, date | None]]


def _daily(request: HttpRequest) -> Channel:
    listings = daily_listings()[:ITEMS]
    return Channel(
        "Daily papers",
        "/papers",
        "Papers featured on the daily list, newest first.",
        [(listing.paper, listing.date) for listing in listings],
    )


def _trending(request: HttpRequest) -> Channel:
    papers = papers_in_order(trending_paper_ids(timezone.localdate())[:ITEMS])
    return Channel(
        "Trending papers",
        "/papers/trending",
        describe(),
        [(paper, paper.daily_listing.date) for paper in papers],
    )


def _search(request: HttpRequest) -> Channel:
    query = request.GET.get("q", "")[:250]
    hits = search(query, sort="date", limit=ITEMS).hits if query.strip() else []
    return Channel(
        f"Papers matching “{query}”",
        f"/papers?{urlencode({'q': query})}",
        f"Newest papers matching the search “{query}”.",
        [(hit.paper, hit.paper.published) for hit in hits],
    )


def _new(request: HttpRequest, category: str = "") -> Channel:
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


def _newest(papers) -> list[tuple[Paper, date | None]]:
    return [(p, p.published) for p in papers[:ITEMS]]


def _organization(request: HttpRequest, slug: str) -> Channel:
    org = get_object_or_404(Organization, slug=slug)
    return Channel(
        f"Papers from {org.name}",
        f"/organizations/{org.slug}",
        f"Papers linked to {org.name}.",
        _newest(organization_papers(org, newest_first=True)),
    )


def _author(request: HttpRequest, name: str) -> Channel:
    author = get_object_or_404(Author, name=name)
    return Channel(
        f"Papers by {author.name}",
        f"/authors/{author.name}",
        f"Papers by {author.name}.",
        _newest(author_papers(author)),
    )


def _upvotes(request: HttpRequest, username: str) -> Channel:
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    return Channel(
        f"Papers upvoted by {user.username}",
        f"/users/{user.username}",
        f"Papers {user.username} upvoted, latest first.",
        [(paper, paper.upvoted_at.date()) for paper in upvoted_papers(user)[:ITEMS]],
    )


CHANNELS = {
    "daily": _daily,
    "trending": _trending,
    "search": _search,
    "organization": _organization,
    "author": _author,
    "upvotes": _upvotes,
    "new": _new,
    "new-category": _new,
}


def _moment(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


class PaperFeed(Feed):
    feed_type = Rss201rev2Feed

    def get_object(self, request: HttpRequest, kind: str, **arguments) -> Channel:
        if kind not in CHANNELS:
            raise Http404("no such feed")
        return CHANNELS[kind](request, **arguments)

    def title(self, channel: Channel) -> str:
        return f"dailypapers: {channel.title}"

    def link(self, channel: Channel) -> str:
        return channel.link

    def description(self, channel: Channel) -> str:
        return channel.description

    def items(self, channel: Channel) -> list[tuple[Paper, date | None]]:
        return channel.items

    def item_title(self, item) -> str:
        return item[0].title

    def item_description(self, item) -> str:
        # Readers take a description for HTML (Atom's summary says type="html"): the
        # abstract is escaped as HTML first, then Django escapes that into the XML.
        return escape(item[0].abstract)

    def item_link(self, item) -> str:
        return item[0].get_absolute_url()

    def item_guid(self, item) -> str:
        return item[0].abs_url

    item_guid_is_permalink = False

    def item_author_name(self, item) -> str:
        return ", ".join(a.author.name for a in item[0].authorships.all())

    def item_pubdate(self, item) -> datetime | None:
        return _moment(item[1])

    def item_updateddate(self, item) -> datetime | None:
        return _moment(item[0].updated or item[1])

    def item_categories(self, item) -> list[str]:
        return item[0].category_list


class AtomPaperFeed(PaperFeed):
    feed_type = Atom1Feed

    def subtitle(self, channel: Channel) -> str:
        return channel.description
