"""Highlighted snippets: the part of an abstract that shows why a paper matched."""

from functools import lru_cache

from django.utils.html import escape

from .analysis import topic_analyzer
from .query import ParsedQuery

WINDOW = 40  # words


def query_stems(query: ParsedQuery) -> set[str]:
    analyze = topic_analyzer().analyze
    words = [
        *query.words,
        *query.joined,
        *(w for p in (*query.phrases, *query.split, *query.alternatives) for w in p),
    ]
    return {stem for word in words for stem in analyze(word)}


@lru_cache(maxsize=200_000)
def _word_stems(word: str) -> frozenset[str]:
    # Abstracts share most of their words: each is analysed once per process.
    analyze = topic_analyzer().analyze
    found = set(analyze(word))
    if "-" in word:
        found.update(analyze(word.replace("-", "")))
    return frozenset(found)


def highlight(text: str, stems: set[str], window: int = WINDOW) -> str:
    """HTML: the ``window`` words of ``text`` with the most matches, matches in <mark>.

    Everything from the text is escaped; only the <mark> tags are markup.
    """
    words = text.split()
    if not words:
        return ""
    hits = [bool(_word_stems(word) & stems) for word in words]
    best_start, best = 0, -1
    running = sum(hits[:window])
    for start in range(max(1, len(words) - window + 1)):
        if start:
            running += hits[start + window - 1] if start + window - 1 < len(words) else 0
            running -= hits[start - 1]
        if running > best:
            best_start, best = start, running
    shown = range(best_start, min(len(words), best_start + window))
    html = " ".join(
        f"<mark>{escape(words[i])}</mark>" if hits[i] else escape(words[i]) for i in shown
    )
    prefix = "… " if best_start else ""
    suffix = " …" if shown.stop < len(words) else ""
    return f"{prefix}{html}{suffix}"
