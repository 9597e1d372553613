"""Text analysis shared by the embedded index, snippets, hyphen variants and "For you"."""

import re
import string
from functools import cache
from hashlib import blake2b
from itertools import chain

import tantivy

_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


@cache
def topic_analyzer() -> tantivy.TextAnalyzer:
    """Words of titles and abstracts: lower-cased, accents folded, English-stemmed."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@cache
def name_analyzer() -> tantivy.TextAnalyzer:
    """Author names: lower-cased and accents folded ("Balázs" = "balazs"), never stemmed."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


_SEPARATORS = str.maketrans({c: " " for c in string.punctuation})
# Distinct words kept analysed; English papers use far fewer, the bound stops a flood.
WORDS_KEPT = 500_000


class _AnalysedWords(dict):
    """A word's terms, analysed on first use (the analyzer splits what the fast split keeps
    together, such as "—" or "’", as the index does)."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[word] = tuple(topic_analyzer().analyze(word))
        return found


analysed_words = _AnalysedWords()


def split_words(text: str) -> list[str]:
    """The text's words, lower-cased, split on spaces and punctuation (at C speed)."""
    return text.lower().translate(_SEPARATORS).split()


def topic_terms(text: str) -> list[str]:
    """The text's terms in order, as the keyword index makes them of a title or abstract.

    The analyzer costs ~100 µs a call through Python: the text is split first, and each
    distinct word is analysed once per process (``analysed_words``)."""
    return list(chain.from_iterable(map(analysed_words.__getitem__, split_words(text))))


def term_number(term: str) -> int:
    """The term's number, the same in every process and on every node: the first four
    bytes of its BLAKE2 hash. Of the ~10⁶ distinct terms of a million papers, about a
    hundred pairs share a number, almost all one-off tokens; such a pair counts as one
    term where numbers are compared ("For you"'s words), and nowhere else."""
    return int.from_bytes(blake2b(term.encode(), digest_size=4).digest(), "little")


def joined_compounds(text: str) -> str:
    """Hyphenated words written as one ("block-wise" -> "blockwise"), space-separated."""
    # A compound never spans white space, so the pattern only sees the words that have
    # a hyphen: on a whole abstract, findall tries it at every letter of every word and
    # backtracks through each (10x slower over the corpus, the bulk of an index sync).
    return " ".join(
        match.replace("-", "")
        for word in text.split()
        if "-" in word
        for match in _HYPHENATED.findall(word)
    )
