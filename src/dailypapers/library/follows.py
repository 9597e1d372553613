"""Following an author, an organization, an arXiv category or a search.

One list per reader serves the site (the buttons on those pages), the feeds, the
"For you" ranking and the digests. A follow is stored under the catalog's own
spelling, so that it matches the papers: an author's name as the catalog writes
it, an organization's slug, a category as arXiv writes it.

The owner of follows is an account, or a ``FollowList``: the follows of a digest
subscriber who has no account (docs/digests.md). Every service takes either.
"""

from django.db import transaction
from django.db.models import Q, QuerySet

from . import catalog_names
from .errors import Invalid, NotFound
from .models import MAX_VALUE, Follow, FollowList
from .owned_rows import create_once
from .typed import clean_line

MAX_FOLLOWS = 500
MAX_QUERY = 200
Kind = Follow.Kind


def _owned_by(owner) -> dict[str, object]:
    """The filter that selects ``owner``'s follows: an account's or a FollowList's."""
    return {"follow_list": owner} if isinstance(owner, FollowList) else {"user": owner}


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


def follow(owner, kind: str, value: object) -> tuple[Follow, bool]:
    """Follow ``value``; returns the follow and whether it is new (following twice is one)."""
    kind, value = clean_follow(kind, value)
    return create_once(
        Follow,
        _owned_by(owner),
        MAX_FOLLOWS,
        f"You follow {MAX_FOLLOWS} things already; unfollow some first.",
        kind=kind,
        value=value,
    )


def unfollow(owner, follow_id: int) -> None:
    """Stop following; NotFound when ``follow_id`` is not one of the owner's follows."""
    deleted, _ = Follow.objects.filter(**_owned_by(owner), pk=follow_id).delete()
    if not deleted:
        raise NotFound(f"You have no follow {follow_id}.")


def follows(owner, kind: str | None = None) -> QuerySet[Follow]:
    """The owner's follows, in the order they were made; of one ``kind`` if given."""
    found = Follow.objects.filter(**_owned_by(owner))
    return found.filter(kind=kind) if kind else found


def replace_follows(owner, wanted: list[tuple[str, str]]) -> None:
    """Make the owner's follows exactly ``wanted`` (clean pairs, see clean_follow).

    Those already followed stay as they were (their id, their date, their place in
    the order), the others are dropped, the new ones come after. Invalid past the cap.
    """
    wanted = list(dict.fromkeys(wanted))
    if len(wanted) > MAX_FOLLOWS:
        raise Invalid(f"Follow at most {MAX_FOLLOWS} things.")
    with transaction.atomic():
        kept = set()
        for row in follows(owner).select_for_update():
            if (row.kind, row.value) in wanted:
                kept.add((row.kind, row.value))
            else:
                row.delete()
        Follow.objects.bulk_create(
            [Follow(**_owned_by(owner), kind=k, value=v) for k, v in wanted if (k, v) not in kept],
            ignore_conflicts=True,
        )


def follow_list() -> FollowList:
    """A new, empty list of follows for someone without an account."""
    return FollowList.objects.create()


def move_to_account(source: FollowList, user) -> None:
    """Someone with a list of follows signs in as ``user``: the list's follows join the
    account's (one each, within the cap: the account's own come first) and the list
    is deleted."""
    with transaction.atomic():
        have = set(follows(user).values_list("kind", "value"))
        room = MAX_FOLLOWS - len(have)
        moving = [pair for pair in follows(source).values_list("kind", "value") if pair not in have]
        Follow.objects.bulk_create(
            [Follow(user=user, kind=k, value=v) for k, v in moving[: max(room, 0)]],
            ignore_conflicts=True,
        )
        source.delete()


def delete_list(list_id: int) -> None:
    """Forget a list of follows and its follows (its subscriber is gone)."""
    FollowList.objects.filter(pk=list_id).delete()


def follows_of_owners(
    user_ids: list[int], list_ids: list[int]
) -> tuple[dict[int, list[Follow]], dict[int, list[Follow]]]:
    """The follows of many owners at once, in the order made: by user id, by list id."""
    by_user: dict[int, list[Follow]] = {pk: [] for pk in user_ids}
    by_list: dict[int, list[Follow]] = {pk: [] for pk in list_ids}
    if not user_ids and not list_ids:
        return by_user, by_list
    found = Follow.objects.filter(Q(user_id__in=user_ids) | Q(follow_list_id__in=list_ids))
    for row in found:
        if row.user_id is not None:
            by_user[row.user_id].append(row)
        else:
            by_list[row.follow_list_id].append(row)
    return by_user, by_list
