"""The one entry point for search: ``search()`` and ``similar()``, used by pages and API alike.

Hybrid ranking: the keyword engine and the vector index each return their
best candidates; each list's scores are standardised (divided by their standard
deviation, the list's worst scoring 0) and summed with weights: KEYWORD_WEIGHT
and 1 - KEYWORD_WEIGHT, each times the square root (CONFIDENCE_POWER) of how
far its side's best candidate stands above the rest. A paper found by only one
side gets 0 from the other. A query of a few words that some papers hold every one
of lifts those papers (whole matches). While embeddings are being built, a
paper not embedded yet gets its keyword score on both sides, and the
semantic side weighs in proportion to the share of papers embedded.
docs/search.md explains the choices.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
from django.db.models import Q, QuerySet

from dailypapers.papers.collections import MOST_UPVOTED_FIRST, NEWEST_FIRST
from dailypapers.papers.models import Author, Authorship, Paper
from dailypapers.papers.upserts import in_chunks

from . import backends, lexicon, progress
from .documents import SearchFilters
from .expansion import expand
from .query import ParsedQuery, parse_query
from .snippets import highlight, query_stems

Sort = Literal["relevance", "date", "upvotes"]
Mode = Literal["hybrid", "keyword", "semantic"]

# Both chosen on the tuning half of SciFact's queries (docs/search.md, bench/relevance.py).
KEYWORD_WEIGHT = 0.5
# A side whose best candidate stands far above its others (a high best z-score) is
# surer of itself, as keyword search is of a paper whose words a query repeats:
# its weight is multiplied by that z-score to this power.
CONFIDENCE_POWER = 0.5
# A query of WHOLE_QUERY_FROM topic words or more that a paper holds every one of is
# likely that paper's own words (a title, a sentence pasted from its abstract): the
# WHOLE_QUERY_LIMIT best such papers gain WHOLE_QUERY_BONUS in hybrid ranking, in
# the fused score's units (standard deviations). Bonus picked on SciFact's tuning half.
WHOLE_QUERY_FROM = 3
WHOLE_QUERY_LIMIT = 10
WHOLE_QUERY_BONUS = 1.0
CANDIDATES = 100
# Ranked by date or upvotes, results are the best CANDIDATES_FOR_SORT matches.
CANDIDATES_FOR_SORT = 300
MAX_LIMIT = 200


@dataclass
class SearchHit:
    paper: Paper
    score: float
    stems: frozenset[str] = frozenset()

    @cached_property
    def snippet(self) -> str:
        """HTML, escaped, matches in <mark>: made only for hits that are shown."""
        return highlight(self.paper.abstract, self.stems)


@dataclass
class SearchResults:
    query: ParsedQuery
    hits: list[SearchHit] = field(default_factory=list)
    # How many candidates matched (at most CANDIDATES_FOR_SORT + offset).
    total: int = 0
    mode: str = "hybrid"
    # What the user should know: semantic search still indexing, an id not in the catalog…
    notices: list[str] = field(default_factory=list)
    # A well-formed arXiv id that is not in the catalog (pages offer to fetch it).
    unknown_arxiv_id: str | None = None
    # The page as (arxiv id, score), best first: ``hits`` holds the same papers
    # loaded, except those deleted meanwhile. ``search_page()`` fills only this.
    page: list[tuple[str, float]] = field(default_factory=list)


def _standardised(ranked: list[tuple[str, float]]) -> tuple[dict[str, float], float]:
    """Scores in standard deviations above the list's worst, and the best one's z-score.

    Unlike min-max normalisation, a best candidate far above the others keeps its
    lead: on SciFact's tuning half, 0.743 against 0.738 (docs/search.md). A list
    whose scores are all equal says only which papers it found: each scores 1.
    """
    if not ranked:
        return {}, 0.0
    scores = np.array([score for _, score in ranked], dtype=np.float64)
    spread = float(scores.std())
    if spread <= 1e-12 * max(1.0, float(np.abs(scores).max())):
        return {pid: 1.0 for pid, _ in ranked}, 1.0
    low, best = float(scores.min()), float((scores.max() - scores.mean()) / spread)
    return {pid: (score - low) / spread for pid, score in ranked}, best


def fuse(
    keyword: list[tuple[str, float]],
    semantic: list[tuple[str, float]],
    keyword_weight: float = KEYWORD_WEIGHT,
    unembedded: Collection[str] = frozenset(),
    coverage: float = 1.0,
    confidence_power: float = CONFIDENCE_POWER,
) -> list[tuple[str, float]]:
    """One ranking from two: weighted sum of standardised scores.

    Each side's weight is multiplied by its best z-score to ``confidence_power``:
    the side whose best match stands out more from its other candidates counts
    more for that query.

    While embeddings are being built (``coverage``, the share of papers
    embedded, below 1) the semantic side knows part of the catalog, and
    leaving it as it is would let that part push keyword matches down:

    - The papers in ``unembedded`` could not be found by the semantic side: a
      0 there would rank an exact title match below its embedded neighbours.
      Their keyword score stands in for the semantic one, so they rank as
      keyword search ranks them.
    - The best semantic matches among a few embedded papers are not the best
      of the catalog, yet they stand out as much as the best of the catalog
      would: the semantic side's weight is scaled by ``coverage``.

    At full coverage both are without effect.
    """
    (kw, kw_best), (sem, sem_best) = _standardised(keyword), _standardised(semantic)
    semantic_weight = (1 - keyword_weight) * coverage * sem_best**confidence_power
    keyword_weight *= kw_best**confidence_power
    # Zero only when neither side has a say (nothing found, or nothing embedded).
    weights = keyword_weight + semantic_weight or 1.0
    keyword_weight, semantic_weight = keyword_weight / weights, semantic_weight / weights
    fused = {}
    for pid in kw.keys() | sem.keys():
        keyword_score = kw.get(pid, 0.0)
        semantic_score = keyword_score if pid in unembedded else sem.get(pid, 0.0)
        fused[pid] = keyword_weight * keyword_score + semantic_weight * semantic_score
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def favour_whole_matches(
    fused: list[tuple[str, float]], whole: Collection[str], bonus: float = WHOLE_QUERY_BONUS
) -> list[tuple[str, float]]:
    """``fused`` with ``bonus`` added to the papers in ``whole``, ranked again."""
    if not whole:
        return fused
    scored = [(pid, score + bonus if pid in whole else score) for pid, score in fused]
    return sorted(scored, key=lambda item: (-item[1], item[0]))


def whole_matches(
    query: ParsedQuery, filters: SearchFilters, among: set[str] | None = None
) -> set[str]:
    """The papers holding every topic word of a query long enough for that to tell.

    Nothing for a query with a quoted phrase: the phrase says what must match, and a
    paper holding its words apart is no whole match.
    """
    if query.phrases or len(query.words) < WHOLE_QUERY_FROM:
        return set()
    return backends.keyword_index().containing_every_word(query, filters, WHOLE_QUERY_LIMIT, among)


def _authorships(name: str) -> QuerySet:
    """The authorships of the authors ``name`` designates: the whole name or whole words
    of it, case-insensitive ("LeCun" and "Yann LeCun" both find Yann LeCun)."""
    name = " ".join(name.split())
    named = (
        Q(name__iexact=name)
        | Q(name__istartswith=f"{name} ")
        | Q(name__iendswith=f" {name}")
        | Q(name__icontains=f" {name} ")
    )
    return Authorship.objects.filter(author__in=Author.objects.filter(named))


def _author_papers(name: str) -> set[str]:
    return set(_authorships(name).values_list("paper_id", flat=True))


def filter_q(filters: SearchFilters) -> Q:
    """The filters as a query on Paper, for what the engines cannot filter themselves."""
    q = Q()
    if filters.published_from:
        q &= Q(published__gte=filters.published_from)
    if filters.published_until:
        q &= Q(published__lte=filters.published_until)
    if filters.category:
        c = filters.category
        q &= (
            Q(categories=c)
            | Q(categories__startswith=f"{c} ")
            | Q(categories__endswith=f" {c}")
            | Q(categories__contains=f" {c} ")
        )
    if filters.organization:
        q &= Q(organization__slug=filters.organization)
    if filters.author:
        q &= Q(arxiv_id__in=_authorships(filters.author).values("paper_id"))
    return q


def rank(
    query: ParsedQuery, filters: SearchFilters, mode: Mode, limit: int
) -> tuple[list[tuple[str, float]], list[str]]:
    """The ranked candidate ids and any notices, before pagination and sorting."""
    notices: list[str] = []
    among = _author_papers(filters.author) if filters.author else None
    keyword = []
    if mode in ("hybrid", "keyword"):
        keyword = backends.keyword_index().search(query, filters, limit, among)
    semantic = []
    unembedded: set[str] = set()
    coverage = 1.0
    if mode in ("hybrid", "semantic"):
        vectors = backends.vector_index()
        if vectors.is_empty():
            notices.append(
                "Semantic search is not ready yet (papers are still being "
                "embedded): these are keyword matches only."
            )
        elif text := query.semantic_text:
            # The vector index knows no filters: with some, fetch more and keep those that pass.
            vector = backends.embedder().embed_query(text)
            semantic = vectors.search(vector, limit * 4 if filters else limit)
            if filters:
                allowed = _allowed(semantic, filters)
                semantic = [(pid, score) for pid, score in semantic if pid in allowed][:limit]
            if mode == "hybrid":
                found = [pid for pid, _ in keyword]
                unembedded = set(found) - vectors.embedded(found)
                if embedding := progress.current():
                    coverage = embedding.coverage
    if mode == "keyword":
        return keyword, notices
    if mode == "semantic":
        return semantic, notices
    fused = fuse(keyword, semantic, unembedded=unembedded, coverage=coverage)
    return favour_whole_matches(fused, whole_matches(query, filters, among)), notices


def widened(query: ParsedQuery) -> tuple[ParsedQuery, list[str]]:
    """``query`` with its typos corrected and its acronyms expanded from the catalog's
    lexicon, and notices saying what was searched (search/expansion.py)."""
    return expand(query, backends.keyword_index(), lexicon.current())


def _allowed(found: list[tuple[str, float]], filters: SearchFilters) -> set[str]:
    ids = [pid for pid, _ in found]
    return {
        pid
        for chunk in in_chunks(ids)
        for pid in Paper.objects.filter(filter_q(filters), arxiv_id__in=chunk).values_list(
            "arxiv_id", flat=True
        )
    }


# The filters that hold one value, with the operator that types them.
_ONE_VALUE = (("category", "cat"), ("organization", "org"), ("author", "author"))


def combine(given: SearchFilters, typed: SearchFilters) -> tuple[SearchFilters, list[str]]:
    """The filters given by a page's controls, an API or a command, together with those
    typed in the query as operators; and notices of the given ones that were replaced.

    Both apply: the date range is narrowed from both sides. A filter that holds one
    value (category, organization, author) takes the typed one, what the user wrote last.
    """
    notices = [
        f"{operator}:{getattr(typed, name)} is used instead of the {name} filter "
        f"{getattr(given, name)}."
        for name, operator in _ONE_VALUE
        if getattr(typed, name) and getattr(given, name) not in ("", getattr(typed, name))
    ]
    froms = [day for day in (given.published_from, typed.published_from) if day]
    untils = [day for day in (given.published_until, typed.published_until) if day]
    combined = SearchFilters(
        published_from=max(froms, default=None),
        published_until=min(untils, default=None),
        **{name: getattr(typed, name) or getattr(given, name) for name, _ in _ONE_VALUE},
    )
    return combined, notices


def _listing(
    filters: SearchFilters, sort: Sort, limit: int, offset: int
) -> tuple[list[tuple[str, float]], int]:
    """A page of the papers that pass ``filters``, newest first (most upvoted first when
    sorted by upvotes), as the author and organization pages list theirs; and how many
    there are, counted up to CANDIDATES_FOR_SORT past the page's start."""
    papers = Paper.objects.visible().filter(filter_q(filters))
    order = MOST_UPVOTED_FIRST if sort == "upvotes" else NEWEST_FIRST
    page = papers.order_by(*order).values_list("arxiv_id", flat=True)[offset : offset + limit]
    total = papers.order_by()[: offset + CANDIDATES_FOR_SORT].count()
    return [(pid, 1.0) for pid in page], total


