"""The daily lists: the latest day, a day, an ISO week or a month of listings, and trending."""

from collections.abc import Callable
from datetime import date, timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from dailypapers.cli import command_hint
from dailypapers.feeds.lists import DailyFeed, TrendingFeed
from dailypapers.ingest.models import SourceStatus
from dailypapers.papers.collections import papers_in_order
from dailypapers.papers.listings import (
    SORTS,
    InvalidPeriod,
    Period,
    daily_listings,
    parse_day,
    parse_month,
    parse_week,
)
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.trending import describe, newest_listed_day, trending_paper_ids

from ..page_cache import shared_with_anonymous_readers
from .rendering import bad_request, page_of_cards
from .search import search_page


def home(request: HttpRequest) -> HttpResponse:
    return redirect("papers")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page links."""
    return redirect(static("web/favicon.ico"), permanent=True)


@shared_with_anonymous_readers
def papers(request: HttpRequest) -> HttpResponse:
    """/papers: the latest day with listings, or the search page when ``q`` is given."""
    if "q" in request.GET:
        return search_page(request)
    day = newest_listed_day(timezone.localdate())
    if day is None:
        return render(
            request,
            "web/empty.html",
            {
                "paper_count": Paper.objects.count(),
                "cli": command_hint(),
                "failures": SourceStatus.failing(),
            },
        )
    return _listing_page(request, "date", day.isoformat(), Period(day, day))


def pick_date(request: HttpRequest) -> HttpResponse:
    """The date picker's target: /papers/date?date=… → /papers/date/…."""
    text = request.GET.get("date", "")
    try:
        parse_day(text)
    except InvalidPeriod as error:
        return bad_request(request, str(error))
    return redirect("papers-date", day=text)


def _parsed(parse, text: str) -> Period:
    try:
        return parse(text)
    except InvalidPeriod as error:
        raise Http404(str(error)) from None


@shared_with_anonymous_readers
def papers_of_day(request: HttpRequest, day: str) -> HttpResponse:
    return _listing_page(request, "date", day, _parsed(parse_day, day))


@shared_with_anonymous_readers
def papers_of_week(request: HttpRequest, week: str) -> HttpResponse:
    return _listing_page(request, "week", week, _parsed(parse_week, week))


@shared_with_anonymous_readers
def papers_of_month(request: HttpRequest, month: str) -> HttpResponse:
    return _listing_page(request, "month", month, _parsed(parse_month, month))


def _neighbours(kind: str, period: Period) -> dict[str, str | None]:
    """Previous and next page: the nearest listed days, or the adjacent week or month."""
    if kind == "date":
        listed = DailyListing.objects.visible().values_list("date", flat=True)
        before = listed.filter(date__lt=period.first).order_by("-date").first()
        after = listed.filter(date__gt=period.last).order_by("date").first()
        return {
            "previous_url": before and reverse("papers-date", args=[before.isoformat()]),
            "next_url": after and reverse("papers-date", args=[after.isoformat()]),
        }
    before, after = period.first - timedelta(days=1), period.last + timedelta(days=1)
    if kind == "week":
        return {
            "previous_url": reverse("papers-week", args=[_iso_week(before)]),
            "next_url": reverse("papers-week", args=[_iso_week(after)]),
        }
    return {
        "previous_url": reverse("papers-month", args=[f"{before:%Y-%m}"]),
        "next_url": reverse("papers-month", args=[f"{after:%Y-%m}"]),
    }


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02}"


def _title(kind: str, period: Period) -> str:
    if kind == "date":
        return f"Daily papers of {period.first:%A, %B} {period.first.day}, {period.first.year}"
    if kind == "week":
        return f"Papers of the week {period.first.isocalendar()[1]}, {period.first.year}"
    return f"Papers of {period.first:%B %Y}"


def _listing_page(request: HttpRequest, kind: str, value: str, period: Period) -> HttpResponse:
    sort = request.GET.get("sort", "upvotes")
    if sort not in SORTS:
        return bad_request(request, "sort is upvotes or date")
    return page_of_cards(
        request,
        daily_listings(period, sort=sort),
        "web/listing.html",
        {
            "title": _title(kind, period),
            "kind": kind,
            "value": value,
            "period": period,
            "sort": sort,
            "feed_links": DailyFeed.links_for(),
            **_neighbours(kind, period),
        },
    )


class _PapersByIds:
    """Papers in the order of a list of ids, fetched only for the slice shown."""

    def __init__(self, ids: Callable[[], list[str]]):
        self.ids = ids

    def __getitem__(self, window: slice) -> list[Paper]:
        return papers_in_order(self.ids()[window])


@shared_with_anonymous_readers
def trending(request: HttpRequest) -> HttpResponse:
    return page_of_cards(
        request,
        _PapersByIds(lambda: trending_paper_ids(timezone.localdate())),
        "web/trending.html",
        {
            "title": "Trending papers",
            "feed_links": TrendingFeed.links_for(),
            "formula": describe(),
        },
    )
