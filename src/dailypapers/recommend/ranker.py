"""The "For you" ranker: a window's papers ordered for one reader, each with the reason it is there.

Pure numpy over the window's vectors and words: no database, so the site and
``bench/recommend.py`` run the same code. Build a ``CandidatePool`` once per window
(the words and the covariance of the window, shared by every reader), then
``pool.rank(profile)`` per reader.

A paper's personal score sums, each signal standardised over the window (mean 0,
deviation 1) and weighted (``Weights``, tuned on the benchmark, docs/recommend.md):

- words: BM25 of the window's papers against the liked papers' words, each term
  weighted by the share of liked papers holding it times its rarity (idf) squared;
- nearest: closeness to the newest ``NEAREST_PAPERS`` liked papers, a soft maximum
  over them of the cosine (one close saved paper is enough; several close ones count
  a little more);
- linear: the reader's linear model on the embeddings (``linear.py``);
- follows: a followed author, organization or search matched counts twice a followed
  category;
- dismissed: closeness to one of the newest dismissed papers, subtracted;
- recency: newer papers of the window first, a little.

The community knob then mixes it with the window's upvotes:
``(1 - community) * personal + community * upvotes``, both standardised over the
window, so 0 is personal fit alone, 1 the most upvoted first (personal fit breaking
ties), 0.5 each counting the same.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, partial
from typing import Literal

import numpy as np

from dailypapers.search.analysis import name_analyzer

from .linear import WindowCovariance
from .profile import Candidate, Profile, ProfilePaper
from .words import TermIndex

DEFAULT_LIMIT = 50
WORDS_SHOWN = 3
# The newest liked (and dismissed) papers each paper's closeness is measured against.
# Every one more costs a product over the window (a reader's first page: 500 against
# 3,000 papers is 12 ms of one core, 200 is 5 ms); the words and the linear model learn
# from all of them. docs/recommend.md says what the benchmark can tell of it.
NEAREST_PAPERS = 200
# exp(1 / 0.015) is within float32's range (below 3.4e38), with room for rounding.
MIN_TEMPERATURE = 0.015


@dataclass(frozen=True)
class Weights:
    """How much each signal counts; the defaults are the shipped ranker's."""

    words: float = 1.0
    nearest: float = 0.8
    linear: float = 0.6
    follows: float = 0.3
    dismissed: float = 0.3
    recency: float = 0.05
    # Of the soft maximum over liked papers (cosines are within ~0.2 of each other).
    temperature: float = 0.05

    def __post_init__(self):
        if self.temperature < MIN_TEMPERATURE:
            raise ValueError(f"the temperature is at least {MIN_TEMPERATURE}")


WEIGHTS = Weights()

ReasonKind = Literal["similar", "follow", "words", "popular", "new"]


@dataclass(frozen=True)
class Reason:
    """Why a paper is in the reader's feed: the strongest of its personal signals.

    ``similar``: ``paper`` is the liked paper it is closest to. ``follow``: ``follow``
    is the (kind, value) matched, kind one of category, organization, author, query.
    ``words``: ``words`` weighed most in its score (as written in the paper).
    ``popular``: the community knob brought it more than personal fit did
    (``upvotes``). ``new``: nothing personal to say (a reader without liked papers
    or follows: the window is newest first).
    """

    kind: ReasonKind
    paper: ProfilePaper | None = None
    follow: tuple[str, str] | None = None
    words: tuple[str, ...] = ()
    upvotes: int = 0

    @property
    def text(self) -> str:
        """The reason in a sentence, for a card, an API item or a digest."""
        if self.kind == "similar" and self.paper:
            return f"Similar to “{self.paper.title}”"
        if self.kind == "follow" and self.follow:
            kind, value = self.follow
            return f"Matches your search “{value}”" if kind == "query" else f"You follow {value}"
        if self.kind == "words":
            return "About " + ", ".join(self.words)
        if self.kind == "popular":
            return f"Popular: {self.upvotes} upvote{'s' if self.upvotes != 1 else ''}"
        return "New"


