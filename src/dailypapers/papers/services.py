"""The catalog's other writes: organizations' papers, moderation, upvotes and submissions.

What importers store goes through upserts.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .arxiv_ids import InvalidArxivId, normalize_arxiv_id
from .models import Author, DailyListing, Organization, Paper, Upvote
from .upserts import in_chunks


@dataclass
class OrganizationLinks:
    """What linking papers to an organization in bulk did (or would do, on a preview)."""

    linked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    # Linked to another organization: left there unless asked to take them.
    elsewhere: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    invalid_ids: list[str] = field(default_factory=list)
    unknown_authors: list[str] = field(default_factory=list)


def link_papers_to_organization(
    organization: Organization,
    *,
    arxiv_ids: Sequence[str] = (),
    author_names: Sequence[str] = (),
    published_from: date | None = None,
    published_until: date | None = None,
    take_from_others: bool = False,
    preview: bool = False,
) -> OrganizationLinks:
    """Link the papers named by id, and the papers of the named authors (published
    within the dates when given), to ``organization``, in one statement.

    The catalog has no affiliations (arXiv's metadata rarely carries them), so
    staff name the organization's authors. Ids may be versioned ids or URLs.
    """
    report = OrganizationLinks()
    wanted: set[str] = set()
    for text in arxiv_ids:
        try:
            wanted.add(normalize_arxiv_id(text))
        except InvalidArxivId:
            report.invalid_ids.append(text)
    found = set()
    for chunk in in_chunks(sorted(wanted)):
        found |= set(Paper.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    report.unknown_ids = sorted(wanted - found)
    authors = []
    for name in dict.fromkeys(" ".join(name.split()) for name in author_names if name.strip()):
        author = Author.objects.filter(name__iexact=name).first()
        if author is None:
            report.unknown_authors.append(name)
        else:
            authors.append(author)
    if authors:
        by_authors = Paper.objects.filter(authorships__author__in=authors)
        if published_from:
            by_authors = by_authors.filter(published__gte=published_from)
        if published_until:
            by_authors = by_authors.filter(published__lte=published_until)
        found |= set(by_authors.values_list("pk", flat=True))
    current = {}
    for chunk in in_chunks(sorted(found)):
        current |= dict(Paper.objects.filter(pk__in=chunk).values_list("pk", "organization"))
    for arxiv_id, organization_id in sorted(current.items()):
        if organization_id == organization.pk:
            report.already.append(arxiv_id)
        elif organization_id is None or take_from_others:
            report.linked.append(arxiv_id)
        else:
            report.elsewhere.append(arxiv_id)
    if not preview:
        with transaction.atomic():
            for chunk in in_chunks(report.linked):
                # changed_at tells the search index to pick up the new organization filter.
                Paper.objects.filter(pk__in=chunk).update(
                    organization=organization, changed_at=timezone.now()
                )
    return report


def set_hidden(papers: QuerySet, hidden: bool) -> int:
    """Hide papers from every list, search and feed, or show them again; return how many.

    ``changed_at`` moves with it: the keyword index of every node drops a hidden paper, and
    takes it back when it is shown again, by following that column."""
    return papers.update(is_hidden=hidden, changed_at=timezone.now())


def add_upvote(user, paper: Paper) -> bool:
    """Upvote once; return False if the user had already upvoted."""
    try:
        with transaction.atomic():
            Upvote.objects.create(user=user, paper=paper)
            Paper.objects.filter(pk=paper.pk).update(upvotes=F("upvotes") + 1)
    except IntegrityError:
        return False
    return True


def remove_upvote(user, paper: Paper) -> bool:
    """Withdraw an upvote; return False if there was none."""
    with transaction.atomic():
        deleted, _ = Upvote.objects.filter(user=user, paper=paper).delete()
        if deleted:
            Paper.objects.filter(pk=paper.pk).update(upvotes=F("upvotes") - 1)
    return bool(deleted)


def count_votes_of(user, counted: bool) -> int:
    """Add (``counted``) or take away a user's upvotes from the papers they upvoted.

    Only active accounts' votes count: deactivating an account discounts them,
    reactivating counts them again, deleting an active account discounts them
    before its Upvote rows go. Relative updates, like add_upvote's, so that
    votes cast meanwhile on the same papers are not lost.
    """
    change = 1 if counted else -1
    return Paper.objects.filter(upvote_set__user=user).update(upvotes=F("upvotes") + change)


class SubmissionRefused(Exception):
    """Why a paper cannot go on the daily list; ``status`` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.status = status


def submit_to_daily_list(user, paper: Paper, today: date) -> DailyListing:
    """Put a paper on ``today``'s list for ``user``, by the rules in settings."""
    if paper.is_hidden:
        # Moderators took it off every list: to everyone else it is not in the catalog.
        raise SubmissionRefused(f"{paper.arxiv_id} is not in the catalog", status=404)
    if (listing := paper.daily_listing) is not None:
        raise SubmissionRefused(
            f"{paper.arxiv_id} is already on the daily list of {listing.date}", status=409
        )
    max_age = settings.SUBMISSION_MAX_AGE_DAYS
    if paper.published is None or (today - paper.published).days > max_age:
        raise SubmissionRefused(
            f"{paper.arxiv_id} was published on arXiv more than "
            f"{max_age} days ago; only recent papers can be submitted"
        )
    limit = settings.SUBMISSIONS_PER_USER_PER_DAY
    try:
        with transaction.atomic():
            # The count and the new row must not interleave with the user's other
            # submissions: lock the user's row (PostgreSQL; SQLite's transactions
            # take the database's write lock as they begin).
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            if DailyListing.objects.filter(submitted_by=user, date=today).count() >= limit:
                raise SubmissionRefused(
                    f"you have submitted {limit} papers today, the daily limit", status=429
                )
            return DailyListing.objects.create(
                paper=paper, date=today, submitted_by=user, source=DailyListing.Source.LOCAL
            )
    except IntegrityError:  # someone else submitted it a moment ago
        raise SubmissionRefused(
            f"{paper.arxiv_id} is already on the daily list", status=409
        ) from None
