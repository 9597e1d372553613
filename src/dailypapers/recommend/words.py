"""Words of papers, and BM25 over a window of candidates with a weighted bag of words as query.

Terms are the search index's (``search.analysis.topic_analyzer``: lower-cased,
accents folded, English-stemmed), so "networks" in a saved paper meets "network"
in a new one, as in search. The analyzer costs ~100 µs a text through Python, and
a page reads the reader's 500 liked papers: texts are split on spaces and
punctuation first (C speed), each distinct word is analysed once per process, and
each paper's terms are kept per process as numbers, so that a reader's profile is
one ``bincount`` and not a count of strings.
"""

import string
import threading
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
# Papers whose terms are kept: a reader's next page, and other readers who liked the
# same papers (a digest run ranks thousands of readers), skip the analysis.
PAPERS_KEPT = 200_000
# Phrase tests kept per window (``TermIndex._holding``): muted words, followed searches.
HOLDING_KEPT = 2_000


class _Analysed(dict):
    """A word's terms, analysed on first use (the analyzer splits what the fast split keeps
    together, such as "—" or "’", as the search index does)."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[word] = tuple(topic_analyzer().analyze(word))
        return found


class _Numbered(dict):
    """Every term the process met, numbered from 0 in order of arrival; never renumbered
    (windows keep the numbers), so it grows with the distinct terms of the papers the
    process ranked or read: a few hundred thousand."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def __missing__(self, term: str) -> int:
        with self.lock:
            return self.setdefault(term, len(self))


class _WordNumbers(dict):
    """A word's term numbers: what a paper's terms are counted with."""

    def __missing__(self, word: str) -> tuple[int, ...]:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[word] = tuple(map(_numbers.__getitem__, _analysed[word]))
        return found


_analysed = _Analysed()
_numbers = _Numbered()
_word_numbers = _WordNumbers()
_paper_terms: dict[tuple[str, int], np.ndarray] = {}


def _words(text: str) -> list[str]:
    return text.lower().translate(_SEPARATORS).split()


def terms(text: str) -> list[str]:
    """The text's terms in order, as the search index makes them."""
    return list(chain.from_iterable(map(_analysed.__getitem__, _words(text))))


def term_numbers(terms: Iterable[str]) -> np.ndarray:
    """The process's number of each term (``TermIndex`` columns are these numbers)."""
    return np.fromiter(map(_numbers.__getitem__, terms), dtype=np.int64)


def paper_terms(arxiv_id: str, text: str) -> np.ndarray:
    """The numbers of a paper's distinct terms, kept per process by paper and text."""
    key = (arxiv_id, hash(text))
    found = _paper_terms.get(key)
    if found is None:
        if len(_paper_terms) >= PAPERS_KEPT:
            _paper_terms.clear()
        distinct = set(chain.from_iterable(map(_word_numbers.__getitem__, set(_words(text)))))
        found = _paper_terms[key] = np.fromiter(distinct, dtype=np.int64, count=len(distinct))
    return found


def forget_paper_terms() -> None:
    """Analyse every paper again when next asked (to time a reader's first page)."""
    _paper_terms.clear()


