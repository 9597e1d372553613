"""Subscribing (double opt-in), preferences and unsubscribing.

Asking to subscribe stores nothing but rate-limit counters and sends one email
with a signed confirmation link; the subscription exists once that link is
opened. Asking again for an address that is already subscribed sends the same
kind of link, which then adds what was asked to follow: the web page answers
the same in both cases, so it tells nobody who subscribes.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dailypapers import mail
from dailypapers.community import verification
from dailypapers.throttles import limits

from . import following, tokens
from .links import absolute_url
from .models import MAX_EMAIL, Subscription

PAPER_COUNTS = (3, 5, 10, 20)


class RateLimited(Exception):
    """Too many subscribe requests for this address or from this client."""


def normalize_email(text: str) -> str:
    """The address as stored (lower-case), or ValidationError.

    An address with a line break or a control character in it is a
    header-injection attempt, never a typo worth fixing: mail.validate_address.
    """
    text = text.strip()
    if len(text) > MAX_EMAIL:
        raise ValidationError(f"An email address has at most {MAX_EMAIL} characters.")
    mail.validate_address(text)
    return text.lower()


def request_subscription(
    email: str, follows: list[tuple[str, str]], *, client: str, user=None
) -> None:
    """Mail ``email`` a confirmation link, within the rate limits.

    Raises RateLimited, or mail.MailUnavailable when the link could not be sent
    (the request stays as it was: asking again sends it).

    ``email`` and ``follows`` are already clean; ``client`` is the requester's
    network (limits.client_key).
    """
    try:
        # The client's bucket first: a client spraying addresses is stopped before
        # it can drain the buckets of the addresses it targets.
        limits.check(limits.SUBSCRIBE, client=client, account=email)
    except limits.Throttled as refusal:
        if refusal.scope == "client":
            raise RateLimited(
                "Too many subscribe requests from your network. Try again later."
            ) from None
        raise RateLimited(
            "We already sent a confirmation email to this address recently. "
            "Check your inbox (and spam folder), or try again tomorrow."
        ) from None
    token = tokens.make_confirm_token(email, follows, user.pk if user else None)
    link = absolute_url(reverse("digests:confirm", args=[token]))
    active = Subscription.objects.filter(email=email, status=Subscription.Status.ACTIVE).exists()
    subject = (
        "Confirm the change to your dailypapers digest"
        if active
        else "Confirm your subscription to the dailypapers digest"
    )
    body = render_to_string(
        "digests/email/confirm.txt",
        {
            "active": active,
            "labels": [following.label(*follow) for follow in follows],
            "link": link,
            "days": settings.DIGEST_CONFIRM_MAX_AGE_DAYS,
        },
    )
    try:
        mail.send(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
    except mail.MailUnavailable:
        # Nothing reached the address, so asking again must not count against it.
        limits.give_back(limits.SUBSCRIBE, account=email)
        raise


def confirm(token: str) -> tuple[Subscription, bool]:
    """Apply a confirmation link; returns the subscription and whether it was new or resumed.

    Raises tokens.InvalidToken. Opening the same link twice changes nothing more.
    """
    email, follows, user_id = tokens.read_confirm_token(token)
    now = timezone.now()
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            email=email, defaults={"confirmed_at": now, "covered_until": now}
        )
        started = created or subscription.status != Subscription.Status.ACTIVE
        if started and not created:
            _restart(subscription, now)
        if user_id and subscription.user_id is None:
            # Only to the account of that very address, once the account proved it
            # is theirs: anyone can type someone else's address in their settings.
            subscription.user = verification.verified_account(user_id, email)
            following.join_account(subscription)
        subscription.save()
        following.add(subscription, follows)
    return subscription, started


def _restart(subscription: Subscription, now) -> None:
    """Back after unsubscribing or a suspension: a fresh start, new papers from now on."""
    subscription.status = Subscription.Status.ACTIVE
    subscription.confirmed_at = subscription.covered_until = now
    subscription.unsubscribed_at = None
    subscription.bounce_count = 0
    subscription.last_error = ""


def resume(email: str) -> None:
    """Subscribe again an address that unsubscribed (its unsubscribe link proves it)."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(email=email).first()
        if subscription and subscription.status != Subscription.Status.ACTIVE:
            _restart(subscription, timezone.now())
            subscription.save()


def subscription_for(email: str) -> Subscription | None:
    return Subscription.objects.filter(email=email).first()


def update_preferences(
    subscription: Subscription, *, frequency: str, paper_count: int, follows: list[tuple[str, str]]
) -> None:
    """Replace the subscription's choices; ``follows`` are clean (see PreferencesForm).

    They are its account's follows when it has one: what the site's buttons follow.
    """
    with transaction.atomic():
        subscription.frequency = frequency
        subscription.paper_count = paper_count
        subscription.save(update_fields=["frequency", "paper_count"])
        following.replace(subscription, follows)


def unsubscribe(email: str) -> bool:
    """Stop the digest for ``email``; False when it was not subscribed."""
    return bool(
        Subscription.objects.filter(email=email, status=Subscription.Status.ACTIVE).update(
            status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )
    )


def export_for_user(user) -> list[dict]:
    """The user's subscriptions for their data export."""
    return [
        {
            "email": subscription.email,
            "status": subscription.status,
            "frequency": subscription.frequency,
            "paper_count": subscription.paper_count,
            "confirmed_at": subscription.confirmed_at.isoformat()
            if subscription.confirmed_at
            else None,
            "follows": [
                {"kind": f.kind, "value": f.value} for f in following.followed(subscription)
            ],
        }
        for subscription in user.digest_subscriptions.order_by("id")
    ]