class Recommendation:
    """A paper of the window for the reader, its score, and why: the reason is worked
    out when first asked for (a digest lists papers without theirs)."""

    def __init__(self, arxiv_id: str, score: float, explain: Callable[[], Reason]):
        self.arxiv_id = arxiv_id
        self.score = score
        self._explain = explain

    @cached_property
    def reason(self) -> Reason:
        return self._explain()

    def __getstate__(self) -> dict:
        # A kept feed (``readers.feed``) pickles its recommendations: each with its reason
        # worked out, and the liked paper a reason names without its vector and abstract.
        reason = self.reason
        if reason.paper is not None:
            named = ProfilePaper(reason.paper.arxiv_id, reason.paper.title, "")
            reason = replace(reason, paper=named)
        return {"arxiv_id": self.arxiv_id, "score": self.score, "reason": reason}

    def __repr__(self) -> str:
        return f"Recommendation({self.arxiv_id!r}, {self.score:.3f})"


def normalised_name(name: str) -> str:
    """An author's name as follows and mutes compare it: case and accents ignored."""
    return " ".join(name_analyzer().analyze(name))


def _standardised(values: np.ndarray, among: np.ndarray) -> np.ndarray:
    chosen = values[among]
    if not len(chosen):
        return np.zeros_like(values)
    spread = chosen.std()
    if not spread > 1e-12:
        return np.zeros_like(values)
    return (values - chosen.mean()) / spread