def document_frequency(papers: Iterable[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the papers, (arxiv id, text) pairs, and how many papers hold each."""
    held = [paper_terms(arxiv_id, text) for arxiv_id, text in papers]
    if not held:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.bincount(np.concatenate(held))
    numbers = np.flatnonzero(counts)
    return numbers, counts[numbers]


class TermIndex:
    """The candidates' terms, as a sparse matrix of BM25 weights (one row a candidate,
    one column a term number).

    Built once per window and shared by every profile ranked against it: scoring a
    profile is then one gather and one segmented sum over the window's terms.
    """

    def __init__(self, texts: Sequence[str]):
        self.texts = list(texts)
        self._held: dict[tuple[str, ...], np.ndarray] = {}
        rows = []
        # Each candidate's terms in order, space-separated and padded, for phrase tests.
        self.sequences: list[str] = []
        for text in self.texts:
            sequence = terms(text)
            self.sequences.append(f" {' '.join(sequence)} ")
            rows.append(term_numbers(sequence))
        count = len(self.texts)
        # Terms numbered after the window was built are not in it.
        self.columns = len(_numbers)
        distinct = [np.unique(row, return_counts=True) for row in rows]
        self.indptr = np.zeros(count + 1, dtype=np.int64)
        self.indptr[1:] = np.cumsum([len(numbers) for numbers, _ in distinct])
        self.indices = np.concatenate([numbers for numbers, _ in distinct] or [np.zeros(0, int)])
        frequencies = np.concatenate([counts for _, counts in distinct] or [np.zeros(0)]).astype(
            np.float32
        )
        document_frequency = np.bincount(self.indices, minlength=self.columns)
        # Terms absent from the window get no weight (their idf would be the highest).
        idf = np.log1p((count - document_frequency + 0.5) / (document_frequency + 0.5))
        self.idf = np.where(document_frequency > 0, idf, 0).astype(np.float32)
        length = np.array([len(row) for row in rows], dtype=np.float32)
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

    def query(self, numbers: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A query over the window's columns: ``weights[i]`` for term ``numbers[i]``."""
        query = np.zeros(self.columns, dtype=np.float32)
        inside = numbers < self.columns
        query[numbers[inside]] = weights[inside]
        return query

    def bm25(self, query: np.ndarray) -> np.ndarray:
        """Each candidate's BM25 score for ``query`` (from ``query``)."""
        if not len(self):
            return np.zeros(0)
        # One slot more: a last row without terms starts past the end.
        contributions = np.zeros(len(self.indices) + 1, dtype=np.float32)
        np.multiply(query[self.indices], self.weights, out=contributions[:-1])
        # np.add.reduceat misreads empty rows (it takes the next row's first value).
        sums = np.add.reduceat(contributions, self.indptr[:-1])
        sums[self.indptr[:-1] == self.indptr[1:]] = 0
        return sums.astype(np.float64)

    def strongest(self, row: int, query: np.ndarray, count: int) -> list[str]:
        """The words of candidate ``row`` that weigh most in its score for ``query``, as
        the paper writes them; of words weighing the same, the one the paper uses first."""
        start, end = self.indptr[row], self.indptr[row + 1]
        numbers = self.indices[start:end]
        contributions = query[numbers] * self.weights[start:end]
        weighing = contributions > 0
        weighed = zip(numbers[weighing].tolist(), contributions[weighing].tolist(), strict=True)
        weight = dict(weighed)
        # Each weighing term as first written, in the order the paper writes them.
        written: dict[int, str] = {}
        for word in _words(self.texts[row]):
            for number in _word_numbers[word]:
                if number in weight:
                    written.setdefault(number, word)
        best = sorted(written, key=lambda number: -weight[number])[:count]
        return [written[number] for number in best]

    def contains(self, phrase: str) -> np.ndarray:
        """Which candidates hold the phrase's terms in a row (a single word: anywhere)."""
        return self._holding((terms(phrase),))

    def contains_all(self, text: str) -> np.ndarray:
        """Which candidates hold every term of ``text``, in any order (a followed search)."""
        return self._holding(tuple((term,) for term in sorted(set(terms(text)))))

    def _holding(self, runs: tuple[Sequence[str], ...]) -> np.ndarray:
        """Which candidates hold each run of terms, each run in a row; none if no terms.

        Kept per window: readers share muted words and followed searches, and a digest
        run asks for the same ones thousands of times."""
        needles = tuple(f" {' '.join(run)} " for run in runs if run)
        found = self._held.get(needles)
        if found is None:
            if len(self._held) >= HOLDING_KEPT:
                self._held.clear()
            if needles:
                held = (all(n in s for n in needles) for s in self.sequences)
                found = np.fromiter(held, dtype=bool, count=len(self))
            else:
                found = np.zeros(len(self), dtype=bool)
            found.flags.writeable = False
            self._held[needles] = found
        return found
