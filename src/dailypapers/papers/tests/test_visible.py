"""Moderation hides: what visible() leaves out of each list read through it."""

from datetime import date

import pytest
from django.contrib.auth.models import User

from dailypapers.papers.collections import (
    author_papers,
    organization_papers,
    organizations_by_paper_count,
    papers_in_order,
    submitted_listings,
    upvoted_papers,
)
from dailypapers.papers.listings import daily_listings
from dailypapers.papers.models import Author, Authorship, DailyListing, Organization, Paper
from dailypapers.papers.services import add_upvote

pytestmark = pytest.mark.django_db

DAY = date(2024, 3, 4)
SHOWN, HIDDEN, LISTING_HIDDEN = "2403.00001", "2403.00002", "2403.00003"


@pytest.fixture
def reader() -> User:
    return User.objects.create_user("reader")


@pytest.fixture
def catalog(reader) -> Organization:
    """Three listed papers of one organization and author, upvoted and submitted by
    ``reader``: one shown, one hidden, one whose listing alone is hidden."""
    acme = Organization.objects.create(slug="acme", name="Acme")
    ada = Author.objects.create(name="Ada Lovelace")
    for arxiv_id in (SHOWN, HIDDEN, LISTING_HIDDEN):
        paper = Paper.objects.create(
            arxiv_id=arxiv_id, title=arxiv_id, published=DAY, organization=acme
        )
        Authorship.objects.create(paper=paper, author=ada, position=0)
        DailyListing.objects.create(paper=paper, date=DAY, submitted_by=reader)
        add_upvote(reader, paper)
    Paper.objects.filter(pk=HIDDEN).update(is_hidden=True)
    DailyListing.objects.filter(paper_id=LISTING_HIDDEN).update(is_hidden=True)
    return acme


def ids(papers) -> set[str]:
    return {paper.arxiv_id for paper in papers}


def test_a_listing_is_visible_when_neither_it_nor_its_paper_is_hidden(catalog):
    assert {listing.paper_id for listing in DailyListing.objects.visible()} == {SHOWN}
    assert {listing.paper_id for listing in daily_listings(sort="upvotes")} == {SHOWN}


def test_hidden_papers_leave_the_paper_lists_and_the_organization_count(catalog, reader):
    visible = {SHOWN, LISTING_HIDDEN}
    assert ids(organization_papers(catalog)) == visible
    assert ids(author_papers(Author.objects.get())) == visible
    assert ids(upvoted_papers(reader)) == visible
    assert ids(papers_in_order([HIDDEN, SHOWN, LISTING_HIDDEN])) == visible
    assert organizations_by_paper_count().get().paper_count == 2


def test_a_submitter_keeps_a_hidden_listing_but_not_a_hidden_paper(catalog, reader):
    # Hiding a listing takes it off the daily list only.
    assert {listing.paper_id for listing in submitted_listings(reader)} == {
        SHOWN,
        LISTING_HIDDEN,
    }
