"""The paper lists beyond the daily list: an organization's, an author's, a user's;
and the list of organizations.

Pages, feeds and exports all read these lists from here, so each is one query shape.
"""

from django.db.models import Count, F, QuerySet

from .models import Author, DailyListing, Organization, Paper, visible_paper

NEWEST_FIRST = ("-published", "arxiv_id")
MOST_UPVOTED_FIRST = ("-upvotes", "-published", "arxiv_id")


def organizations_by_paper_count() -> QuerySet:
    """Every organization with its ``paper_count`` (visible papers), most papers first."""
    return Organization.objects.annotate(
        paper_count=Count("papers", filter=visible_paper(via="papers"))
    ).order_by("-paper_count", "name", "slug")


def organization_papers(org: Organization, *, newest_first: bool = False) -> QuerySet:
    """Most upvoted first (the organization page), or newest first (its feed)."""
    order = NEWEST_FIRST if newest_first else MOST_UPVOTED_FIRST
    return org.papers.visible().for_cards().order_by(*order)


def author_papers(author: Author) -> QuerySet:
    return author.papers.visible().for_cards().order_by(*NEWEST_FIRST)


def upvoted_papers(user) -> QuerySet:
    """The papers ``user`` upvoted, latest upvote first, each with its ``upvoted_at``."""
    return (
        Paper.objects.visible()
        .for_cards()
        .filter(upvote_set__user=user)
        # After the filter, the annotation reads the same (this user's) upvote row.
        .annotate(upvoted_at=F("upvote_set__created_at"))
        .order_by("-upvoted_at", "arxiv_id")
    )


def submitted_listings(user) -> QuerySet:
    """Daily listings ``user`` submitted here, newest first.

    A listing moderators hid stays here while its paper is visible: hiding a
    listing takes it off the daily list only.
    """
    return (
        DailyListing.objects.filter(visible_paper(via="paper"), submitted_by=user)
        .select_related("paper", "paper__organization")
        .order_by("-date", "paper_id")
    )


def papers_in_order(ids: list[str]) -> list[Paper]:
    """The visible papers of ``ids``, ready for cards, in the order of ``ids``."""
    papers = Paper.objects.visible().for_cards().in_bulk(ids)
    return [papers[i] for i in ids if i in papers]
