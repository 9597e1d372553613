"""Verified account emails: an address is trusted once a signed link mailed to it is opened.

Anyone can type anyone's address at sign-up or in settings; what proves it is
theirs is a link sent there. Opening it records the address (VerifiedEmail).
An account's email is verified while it is still the recorded address, so a
change in settings makes it unverified until the new address's link is opened.
What trusts an address (a digest subscription joining an account) asks here.

The link is a ``django.core.signing`` token naming the account and the
address, expiring with Django's PASSWORD_RESET_TIMEOUT, like a reset link.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dailypapers import mail
from dailypapers.throttles import limits

from .models import VerifiedEmail

SALT = "dailypapers.community.verify-email"


class InvalidLink(Exception):
    """A verification link that was altered, has expired, or names an address the account left."""


def is_verified(user) -> bool:
    return (
        bool(user.email)
        and VerifiedEmail.objects.filter(user=user, email__iexact=user.email).exists()
    )


def verified_account(user_id: int, email: str):
    """The active account ``user_id`` if its email is ``email`` and verified, else None."""
    return (
        get_user_model()
        .objects.filter(
            pk=user_id,
            is_active=True,
            email__iexact=email,
            verified_email__email__iexact=email,
        )
        .first()
    )


def send_link(user) -> None:
    """Mail ``user`` a link that verifies their current address.

    Raises limits.Throttled when the account had its share of these emails, or
    mail.MailUnavailable when it could not be sent (then it does not count).
    """
    limits.check(limits.VERIFICATION_EMAIL, account=user.pk)
    token = signing.dumps({"u": user.pk, "e": user.email}, salt=SALT)
    body = render_to_string(
        "community/verify_email.txt",
        {
            "user": user,
            "link": settings.BASE_URL + reverse("verify-email", args=[token]),
            "days": round(settings.PASSWORD_RESET_TIMEOUT / 86400),
            "base_url": settings.BASE_URL,
        },
    )
    message = EmailMessage(
        "Verify your email address for dailypapers", body, settings.DEFAULT_FROM_EMAIL, [user.email]
    )
    try:
        mail.send(message)
    except mail.MailUnavailable:
        limits.give_back(limits.VERIFICATION_EMAIL, account=user.pk)
        raise


def read_link(token: str) -> tuple[object, str]:
    """The account and the address a link was made for; raises InvalidLink."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
        user_id, email = int(payload["u"]), str(payload["e"])
    except signing.SignatureExpired:
        raise InvalidLink("This link has expired.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidLink("This link is not valid.") from None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidLink("This link is not valid.")
    if user.email.casefold() != email.casefold():
        raise InvalidLink("This link is for an address the account no longer has.")
    return user, email


def verify(token: str):
    """Record the address a link names as verified; return its account. Raises InvalidLink."""
    user, _ = read_link(token)
    mark_verified(user)
    return user


def mark_verified(user) -> None:
    """The account's current address is proven (its link, or a password-reset link, opened)."""
    VerifiedEmail.objects.update_or_create(
        user=user, defaults={"email": user.email, "verified_at": timezone.now()}
    )
