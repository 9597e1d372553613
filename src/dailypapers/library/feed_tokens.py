"""The secret in a reader's private feed URL (their "For you" feed): made on first
use, replaced on reset, which ends the old URL at once."""

from django.db import IntegrityError, transaction

from .models import FeedToken, new_feed_token


def feed_token(user) -> str:
    """The reader's token, made the first time it is asked for."""
    try:
        with transaction.atomic():
            token, _ = FeedToken.objects.get_or_create(user=user)
    except IntegrityError:
        # Made by another request at the same moment.
        token = FeedToken.objects.get(user=user)
    return token.token


def reset_feed_token(user) -> str:
    """A new token for the reader; the old one no longer opens anything."""
    token = new_feed_token()
    FeedToken.objects.update_or_create(user=user, defaults={"token": token})
    return token


def user_for_feed_token(token: str):
    """The active reader whose feed ``token`` opens, or None."""
    found = (
        FeedToken.objects.filter(token=token, user__is_active=True).select_related("user").first()
    )
    return found.user if found is not None else None
