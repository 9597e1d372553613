"""A list of papers as an RSS 2.0 and an Atom feed, declared with its route.

Each feed is a subclass (feeds/lists.py) that names its ``route`` and ``name``
and builds its channel. It answers at ``<route>.rss`` and ``<route>.atom``,
under the URL names ``feed-<name>-rss`` and ``feed-<name>-atom`` (feeds/urls.py
routes every subclass), and gives the page showing the same list its
``<link rel="alternate">`` (``links_for``, rendered by web/_feeds.html).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import ClassVar
from urllib.parse import quote

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape

from dailypapers.papers.models import Paper, load_authors

# Each flavour of a feed: its URL suffix, its label on a page, and how Django writes it.
FLAVOURS: dict[str, tuple[str, type[SyndicationFeed]]] = {
    "rss": ("RSS", Rss201rev2Feed),
    "atom": ("Atom", Atom1Feed),
}


@dataclass
class Channel:
    title: str
    link: str
    description: str
    # (paper, the day it entered this list)
    items: list[tuple[Paper, date | None]]
    # Why a paper is in the list, by arXiv id ("For you" says it for each).
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedLink:
    """One ``<link rel="alternate">`` of a page to its feed."""

    media_type: str
    label: str
    url: str


def _moment(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


class PaperFeed(Feed):
    # The feed's address without its suffix, in path() syntax: "feeds/authors/<path:name>".
    route: ClassVar[str]
    # Its URL names are feed-<name>-rss and feed-<name>-atom.
    name: ClassVar[str]
    _registered: ClassVar[list[type["PaperFeed"]]] = []

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        PaperFeed._registered.append(cls)

    def __init__(self, flavour: str = "rss"):
        self.feed_type = FLAVOURS[flavour][1]

    @classmethod
    def registered(cls) -> list[type["PaperFeed"]]:
        """Every feed, in the order the subclasses were defined."""
        return list(cls._registered)

    @classmethod
    def url_name(cls, flavour: str) -> str:
        return f"feed-{cls.name}-{flavour}"

    @classmethod
    def urlpatterns(cls) -> list[URLPattern]:
        return [
            path(f"{cls.route}.{flavour}", cls(flavour), name=cls.url_name(flavour))
            for flavour in FLAVOURS
        ]

    @classmethod
    def links_for(cls, *arguments: str, **query: str) -> list[FeedLink]:
        """The feed's RSS and Atom links for a page: ``arguments`` fill the route,
        ``query`` is the query string (a search's ``q``)."""
        suffix = "".join(f"?{key}={quote(value)}" for key, value in query.items())
        return [
            FeedLink(
                f"application/{flavour}+xml",
                label,
                reverse(cls.url_name(flavour), args=arguments) + suffix,
            )
            for flavour, (label, _) in FLAVOURS.items()
        ]

    def channel(self, request: HttpRequest, **arguments: str) -> Channel:
        """The feed's title, page, description and papers, from the route's arguments."""
        raise NotImplementedError

    def get_object(self, request: HttpRequest, **arguments: str) -> Channel:
        return self.channel(request, **arguments)

    def title(self, channel: Channel) -> str:
        return f"dailypapers: {channel.title}"

    def link(self, channel: Channel) -> str:
        return channel.link

    def description(self, channel: Channel) -> str:
        return channel.description

    def subtitle(self, channel: Channel) -> str:
        # Atom's; RSS has only the description.
        return channel.description

    def items(self, channel: Channel) -> list[tuple[Paper, date | None, str]]:
        load_authors([paper for paper, _ in channel.items])
        return [
            (paper, day, channel.reasons.get(paper.arxiv_id, "")) for paper, day in channel.items
        ]

    def item_title(self, item) -> str:
        return item[0].title

    def item_description(self, item) -> str:
        # Readers take a description for HTML (Atom's summary says type="html"): the
        # abstract is escaped as HTML first, then Django escapes that into the XML.
        reason = f"<p><em>{escape(item[2])}</em></p>" if item[2] else ""
        return reason + escape(item[0].abstract)

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
