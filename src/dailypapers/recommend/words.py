"""Words of papers, and BM25 over a window of candidates with a weighted bag of words as query.

Terms are the search index's (``search.analysis.topic_terms``: lower-cased, accents
folded, English-stemmed), so "networks" in a saved paper meets "network" in a new
one, as in search. A page reads the reader's 500 liked papers: their distinct terms
come stored with their embeddings (``search.models.PaperEmbedding.terms``), and a
paper without them yet is analysed, its terms kept per process as numbers, so that
a reader's profile is one count of numbers (``np.unique``) and not of strings.
"""

from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np

from dailypapers.search.analysis import (
    WORDS_KEPT,
    analysed_words,
    split_words,
    term_number,
    topic_terms,
)

# Lucene's BM25 constants, as Tantivy uses them in search.
K1 = 1.2
B = 0.75
# Papers whose terms are kept: a reader's next page, and other readers who liked the
# same papers (a digest run ranks thousands of readers), skip the analysis.
PAPERS_KEPT = 200_000
# Phrase tests kept per window (``TermIndex._holding``): muted words, followed searches.
HOLDING_KEPT = 2_000


class _TermNumbers(dict):
    """Terms' numbers (``search.analysis.term_number``), worked out once per process."""

    def __missing__(self, term: str) -> int:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[term] = term_number(term)
        return found


class _WordNumbers(dict):
    """A word's term numbers: what a paper's terms are counted with."""

    def __missing__(self, word: str) -> tuple[int, ...]:
        if len(self) >= WORDS_KEPT:
            self.clear()
        found = self[word] = tuple(map(_numbers.__getitem__, analysed_words[word]))
        return found


_numbers = _TermNumbers()
_word_numbers = _WordNumbers()
_paper_terms: dict[tuple[str, int], np.ndarray] = {}


def term_numbers(terms: Iterable[str]) -> np.ndarray:
    """Each term's number (``search.analysis.term_number``)."""
    return np.fromiter(map(_numbers.__getitem__, terms), dtype=np.int64)


def stored_numbers(stored: bytes) -> np.ndarray:
    """The term numbers the indexer stored for a paper (``PaperEmbedding.terms``)."""
    return np.frombuffer(stored, dtype="<u4").astype(np.int64)


def paper_terms(arxiv_id: str, text: str) -> np.ndarray:
    """The numbers of a paper's distinct terms, kept per process by paper and text."""
    key = (arxiv_id, hash(text))
    found = _paper_terms.get(key)
    if found is None:
        if len(_paper_terms) >= PAPERS_KEPT:
            _paper_terms.clear()
        distinct = set(chain.from_iterable(map(_word_numbers.__getitem__, set(split_words(text)))))
        found = _paper_terms[key] = np.fromiter(distinct, dtype=np.int64, count=len(distinct))
    return found


def forget_paper_terms() -> None:
    """Analyse every paper again when next asked (to time a reader's first page)."""
    _paper_terms.clear()


def document_frequency(
    papers: Iterable[tuple[str, str]], stored: Sequence[bytes] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the papers and how many papers hold each: papers to analyse as
    (arxiv id, text) pairs, and papers whose distinct terms' numbers the indexer
    ``stored``, counted as they are (no analysis: a reader's first page)."""
    held = [paper_terms(arxiv_id, text) for arxiv_id, text in papers]
    if stored:
        held.append(stored_numbers(b"".join(stored)))
    if not held:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(held), return_counts=True)


class TermIndex:
    """The candidates' terms, as a sparse matrix of BM25 weights (one row a candidate,
    one column a term of the window: ``vocabulary`` holds the columns' term numbers).

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
            sequence = topic_terms(text)
            self.sequences.append(f" {' '.join(sequence)} ")
            rows.append(term_numbers(sequence))
        count = len(self.texts)
        self.vocabulary = np.unique(np.concatenate(rows or [np.zeros(0, np.int64)]))
        self.columns = len(self.vocabulary)
        distinct = [
            np.unique(np.searchsorted(self.vocabulary, row), return_counts=True) for row in rows
        ]
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
        """A query over the window's columns: ``weights[i]`` for term ``numbers[i]``
        (terms the window does not hold are left out)."""
        query = np.zeros(self.columns, dtype=np.float32)
        if self.columns:
            columns = np.searchsorted(self.vocabulary, numbers).clip(max=self.columns - 1)
            inside = self.vocabulary[columns] == numbers
            query[columns[inside]] = weights[inside]
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
        columns = self.indices[start:end]
        contributions = query[columns] * self.weights[start:end]
        weighing = contributions > 0
        numbers = self.vocabulary[columns[weighing]]
        weighed = zip(numbers.tolist(), contributions[weighing].tolist(), strict=True)
        weight = dict(weighed)
        # Each weighing term as first written, in the order the paper writes them.
        written: dict[int, str] = {}
        for word in split_words(self.texts[row]):
            for number in _word_numbers[word]:
                if number in weight:
                    written.setdefault(number, word)
        best = sorted(written, key=lambda number: -weight[number])[:count]
        return [written[number] for number in best]

    def contains(self, phrase: str) -> np.ndarray:
        """Which candidates hold the phrase's terms in a row (a single word: anywhere)."""
        return self._holding((topic_terms(phrase),))

    def contains_all(self, text: str) -> np.ndarray:
        """Which candidates hold every term of ``text``, in any order (a followed search)."""
        return self._holding(tuple((term,) for term in sorted(set(topic_terms(text)))))

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