def search_page(
    text: str,
    filters: SearchFilters | None = None,
    *,
    sort: Sort = "relevance",
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "hybrid",
) -> SearchResults:
    """``search()`` without loading the papers: ``page`` is filled, ``hits`` left empty.

    For callers that read the page's papers in a shape of their own (the API
    builds its JSON from plain rows: model instances cost it half its time).
    """
    filters = filters or SearchFilters()
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    query = parse_query(text)
    results = SearchResults(query=query, mode=mode)
    # An operator not understood is left out, and the user told (the API refuses it).
    results.notices += [f"{problem} It is left out." for problem in query.problems]
    filters, replaced = combine(filters, query.filters)
    results.notices += replaced
    if query.arxiv_id:
        if Paper.objects.filter(pk=query.arxiv_id).exists():
            results.page, results.total, results.mode = [(query.arxiv_id, 1.0)], 1, "id"
        else:
            results.unknown_arxiv_id = query.arxiv_id
            results.notices.append(f"arXiv:{query.arxiv_id} is not in the catalog yet.")
        return results
    if query.is_empty:
        if filters:
            # Filters alone, typed (author:"Yann LeCun") or given: their papers, listed.
            results.page, results.total = _listing(filters, sort, limit, offset)
            results.mode = "filters"
            return results
        results.notices.append(
            "Type a few words, a quoted phrase, an arXiv id, "
            "or a filter such as author:LeCun or cat:cs.LG."
        )
        return results
    query, notices = widened(query)
    results.query = query
    results.notices += notices
    wanted = CANDIDATES_FOR_SORT if sort != "relevance" else max(CANDIDATES, offset + limit)
    ranked, notices = rank(query, filters, mode, wanted)
    results.notices += notices
    results.total = len(ranked)
    if sort == "relevance":
        results.page = ranked[offset : offset + limit]
    else:
        scores = dict(ranked)
        order = ["-published", "arxiv_id"] if sort == "date" else ["-upvotes", "-published"]
        ordered = Paper.objects.filter(arxiv_id__in=list(scores)).order_by(*order)
        page_ids = ordered.values_list("arxiv_id", flat=True)[offset : offset + limit]
        results.page = [(pid, scores[pid]) for pid in page_ids]
    return results


def search(
    text: str,
    filters: SearchFilters | None = None,
    *,
    sort: Sort = "relevance",
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "hybrid",
) -> SearchResults:
    results = search_page(text, filters, sort=sort, limit=limit, offset=offset, mode=mode)
    papers = Paper.objects.visible().for_cards().in_bulk([pid for pid, _ in results.page])
    stems = frozenset(query_stems(results.query)) if results.mode != "id" else frozenset()
    results.hits = [
        SearchHit(papers[pid], score, stems) for pid, score in results.page if pid in papers
    ]
    return results


def similar(paper: Paper, limit: int = 10) -> list[Paper]:
    """Nearest papers by embedding, excluding the paper itself."""
    vectors = backends.vector_index()
    vector = vectors.vector_of(paper.arxiv_id)
    if vector is None:
        return []
    # Room for hidden neighbours, which are left out.
    found = [pid for pid, _ in vectors.search(vector, 2 * limit + 1) if pid != paper.arxiv_id]
    papers = Paper.objects.visible().in_bulk(found)
    return [papers[pid] for pid in found if pid in papers][:limit]