class CandidatePool:
    """A window's papers, prepared for ranking against any number of readers.

    Building it analyses every paper's words (~0.3 ms a paper); keep it while the
    window does not change and share it between readers.
    """

    def __init__(self, candidates: Sequence[Candidate]):
        self.candidates = list(candidates)
        self.ids = [c.arxiv_id for c in self.candidates]
        self.rows = {arxiv_id: row for row, arxiv_id in enumerate(self.ids)}
        count = len(self.candidates)
        embedded = (c.vector for c in self.candidates if c.vector is not None)
        # The embedder's dimension; 0 for a window with no paper embedded yet, which has
        # no embedding signals at all (``signals`` and ``_reason`` look at ``embedded``).
        dim = len(next(embedded, ()))
        # A paper not embedded yet has a zero vector, and the embeddings' signals leave it
        # in the middle (``_neutral_unless_embedded``): its words and follows rank it.
        self.vectors = np.zeros((count, dim), dtype=np.float32)
        self.embedded = np.zeros(count, dtype=bool)
        for row, candidate in enumerate(self.candidates):
            if candidate.vector is not None:
                self.vectors[row] = candidate.vector
                self.embedded[row] = True
        self.words = TermIndex([f"{c.title} {c.abstract}" for c in self.candidates])
        days = np.array(
            [c.published.toordinal() if c.published else 0 for c in self.candidates],
            dtype=np.float64,
        )
        # A paper without a date counts as the oldest of the window.
        if days.any():
            days[days == 0] = days[days > 0].min()
        self.published = days
        self.upvotes = np.array([c.upvotes for c in self.candidates], dtype=np.int64)
        self.by_category: dict[str, list[int]] = {}
        self.by_organization: dict[str, list[int]] = {}
        self.by_author: dict[str, list[int]] = {}
        for row, candidate in enumerate(self.candidates):
            # An archive ("cs") follows every one of its categories.
            archives = {c.split(".")[0] for c in candidate.categories}
            for category in {*candidate.categories, *archives}:
                self.by_category.setdefault(category, []).append(row)
            if candidate.organization:
                self.by_organization.setdefault(candidate.organization.lower(), []).append(row)
            for author in candidate.authors:
                self.by_author.setdefault(normalised_name(author), []).append(row)
        self._covariance: WindowCovariance | None = None

    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def covariance(self) -> WindowCovariance:
        """The embedded papers' mean and inverse covariance, computed on first use."""
        if self._covariance is None:
            self._covariance = WindowCovariance(self.vectors[self.embedded])
        return self._covariance

    def rank(
        self,
        profile: Profile,
        *,
        limit: int = DEFAULT_LIMIT,
        community: float = 0.0,
        weights: Weights = WEIGHTS,
    ) -> list[Recommendation]:
        """The ``limit`` best papers of the window for ``profile``, best first.

        ``community`` (0 to 1) weighs the window's upvotes against personal fit
        (module docstring). Muted, dismissed, liked and seen papers are never returned.
        """
        eligible = self.eligible(profile)
        signals = self.signals(profile, weights.temperature)
        return self.ranked(signals, eligible, limit=limit, community=community, weights=weights)

    def ranked(
        self,
        signals: "Signals",
        eligible: np.ndarray,
        *,
        limit: int = DEFAULT_LIMIT,
        community: float = 0.0,
        weights: Weights = WEIGHTS,
    ) -> list[Recommendation]:
        """``rank``'s second half: signals computed once, ordered under several weights."""
        if not 0 <= community <= 1:
            raise ValueError(f"community must be between 0 and 1, not {community}")
        parts = {
            name: getattr(weights, name) * _standardised(getattr(signals, name), eligible)
            for name in ("words", "nearest", "linear", "recency")
        }
        parts["dismissed"] = -weights.dismissed * _standardised(signals.dismissed, eligible)
        # Not standardised: a follow matched is worth the same in any window.
        parts["follows"] = weights.follows * signals.follows
        personal = np.sum(list(parts.values()), axis=0)
        fit = (1 - community) * _standardised(personal, eligible)
        popular = community * _standardised(np.log1p(self.upvotes.astype(np.float64)), eligible)
        score = fit + popular
        rows = np.flatnonzero(eligible)
        # Best score first; equal scores: the more personal, then the newer, first.
        order = rows[np.lexsort((-self.published[rows], -personal[rows], -score[rows]))]
        return [
            Recommendation(
                self.ids[row],
                float(score[row]),
                partial(self._reason, row, signals, parts, float(fit[row]), float(popular[row])),
            )
            for row in order[:limit]
        ]

    def eligible(self, profile: Profile) -> np.ndarray:
        """Which papers of the window may be shown: not excluded, nothing muted in them."""
        keep = np.ones(len(self), dtype=bool)
        for arxiv_id in profile.excluded:
            if (row := self.rows.get(arxiv_id)) is not None:
                keep[row] = False
        for words in profile.muted_words:
            keep &= ~self.words.contains(words)
        for author in profile.muted_authors:
            keep[self.by_author.get(normalised_name(author), [])] = False
        return keep

    def signals(self, profile: Profile, temperature: float = WEIGHTS.temperature) -> "Signals":
        """Each signal's raw value for every paper of the window (``Signals``)."""
        count = len(self)
        dim = self.vectors.shape[1]
        liked = [p for p in profile.liked if p.vector is not None]
        liked_matrix = _stacked(liked, dim)
        dismissed_matrix = _stacked([p for p in profile.dismissed if p.vector is not None], dim)
        # Closeness looks at the newest papers only (profiles list them newest last).
        closest_to, closest_matrix = liked[-NEAREST_PAPERS:], liked_matrix[-NEAREST_PAPERS:]
        nearest = linear = dismissed = np.zeros(count)
        if liked and self.embedded.any():
            # The soft maximum τ·log(mean(exp(cos/τ))), in place (500 liked papers by a
            # few thousand candidates is megabytes a temporary). Cosines are at most 1 and
            # τ at least MIN_TEMPERATURE, so exp stays within float32 without
            # subtracting each row's maximum first, a pass fewer.
            similarity = self.vectors @ (closest_matrix.T / temperature)
            np.exp(similarity, out=similarity)
            nearest = temperature * np.log(similarity.mean(axis=1))
            linear = self.vectors @ self.covariance.direction(liked_matrix, dismissed_matrix)
        if len(dismissed_matrix) and self.embedded.any():
            dismissed = (self.vectors @ dismissed_matrix[-NEAREST_PAPERS:].T).max(axis=1)
        nearest, linear, dismissed = (
            self._neutral_unless_embedded(v) for v in (nearest, linear, dismissed)
        )
        query = None
        words = np.zeros(count)
        if profile.liked and count:
            numbers, held = profile.liked_terms
            shares = held / len(profile.liked)
            # Rarity counts twice more on top of BM25's own idf: the words that single
            # out a reader's papers are rare ones (tuned, docs/recommend.md).
            query = self.words.query(numbers, shares) * self.words.idf**2
            words = self.words.bm25(query)
        return Signals(
            words=words,
            nearest=nearest,
            linear=linear,
            follows=self._follows(profile),
            dismissed=dismissed,
            recency=self.published,
            query=query,
            liked=closest_to,
            liked_matrix=closest_matrix,
            profile=profile,
        )

    def _neutral_unless_embedded(self, values: np.ndarray) -> np.ndarray:
        """A paper not embedded yet neither near nor far: the window's average."""
        if self.embedded.all() or not self.embedded.any():
            return values
        values = values.copy()
        values[~self.embedded] = values[self.embedded].mean()
        return values

    def _follows(self, profile: Profile) -> np.ndarray:
        matched = np.zeros(len(self))
        follows = profile.follows
        for category in follows.categories:
            matched[self.by_category.get(category, [])] += FOLLOW_WEIGHTS["category"]
        for organization in follows.organizations:
            rows = self.by_organization.get(organization.lower(), [])
            matched[rows] += FOLLOW_WEIGHTS["organization"]
        for author in follows.authors:
            matched[self.by_author.get(normalised_name(author), [])] += FOLLOW_WEIGHTS["author"]
        for query in follows.queries:
            matched[self.words.contains_all(query)] += FOLLOW_WEIGHTS["query"]
        return matched

    def _reason(
        self, row: int, signals: "Signals", parts: dict[str, np.ndarray], fit: float, popular: float
    ) -> Reason:
        """The strongest personal signal of the paper, even a weak one (it is among the
        reader's best); upvotes when the community knob brought it more than fit did."""
        if popular > fit and self.upvotes[row]:
            return Reason("popular", upvotes=int(self.upvotes[row]))
        options = []
        if signals.liked and self.embedded[row]:
            options.append((parts["nearest"][row] + parts["linear"][row], "similar"))
        if signals.query is not None:
            options.append((parts["words"][row], "words"))
        if signals.follows[row]:
            options.append((parts["follows"][row], "follow"))
        for _, kind in sorted(options, reverse=True):
            if kind == "similar":
                closest = int(np.argmax(signals.liked_matrix @ self.vectors[row]))
                return Reason("similar", paper=signals.liked[closest])
            if kind == "follow":
                return Reason("follow", follow=self._follow_matched(row, signals.profile))
            if signals.query is not None and (
                shown := self.words.strongest(row, signals.query, WORDS_SHOWN)
            ):
                return Reason("words", words=tuple(shown))
        if popular > 0:
            return Reason("popular", upvotes=int(self.upvotes[row]))
        return Reason("new")

    def _follow_matched(self, row: int, profile: Profile) -> tuple[str, str] | None:
        """The follow that brought the paper in: the most specific kind first."""
        candidate = self.candidates[row]
        names = {normalised_name(a) for a in candidate.authors}
        for author in sorted(profile.follows.authors):
            if normalised_name(author) in names:
                return ("author", author)
        for organization in sorted(profile.follows.organizations):
            if organization.lower() == candidate.organization.lower():
                return ("organization", organization)
        for query in sorted(profile.follows.queries):
            if self.words.contains_all(query)[row]:
                return ("query", query)
        categories = {*candidate.categories, *(c.split(".")[0] for c in candidate.categories)}
        for category in sorted(profile.follows.categories):
            if category in categories:
                return ("category", category)
        return None


