"""The site's absolute addresses that digest emails carry: signed preference and
unsubscribe links, and the page listing what a follow matches (DAILYPAPERS_BASE_URL)."""

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from dailypapers.library.models import Follow

from . import tokens


def absolute_url(path: str) -> str:
    return settings.BASE_URL + path


def manage_url(email: str) -> str:
    return absolute_url(
        reverse("digests:preferences", args=[tokens.make_token(tokens.MANAGE, email)])
    )


def unsubscribe_url(email: str) -> str:
    token = tokens.make_token(tokens.UNSUBSCRIBE, email)
    return absolute_url(reverse("digests:unsubscribe", args=[token]))


def follow_page_url(kind: str, value: str) -> str:
    """Where the site lists what a follow matches."""
    if kind == Follow.Kind.ORGANIZATION:
        return absolute_url(reverse("organization", args=[value]))
    if kind == Follow.Kind.AUTHOR:
        return absolute_url(reverse("author", args=[value]))
    if kind == Follow.Kind.CATEGORY:
        # The site has no category page (search needs words); arXiv lists a category's new papers.
        return f"https://arxiv.org/list/{quote(value)}/new"
    return absolute_url(reverse("papers") + f"?q={quote(value)}")
