"""What a subscription follows: its account's follows, or its own list when it has no
account. Both are library's ``Follow`` rows, written through library.follows."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from dailypapers.library import follows as library
from dailypapers.library.errors import LibraryError
from dailypapers.library.models import Follow, FollowList
from dailypapers.papers.models import Organization

from .models import Subscription

Kind = Follow.Kind


def owner(subscription: Subscription) -> AbstractBaseUser | FollowList:
    """Whose follows make the digest: the account's, else the subscription's own list
    (made now if it had none)."""
    if subscription.user_id:
        return subscription.user
    if subscription.follow_list_id is None:
        made = library.follow_list()
        # Two requests giving the subscription its first list at once: one list wins.
        if not Subscription.objects.filter(pk=subscription.pk, follow_list=None).update(
            follow_list=made
        ):
            library.delete_list(made.pk)
        subscription.refresh_from_db(fields=["follow_list"])
    return subscription.follow_list


def followed(subscription: Subscription) -> QuerySet[Follow]:
    """The subscription's follows, in the order they were made: the order of its sections."""
    if subscription.user_id:
        return library.follows(subscription.user)
    if subscription.follow_list_id:
        return library.follows(subscription.follow_list)
    return Follow.objects.none()


def add(subscription: Subscription, follows: list[tuple[str, str]]) -> None:
    """Follow what a confirmed link asked for; what is no longer valid (an organization
    deleted since the link was sent) or past the cap is left out, the rest still counts."""
    who = owner(subscription)
    for kind, value in follows:
        try:
            library.follow(who, kind, value)
        except LibraryError:
            continue


def replace(subscription: Subscription, follows: list[tuple[str, str]]) -> None:
    """Make the subscription's follows exactly ``follows`` (clean pairs)."""
    library.replace_follows(owner(subscription), follows)


def join_account(subscription: Subscription) -> None:
    """The subscription now belongs to an account: its list's follows become the account's."""
    if subscription.user_id and subscription.follow_list_id:
        library.move_to_account(subscription.follow_list, subscription.user)
        subscription.follow_list = None


def follows_of(batch: list[Subscription]) -> dict[int, list[Follow]]:
    """Subscription id -> its follows, for a batch of subscriptions read together."""
    by_user, by_list = library.follows_of_owners(
        [s.user_id for s in batch if s.user_id],
        [s.follow_list_id for s in batch if not s.user_id and s.follow_list_id],
    )
    found = {}
    for subscription in batch:
        if subscription.user_id:
            found[subscription.pk] = by_user[subscription.user_id]
        else:
            found[subscription.pk] = by_list.get(subscription.follow_list_id, [])
    return found


def label(kind: str, value: str) -> str:
    """What a confirmation email and page say a follow brings."""
    if kind == Kind.ORGANIZATION:
        org = Organization.objects.filter(slug=value).first()
        return f"papers from {org.name if org else value}"
    return {
        Kind.CATEGORY: f"new papers in {value}",
        Kind.AUTHOR: f"papers by {value}",
        Kind.QUERY: f"new matches for “{value}”",
    }[kind]
