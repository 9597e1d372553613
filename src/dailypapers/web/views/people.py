"""Pages of who wrote, published or chose papers: organizations, authors, and users."""

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from dailypapers.feeds.lists import AuthorFeed, OrganizationFeed, UpvotesFeed
from dailypapers.papers.collections import (
    author_papers,
    organization_papers,
    organizations_by_paper_count,
    submitted_listings,
    upvoted_papers,
)
from dailypapers.papers.models import Author, Organization

from ..page_cache import shared_with_anonymous_readers
from .following import follow_button
from .rendering import PAGE_SIZE, page_number, page_of_cards

# Organizations are one line each: a page holds more of them than of cards.
ORGANIZATIONS_PER_PAGE = 100


@shared_with_anonymous_readers
def organizations(request: HttpRequest) -> HttpResponse:
    """Every organization, most papers first, ORGANIZATIONS_PER_PAGE to a page."""
    number = page_number(request)
    start = (number - 1) * ORGANIZATIONS_PER_PAGE
    window = list(organizations_by_paper_count()[start : start + ORGANIZATIONS_PER_PAGE + 1])
    if not window and number > 1:
        raise Http404(f"Page {number} is past the end of the organizations.")
    path = reverse("organizations")
    return render(
        request,
        "web/organizations.html",
        {
            "organizations": window[:ORGANIZATIONS_PER_PAGE],
            "title": "Organizations",
            "previous_url": number > 1 and f"{path}?p={number - 1}",
            "next_url": len(window) > ORGANIZATIONS_PER_PAGE and f"{path}?p={number + 1}",
        },
    )


@shared_with_anonymous_readers
def organization(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    return page_of_cards(
        request,
        organization_papers(org),
        "web/organization.html",
        {
            "organization": org,
            "title": org.name,
            "feed_links": OrganizationFeed.links_for(org.slug),
            "follow_button": follow_button(request, "organization", org.slug),
        },
    )


@shared_with_anonymous_readers
def author(request: HttpRequest, name: str) -> HttpResponse:
    person = get_object_or_404(Author, name=name)
    return page_of_cards(
        request,
        author_papers(person),
        "web/author.html",
        {
            "author": person,
            "title": person.name,
            "feed_links": AuthorFeed.links_for(person.name),
            "follow_button": follow_button(request, "author", person.name),
        },
    )


@shared_with_anonymous_readers
def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    submitted = list(submitted_listings(person)[:PAGE_SIZE])
    return page_of_cards(
        request,
        upvoted_papers(person),
        "web/profile.html",
        {
            "person": person,
            "submitted": submitted,
            "title": person.username,
            "feed_links": UpvotesFeed.links_for(person.username),
        },
    )
