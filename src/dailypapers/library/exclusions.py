"""What a reader's feed and digest leave out: dismissed and read papers, and papers
with a muted word or by a muted author.

``exclusions(user)`` reads it all once. The ranker applies it to its candidates
in memory (``Exclusions.hides``), a digest to its query (``Exclusions.apply``);
both match a muted word the same way: as a whole word or phrase, in any case,
in the title or the abstract.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Exists, OuterRef, Q, QuerySet

from dailypapers.papers.models import Authorship

from .models import Mark, Mute

# A word's edges, written so that Python's re (the ranker, and SQLite's REGEXP) and
# PostgreSQL's regular expressions read them alike.
_BEFORE, _AFTER = "(^|[^A-Za-z0-9_])", "([^A-Za-z0-9_]|$)"


def _pattern(word: str) -> str:
    """``word`` as a regular expression both engines read alike: mutes.py lets words hold
    only letters, digits, spaces and a few joiners, each joiner here in brackets."""
    return "".join(
        r"\s+" if char == " " else char if char.isalnum() or char == "_" else f"[{char}]"
        for char in word
    )


@dataclass(frozen=True)
class Exclusions:
    user_id: int
    dismissed: frozenset[str]
    read: frozenset[str]
    # Lower-case words and phrases.
    muted_words: tuple[str, ...]
    # As the catalog spells them.
    muted_authors: frozenset[str]

    def __bool__(self) -> bool:
        """Whether anything is left out at all."""
        return bool(self.dismissed or self.read or self.muted_words or self.muted_authors)

    @cached_property
    def _muted_regex(self) -> str:
        words = "|".join(_pattern(word) for word in self.muted_words)
        return f"{_BEFORE}({words}){_AFTER}" if words else ""

    @cached_property
    def _muted_compiled(self) -> re.Pattern | None:
        return re.compile(self._muted_regex, re.IGNORECASE) if self._muted_regex else None

    def is_muted(self, title: str, abstract: str, authors: Iterable[str]) -> bool:
        """A paper with a muted word in its title or abstract, or by a muted author."""
        if self.muted_authors and not self.muted_authors.isdisjoint(authors):
            return True
        found = self._muted_compiled
        return found is not None and bool(found.search(title) or found.search(abstract))

    def hides(
        self,
        arxiv_id: str,
        title: str,
        abstract: str,
        authors: Iterable[str],
        *,
        read_too: bool = True,
    ) -> bool:
        """Whether the paper stays out: dismissed, read (unless not ``read_too``), muted."""
        return (
            arxiv_id in self.dismissed
            or (read_too and arxiv_id in self.read)
            or self.is_muted(title, abstract, authors)
        )

    def apply(self, papers: QuerySet, *, read_too: bool = True) -> QuerySet:
        """``papers`` (a Paper queryset) without those ``hides`` leaves out, in the database."""
        kinds = [Mark.Kind.DISMISSED, Mark.Kind.READ] if read_too else [Mark.Kind.DISMISSED]
        marked = Mark.objects.filter(user_id=self.user_id, kind__in=kinds, paper=OuterRef("pk"))
        papers = papers.exclude(Exists(marked))
        if self.muted_authors:
            by_muted = Authorship.objects.filter(
                paper=OuterRef("pk"), author__name__in=self.muted_authors
            )
            papers = papers.exclude(Exists(by_muted))
        if self._muted_regex:
            papers = papers.exclude(
                Q(title__iregex=self._muted_regex) | Q(abstract__iregex=self._muted_regex)
            )
        return papers


def exclusions(user) -> Exclusions:
    return exclusions_of([user.pk])[user.pk]


def exclusions_of(user_ids: list[int]) -> dict[int, Exclusions]:
    """The exclusions of many readers at once (a digest run's batch): two queries."""
    found = {
        pk: {kind: set() for kind in (*Mark.Kind.values, *Mute.Kind.values)} for pk in user_ids
    }
    marks = Mark.objects.filter(user_id__in=user_ids).values_list("user_id", "kind", "paper_id")
    mutes = Mute.objects.filter(user_id__in=user_ids).values_list("user_id", "kind", "value")
    for user_id, kind, value in [*marks, *mutes]:
        found[user_id][kind].add(value)
    return {
        pk: Exclusions(
            user_id=pk,
            dismissed=frozenset(by_kind[Mark.Kind.DISMISSED]),
            read=frozenset(by_kind[Mark.Kind.READ]),
            muted_words=tuple(sorted(by_kind[Mute.Kind.WORD])),
            muted_authors=frozenset(by_kind[Mute.Kind.AUTHOR]),
        )
        for pk, by_kind in found.items()
    }
