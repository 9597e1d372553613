"""Muted words and authors: their papers stay out of the reader's feed and digest
(exclusions.py)."""

import re

from django.db.models import QuerySet

from . import catalog_names
from .errors import Invalid, NotFound
from .models import MAX_VALUE, Mute
from .owned_rows import create_once
from .typed import clean_line

MAX_MUTES = 200
MAX_WORD = 60
Kind = Mute.Kind
# Letters, digits, and what joins them in terms ("GPT-4", "C++", "C#", "e.g.", "R&D"):
# a muted word is matched by the database too, so it holds nothing a regular
# expression would read as syntax (exclusions.py).
_WORD = re.compile(r"[\w][\w \-+.#'&/]*", re.UNICODE)


def mute(user, kind: str, value: object) -> tuple[Mute, bool]:
    """Mute a word (or phrase) or an author; returns the mute and whether it is new."""
    if kind == Kind.WORD:
        value = clean_line(value, "muted word", MAX_WORD).lower()
        if not _WORD.fullmatch(value):
            raise Invalid(
                f"{value[:40]!r}: a muted word has letters and digits, joined by spaces or "
                "- + . # ' & /"
            )
    elif kind == Kind.AUTHOR:
        value = catalog_names.author_name(clean_line(value, "author's name", MAX_VALUE))
    else:
        raise Invalid(f"One mutes a word or an author; not {str(kind)[:20]!r}.")
    return create_once(
        Mute,
        {"user": user},
        MAX_MUTES,
        f"You have muted {MAX_MUTES} words and authors already; unmute some first.",
        kind=kind,
        value=value,
    )


def unmute(user, mute_id: int) -> None:
    deleted, _ = Mute.objects.filter(user=user, pk=mute_id).delete()
    if not deleted:
        raise NotFound(f"You have no mute {mute_id}.")


def mutes(user) -> QuerySet[Mute]:
    return Mute.objects.filter(user=user)
