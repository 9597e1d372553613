"""Text analysis shared by the embedded index, snippets and hyphen variants."""

import re
from functools import cache

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
