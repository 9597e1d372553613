"""Signed links in digest emails: confirm, manage preferences, unsubscribe.

Each purpose has its own salt, so a token made for one cannot be used for
another, and each names the address it was made for, so it cannot be used for
another address. Confirmation links expire (DIGEST_CONFIRM_MAX_AGE_DAYS) and so
do preference links (DIGEST_MANAGE_MAX_AGE_DAYS: every digest carries a fresh
one); unsubscribe links never do, because a reader may act on an old message.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

CONFIRM = "dailypapers.digests.confirm"
MANAGE = "dailypapers.digests.manage"
UNSUBSCRIBE = "dailypapers.digests.unsubscribe"


class InvalidToken(Exception):
    """A link that was tampered with, made for another purpose, or has expired."""


def make_confirm_token(email: str, follows: list[tuple[str, str]], user_id: int | None) -> str:
    payload = {"e": email, "f": [list(follow) for follow in follows]}
    if user_id is not None:
        payload["u"] = user_id
    return signing.dumps(payload, salt=CONFIRM, compress=True)


def read_confirm_token(token: str) -> tuple[str, list[tuple[str, str]], int | None]:
    payload = _load(token, CONFIRM, timedelta(days=settings.DIGEST_CONFIRM_MAX_AGE_DAYS))
    try:
        follows = [(str(kind), str(value)) for kind, value in payload.get("f", [])]
        return str(payload["e"]), follows, payload.get("u")
    except (KeyError, TypeError, ValueError):
        raise InvalidToken("This link is not valid.") from None


def make_token(purpose: str, email: str) -> str:
    return signing.dumps({"e": email}, salt=purpose)


def read_token(purpose: str, token: str) -> str:
    """The address a MANAGE or UNSUBSCRIBE token was made for."""
    max_age = timedelta(days=settings.DIGEST_MANAGE_MAX_AGE_DAYS) if purpose == MANAGE else None
    payload = _load(token, purpose, max_age)
    try:
        return str(payload["e"])
    except (KeyError, TypeError):
        raise InvalidToken("This link is not valid.") from None


def _load(token: str, salt: str, max_age: timedelta | None) -> dict:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidToken("This link has expired.") from None
    except signing.BadSignature:
        raise InvalidToken("This link is not valid.") from None
    if not isinstance(payload, dict):
        raise InvalidToken("This link is not valid.")
    return payload
