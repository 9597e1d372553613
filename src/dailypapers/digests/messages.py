"""The email a composed digest goes out as: both bodies (compose.py renders them), the
one-click unsubscribe headers and the Message-ID every attempt of it reuses."""

from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .compose import ComposedDigest, Composer
from .links import manage_url, unsubscribe_url
from .models import Subscription


def new_message_id() -> str:
    return make_msgid("digest", urlsplit(settings.BASE_URL).hostname)


def build_message(
    subscription: Subscription, composer: Composer, digest: ComposedDigest, message_id: str
) -> EmailMultiAlternatives:
    manage, unsubscribe = manage_url(subscription.email), unsubscribe_url(subscription.email)
    text, html = composer.render(subscription, digest, manage=manage, unsubscribe=unsubscribe)
    message = EmailMultiAlternatives(
        digest.subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [subscription.email],
        headers={
            # RFC 8058 one-click unsubscribe: mail clients POST to this URL.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": message_id,
        },
    )
    message.attach_alternative(html, "text/html")
    return message
