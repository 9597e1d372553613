"""New on arXiv: one day's announcements, all of them or one category's."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dailypapers.cli import command_hint
from dailypapers.feeds.lists import NewFeed, NewInCategoryFeed
from dailypapers.ingest.models import SourceStatus
from dailypapers.papers import announcements
from dailypapers.papers.listings import InvalidPeriod, parse_day

from ..page_cache import shared_with_anonymous_readers
from .following import follow_button
from .rendering import page_of_cards


@shared_with_anonymous_readers
def new_papers(request: HttpRequest, category: str = "") -> HttpResponse:
    """One day's announcements (the newest by default, or ``?date=``)."""
    try:
        categories, shown = announcements.chosen_categories(category)
        day = (
            parse_day(request.GET["date"]).first
            if "date" in request.GET
            else announcements.newest_day(categories, timezone.localdate())
        )
    except (announcements.InvalidCategory, InvalidPeriod) as error:
        raise Http404(str(error)) from None
    context = {
        "category": category,
        "shown": shown,
        "feed_links": NewInCategoryFeed.links_for(category) if category else NewFeed.links_for(),
        "day": day,
        "follow_button": follow_button(request, "category", category) if category else None,
    }
    if day is None:
        context |= {
            "title": f"New on arXiv in {shown}",
            "cli": command_hint(),
            "failures": SourceStatus.failing(),
            "harvest_set": settings.HARVEST_SET,
        }
        return render(request, "web/new.html", context | {"cards": []})
    before, after = announcements.neighbour_days(day, categories)
    here = reverse("papers-new-category", args=[category]) if category else reverse("papers-new")
    return page_of_cards(
        request,
        announcements.announced_on(day, categories),
        "web/new.html",
        context
        | {
            "title": f"New on arXiv in {shown}: {day:%A, %B} {day.day}, {day.year}",
            "subjects": announcements.categories_on(day, settings.NEW_CATEGORIES),
            "previous_url": before and f"{here}?date={before}",
            "next_url": after and f"{here}?date={after}",
        },
    )