# A followed author, organization or search is a narrower choice than a category.
FOLLOW_WEIGHTS = {"category": 1.0, "organization": 2.0, "author": 2.0, "query": 2.0}


@dataclass(frozen=True)
class Signals:
    """Raw signal values for every paper of a window, and what the reasons need."""

    words: np.ndarray
    nearest: np.ndarray
    linear: np.ndarray
    follows: np.ndarray
    dismissed: np.ndarray
    recency: np.ndarray
    # The words' query over the window's terms; None without liked papers.
    query: np.ndarray | None
    # The liked papers with a vector that closeness looks at, in the rows of liked_matrix.
    liked: list[ProfilePaper]
    liked_matrix: np.ndarray
    profile: Profile


def _stacked(papers: list[ProfilePaper], dim: int) -> np.ndarray:
    if not papers:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([p.vector for p in papers]).astype(np.float32, copy=False)


def rank(
    profile: Profile,
    candidates: Sequence[Candidate],
    *,
    limit: int = DEFAULT_LIMIT,
    community: float = 0.0,
    weights: Weights = WEIGHTS,
) -> list[Recommendation]:
    """``CandidatePool(candidates).rank(profile, …)``, for a window ranked once."""
    return CandidatePool(candidates).rank(
        profile, limit=limit, community=community, weights=weights
    )
