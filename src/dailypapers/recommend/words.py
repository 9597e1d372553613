"""Words of papers, and BM25 over a window of candidates with a weighted bag of words as query.

Terms are the search index's (``search.analysis.topic_analyzer``: lower-cased,
accents folded, English-stemmed), so "networks" in a saved paper meets "network"
in a new one, as in search. The analyzer costs ~100 µs a text through Python, and
a page analyses the reader's 500 liked papers: texts are split on spaces and
punctuation first (C speed), and each distinct word is analysed once per process.
"""

import string
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np

from dailypapers.search.analysis import topic_analyzer

# Lucene's BM25 constants, as Tantivy uses them in search.
K1 = 1.2
B = 0.75
_SEPARATORS = str.maketrans({c: " " for c in string.punctuation})
# Distinct words kept analysed; English papers use far fewer, the bound stops a flood.
WORDS_KEPT = 500_000
# Papers whose set of terms is kept: a reader's next page, and other readers who liked
# the same papers (a digest run ranks thousands of readers), skip the analysis.
PAPERS_KEPT = 200_000


class _Analysed(dict):
    """A word's terms, analysed on first use (the analyzer splits what the fast split keeps
    together, such as "—" or "’", as the search index does)."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[word] = tuple(topic_analyzer().analyze(word))
        return found


_analysed = _Analysed()


def _words(text: str) -> list[str]:
    return text.lower().translate(_SEPARATORS).split()


def terms(text: str) -> list[str]:
    """The text's terms in order, as the search index makes them."""
    return list(chain.from_iterable(map(_analysed.__getitem__, _words(text))))


def _term_set(text: str) -> frozenset[str]:
    return frozenset(chain.from_iterable(map(_analysed.__getitem__, set(_words(text)))))


_term_sets: dict[tuple[str, int], frozenset[str]] = {}


def paper_terms(arxiv_id: str, text: str) -> frozenset[str]:
    """The distinct terms of a paper's text, kept per process by id and text."""
    key = (arxiv_id, hash(text))
    found = _term_sets.get(key)
    if found is None:
        if len(_term_sets) >= PAPERS_KEPT:
            _term_sets.clear()
        found = _term_sets[key] = _term_set(text)
    return found


def term_counts(papers: Iterable[tuple[str, str]]) -> Counter[str]:
    """How many of the papers, (arxiv id, text) pairs, hold each term (document frequency)."""
    counts: Counter[str] = Counter()
    for arxiv_id, text in papers:
        counts.update(paper_terms(arxiv_id, text))
    return counts


class TermIndex:
    """The candidates' terms, as a sparse matrix of BM25 weights (one row a candidate).

    Built once per window and shared by every profile ranked against it: scoring a
    profile is then one gather and one segmented sum over the window's terms.
    """

    def __init__(self, texts: Sequence[str]):
        self.texts = list(texts)
        vocabulary: dict[str, int] = {}
        rows: list[Counter[int]] = []
        lengths = []
        # Each candidate's terms in order, space-separated and padded, for phrase tests.
        self.sequences: list[str] = []
        for text in self.texts:
            sequence = terms(text)
            self.sequences.append(f" {' '.join(sequence)} ")
            lengths.append(len(sequence))
            rows.append(Counter([vocabulary.setdefault(t, len(vocabulary)) for t in sequence]))
        self.vocabulary = vocabulary
        self.terms = list(vocabulary)
        count = len(self.texts)
        self.indptr = np.zeros(count + 1, dtype=np.int64)
        self.indptr[1:] = np.cumsum([len(r) for r in rows])
        entries = int(self.indptr[-1])
        self.indices = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=entries)
        frequencies = np.fromiter(
            chain.from_iterable(r.values() for r in rows), dtype=np.float32, count=entries
        )
        document_frequency = np.bincount(self.indices, minlength=len(vocabulary))
        self.idf = np.log1p((count - document_frequency + 0.5) / (document_frequency + 0.5))
        self.idf = self.idf.astype(np.float32)
        length = np.array(lengths, dtype=np.float32)
        average = float(length.mean()) if count and length.mean() else 1.0
        entry_length = np.repeat(length, np.diff(self.indptr))
        # idf times the saturated term frequency: each (candidate, term)'s BM25 score.
        self.weights = (
            self.idf[self.indices]
            * frequencies
            * (K1 + 1)
            / (frequencies + K1 * (1 - B + B * entry_length / average))
        ).astype(np.float32)

    def __len__(self) -> int:
        return len(self.texts)

    def query_vector(self, weighted: dict[str, float]) -> np.ndarray:
        """A query's weight per term of the window; terms the window lacks drop out."""
        query = np.zeros(len(self.vocabulary), dtype=np.float32)
        for term, weight in weighted.items():
            if (column := self.vocabulary.get(term)) is not None:
                query[column] = weight
        return query

    def bm25(self, query: np.ndarray) -> np.ndarray:
        """Each candidate's BM25 score for ``query`` (from ``query_vector``)."""
        return _row_sums(query[self.indices] * self.weights, self.indptr)

    def strongest(self, row: int, query: np.ndarray, count: int) -> list[str]:
        """The words of candidate ``row`` that weigh most in its score for ``query``,
        as the paper writes them."""
        start, end = self.indptr[row], self.indptr[row + 1]
        contributions = query[self.indices[start:end]] * self.weights[start:end]
        best = [i for i in np.argsort(-contributions)[:count] if contributions[i] > 0]
        wanted = [self.terms[self.indices[start + i]] for i in best]
        written: dict[str, str] = {}
        for word in _words(self.texts[row]):
            for term in _analysed[word]:
                if term in wanted:
                    written.setdefault(term, word)
            if len(written) == len(wanted):
                break
        return [written[term] for term in wanted]

    def contains(self, phrase: str) -> np.ndarray:
        """Which candidates hold the phrase's terms in a row (a single word: anywhere)."""
        return self._holding([terms(phrase)])

    def contains_all(self, text: str) -> np.ndarray:
        """Which candidates hold every term of ``text``, in any order (a followed search)."""
        return self._holding([[term] for term in set(terms(text))])

    def _holding(self, runs: list[list[str]]) -> np.ndarray:
        """Which candidates hold each run of terms, each run in a row; none if no terms."""
        needles = [f" {' '.join(run)} " for run in runs if run]
        if not needles:
            return np.zeros(len(self), dtype=bool)
        return np.fromiter(
            (all(n in s for n in needles) for s in self.sequences), dtype=bool, count=len(self)
        )


def _row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    # np.add.reduceat misreads empty rows (it returns the next value): sum by cumsum.
    totals = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return totals[indptr[1:]] - totals[indptr[:-1]]
