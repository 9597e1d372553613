"""Following an author, an organization, an arXiv category or a search.

One list per reader serves the site (the buttons on those pages), the feeds, the
"For you" ranking and the digests. A follow is stored under the catalog's own
spelling, so that it matches the papers: an author's name as the catalog writes
it, an organization's slug, a category as arXiv writes it.
"""

from django.db.models import QuerySet

from . import catalog_names
from .errors import Invalid, NotFound
from .models import MAX_VALUE, Follow
from .owned_rows import create_once
from .typed import clean_line

MAX_FOLLOWS = 500
MAX_QUERY = 200
Kind = Follow.Kind


def clean_follow(kind: str, value: object) -> tuple[str, str]:
    """``(kind, value)`` as stored; Invalid saying what is wrong."""
    if kind not in Kind.values:
        raise Invalid(
            "One follows an author, an organization, a category or a query; "
            f"not {str(kind)[:20]!r}."
        )
    what = Kind(kind).label.lower()
    value = clean_line(value, what, MAX_QUERY if kind == Kind.QUERY else MAX_VALUE)
    if kind == Kind.CATEGORY:
        return kind, catalog_names.category(value)
    if kind == Kind.ORGANIZATION:
        return kind, catalog_names.organization_slug(value)
    if kind == Kind.AUTHOR:
        return kind, catalog_names.author_name(value)
    return kind, value


def follow(user, kind: str, value: object) -> tuple[Follow, bool]:
    """Follow ``value``; returns the follow and whether it is new (following twice is one)."""
    kind, value = clean_follow(kind, value)
    return create_once(
        Follow,
        user,
        MAX_FOLLOWS,
        f"You follow {MAX_FOLLOWS} things already; unfollow some first.",
        kind=kind,
        value=value,
    )


def unfollow(user, follow_id: int) -> None:
    """Stop following; NotFound when ``follow_id`` is not one of the reader's follows."""
    deleted, _ = Follow.objects.filter(user=user, pk=follow_id).delete()
    if not deleted:
        raise NotFound(f"You have no follow {follow_id}.")


def follows(user, kind: str | None = None) -> QuerySet[Follow]:
    """The reader's follows, in the order they were made; of one ``kind`` if given."""
    found = Follow.objects.filter(user=user)
    return found.filter(kind=kind) if kind else found
