"""A parsed query widened with what the catalog says the user meant: a misspelt word
corrected to the title word it is one or two letters from, an acronym OR-ed with its
long form, a long form with its acronym (docs/search.md, "Typos and acronyms").

The lexicon (search/lexicon.py) gives the catalog's title words and acronyms; the keyword
engine says how many papers hold a word, so that a word it knows costs one lookup and
is never rewritten.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from .analysis import topic_analyzer
from .lexicon import LONGEST_LONG_FORM, Lexicon
from .query import ParsedQuery

# A word held by this many papers or fewer may be a typo: at 0 it is replaced, from 1
# on (a typo some abstracts share) the nearby word is added beside it, and only
# if that word is in MORE_COMMON times as many titles as the typed one is in papers.
RARE_UP_TO = 3
MORE_COMMON = 20
# Shorter words are left as typed: "gan", "vit" are one letter from many others.
SHORTEST_CORRECTED = 4
# From this length a word may be two edits from what was meant ("retreival").
TWO_EDITS_FROM = 8
# An acronym as typed: starts and ends with a capital, an optional plural ("LLMs", "LoRA").
_TYPED_ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Za-z]{0,8}[A-Z])(?:s)?(?![\w-])")
# Acronyms of two letters stand for too many things ("BC" for breast cancer, "NO" for
# nitric oxide, "CR" for calorie restriction): on SciFact's tuning half, expanding them
# either way lost more queries than it won. From three letters on, they are expanded.
SHORTEST_ACRONYM_ADDED = 3


class CountsPapers(Protocol):
    def papers_holding(self, words: Sequence[str], up_to: int) -> dict[str, int]: ...


@dataclass(frozen=True)
class Correction:
    typed: str
    meant: str
    # How many papers hold the typed word: 0, it is replaced; more, ``meant`` is added.
    papers: int


def _corrections(query: ParsedQuery, index: CountsPapers, lexicon: Lexicon) -> list[Correction]:
    suspects = [
        word
        for word in query.words
        if len(word) >= SHORTEST_CORRECTED
        and word.isalpha()
        and lexicon.titles.get(word, 0) <= RARE_UP_TO
    ]
    if not suspects or not lexicon.titles:
        return []
    held = index.papers_holding(suspects, RARE_UP_TO + 1)
    corrections = []
    for word in suspects:
        papers = held[word]
        if papers > RARE_UP_TO:
            continue
        near = lexicon.near(word, 1)
        if not near and len(word) >= TWO_EDITS_FROM:
            near = lexicon.near(word, 2)
        if papers:
            near = [(other, titles) for other, titles in near if titles >= MORE_COMMON * papers]
        if near:
            meant = min(near, key=lambda item: (-item[1], item[0]))[0]
            corrections.append(Correction(word, meant, papers))
    return corrections


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s\-'.]+", text.lower()) if part)


def _long_forms(text: str, lexicon: Lexicon) -> dict[str, str]:
    """Acronym typed -> its long form ("LLMs" -> "large language models"). Only a word typed
    as an acronym is one: "age", "loss" and "Pk" are words, not AGE, LOS and PK."""
    found = {}
    for typed in _TYPED_ACRONYM.findall(text):
        acronym = typed.lower()
        if acronym in lexicon.acronyms:
            found[typed] = lexicon.acronyms[acronym][0]
    return found


def _acronyms_typed_long(text: str, lexicon: Lexicon) -> dict[str, str]:
    """Long form typed -> its acronym ("large language models" -> "llm")."""
    if not lexicon.acronyms:
        return {}
    stems = [stem for token in _split(text) for stem in topic_analyzer().analyze(token)]
    found = {}
    for size in range(2, min(LONGEST_LONG_FORM, len(stems)) + 1):
        for start in range(len(stems) - size + 1):
            acronym = lexicon.acronym_of.get(tuple(stems[start : start + size]))
            if acronym:
                found[acronym] = lexicon.acronyms[acronym][0]
    return found


def _replaced(text: str, corrections: Sequence[Correction]) -> str:
    for correction in corrections:
        text = re.sub(
            rf"(?<!\w){re.escape(correction.typed)}(?!\w)", correction.meant, text, flags=re.I
        )
    return text


def _quoted(words: Sequence[str]) -> str:
    return " or ".join(f"“{word}”" for word in words)


def expand(
    query: ParsedQuery, index: CountsPapers, lexicon: Lexicon
) -> tuple[ParsedQuery, list[str]]:
    """``query`` with corrections and acronyms added, and notices saying what was searched."""
    if not lexicon.titles or not query.words:
        return query, []
    notices = []
    corrections = _corrections(query, index, lexicon)
    unknown = [c for c in corrections if not c.papers]
    rare = [c for c in corrections if c.papers]
    meant = {c.typed: c.meant for c in unknown}
    words = tuple(dict.fromkeys(meant.get(word, word) for word in query.words))
    free_text = _replaced(query.free_text, unknown)
    if unknown:
        notices.append(
            f"Showing results for “{free_text}”: no paper holds "
            f"{_quoted([c.typed for c in unknown])}."
        )
    for correction in rare:
        notices.append(
            f"Also showing results for “{correction.meant}”: “{correction.typed}” is in "
            f"{correction.papers} paper{'s' if correction.papers > 1 else ''} only."
        )
    # Each form is added where the query lacks it: "large language models (LLMs)" typed
    # has both already.
    typed_long = _acronyms_typed_long(free_text, lexicon)
    long_forms = {
        typed: long
        for typed, long in _long_forms(free_text, lexicon).items()
        if typed.lower() not in typed_long and len(typed) >= SHORTEST_ACRONYM_ADDED
    }
    typed_short = {typed.lower() for typed in _TYPED_ACRONYM.findall(free_text)}
    acronyms = {
        acronym.upper(): long
        for acronym, long in typed_long.items()
        if acronym not in typed_short and len(acronym) >= SHORTEST_ACRONYM_ADDED
    }
    expansions = [f"{long} ({acronym})" for acronym, long in (long_forms | acronyms).items()]
    if expansions:
        notices.append(f"Also searched for {', '.join(expansions)}.")
    expanded = replace(
        query,
        words=words,
        free_text=free_text,
        joined=tuple(dict.fromkeys([*query.joined, *(c.meant for c in rare)])),
        alternatives=tuple(
            dict.fromkeys(
                [
                    *(_split(long) for long in long_forms.values()),
                    *((acronym.lower(),) for acronym in acronyms),
                ]
            )
        ),
    )
    return expanded, notices
