"""Readers as the ranker sees them, and their "For you" feed.

A reader's profile is read from the apps that store what they did: their upvotes
(``papers``), the papers in their collections, their dismissals, read marks, mutes and
follows (``library``). The page, the API, the private feed and the digest all ask
here, so they learn from the same things and leave out the same papers.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from hashlib import sha256

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from dailypapers.library.exclusions import Exclusions, exclusions_of
from dailypapers.library.feed_preferences import community_weights
from dailypapers.library.follows import follows_of_owners
from dailypapers.library.models import CollectionItem, Follow, Mark, Mute
from dailypapers.papers.models import Organization, Upvote

from . import catalog
from .profile import Follows, Profile, ProfilePaper
from .ranker import DEFAULT_LIMIT, Recommendation

# The newest upvoted or saved papers the ranker learns from (and the newest dismissed):
# its cost grows with them, and a reader's interests move (docs/recommend.md, Speed).
LIKED_LIMIT = 500
MAX_LIMIT = 200
# A reader's ranked feed is kept (``feed``) until something it was ranked from changes,
# and at most as long as a prepared window keeps its upvote counts.
FEED_SECONDS = catalog.POOL_SECONDS


@dataclass(frozen=True)
class Reader:
    """What the ranker needs of one reader, and what their lists leave out."""

    user_id: int
    profile: Profile
    exclusions: Exclusions
    # The knob: how much the community's upvotes weigh against personal fit.
    community: float


@dataclass(frozen=True)
class ForYou:
    """A reader's feed for one window of papers, best first."""

    since: date
    until: date
    recommendations: list[Recommendation]


def readers(
    user_ids: list[int],
    *,
    liked_limit: int = LIKED_LIMIT,
    known_papers: dict[str, ProfilePaper] | None = None,
) -> dict[int, Reader]:
    """Many readers at once, in a few queries whatever their number (a digest's batch).

    ``known_papers``, kept by the caller from batch to batch, saves reading again the
    papers that readers of earlier batches liked too (it is filled here)."""
    liked = _newest_liked(user_ids, liked_limit)
    dismissed = _newest_dismissed(user_ids, liked_limit)
    wanted = {arxiv_id for ids in (*liked.values(), *dismissed.values()) for arxiv_id in ids}
    papers = {} if known_papers is None else known_papers
    papers.update(
        (paper.arxiv_id, paper) for paper in catalog.profile_papers(wanted - papers.keys())
    )
    follows, _ = follows_of_owners(user_ids, [])
    organization_names = _organization_names(follows.values())
    excluded = exclusions_of(user_ids)
    knobs = community_weights(user_ids)
    return {
        pk: Reader(
            pk,
            Profile(
                liked=[papers[i] for i in liked[pk] if i in papers],
                dismissed=[papers[i] for i in dismissed[pk] if i in papers],
                follows=_follows(follows[pk], organization_names),
                muted_words=excluded[pk].muted_words,
                muted_authors=tuple(sorted(excluded[pk].muted_authors)),
                seen=excluded[pk].read,
            ),
            excluded[pk],
            knobs[pk],
        )
        for pk in user_ids
    }


@dataclass(frozen=True)
class ReaderState:
    """What a reader's feed is ranked from, in a few numbers read by one small query each:
    how many upvotes, saved papers, marks, follows and mutes they have and the newest of
    each (rows are only ever added or deleted, so any change moves a count or a newest
    id), and their knob. Reading it costs a fraction of reading the reader."""

    user_id: int
    library: tuple
    dismissed: int
    community: float

    @property
    def is_new(self) -> bool:
        """Nothing to learn from yet: no upvote, saved paper, dismissal or follow."""
        upvotes, saved, _, follows, _ = self.library
        return not (upvotes[0] or saved[0] or self.dismissed or follows[0])


def _counted(rows: QuerySet, **more) -> dict:
    return rows.aggregate(count=Count("pk"), newest=Max("pk"), **more)


def state_of(user_id: int) -> ReaderState:
    marks = _counted(
        Mark.objects.filter(user_id=user_id),
        dismissed=Count("pk", filter=Q(kind=Mark.Kind.DISMISSED)),
    )
    library = tuple(
        (found["count"], found["newest"])
        for found in (
            _counted(Upvote.objects.filter(user_id=user_id)),
            _counted(CollectionItem.objects.filter(collection__owner_id=user_id)),
            marks,
            _counted(Follow.objects.filter(user_id=user_id)),
            _counted(Mute.objects.filter(user_id=user_id)),
        )
    )
    return ReaderState(user_id, library, marks["dismissed"], community_weights([user_id])[user_id])


def feed(
    state: ReaderState,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
    community: float | None = None,
) -> ForYou | None:
    """``for_you`` for the reader whose state it is, kept in the cache while neither
    their state nor the window's papers change (``FEED_SECONDS`` at most): a reader
    coming back to their page, or paging through it, is not ranked again. Refuses what
    ``for_you`` refuses (nothing refused is ever kept)."""
    window = _window(since, until)
    if window is None:
        return None
    # Stable across processes (unlike hash()): nodes sharing a cache share the feeds.
    ranked_from = repr((state, community, catalog.window_state(*window))).encode()
    key = (
        f"for-you:{state.user_id}:{window[0]}:{window[1]}:{limit}:"
        + sha256(ranked_from).hexdigest()[:32]
    )
    found = cache.get(key)
    if found is None:
        reader = readers([state.user_id])[state.user_id]
        found = for_you(reader, since=window[0], until=window[1], limit=limit, community=community)
        cache.set(key, found, FEED_SECONDS)
    return found


def for_you(
    reader: Reader,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
    community: float | None = None,
    seen: Iterable[str] = (),
) -> ForYou | None:
    """The reader's best papers first published from ``since`` to ``until``.

    Without dates, the last ``catalog.WINDOW_DAYS`` days of the catalog; with one,
    that many days from or up to it. ``community`` overrides the reader's knob;
    ``seen`` adds papers to leave out (a digest's papers already sent). None while the
    catalog has no dated paper. ValueError (a message for the reader) for a window
    that ends before it starts or is too long, or a limit out of range.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit is from 1 to {MAX_LIMIT}")
    window = _window(since, until)
    if window is None:
        return None
    profile = reader.profile
    if seen:
        profile = replace(profile, seen=profile.seen | frozenset(seen))
    weight = reader.community if community is None else community
    ranked = catalog.pool(*window).rank(profile, limit=limit, community=weight)
    return ForYou(*window, ranked)


def _window(since: date | None, until: date | None) -> tuple[date, date] | None:
    days = timedelta(days=catalog.WINDOW_DAYS - 1)
    if since and until:
        return since, until
    if since:
        return since, since + days
    if until:
        return until - days, until
    return catalog.default_window()


def _newest_liked(user_ids: list[int], limit: int) -> dict[int, list[str]]:
    """Each reader's upvoted and saved papers, newest ``limit`` of them, newest last."""
    when: dict[int, dict[str, object]] = defaultdict(dict)
    upvotes = Upvote.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "paper_id", "created_at"
    )
    saved = CollectionItem.objects.filter(collection__owner_id__in=user_ids).values_list(
        "collection__owner_id", "paper_id", "added_at"
    )
    for user_id, paper_id, at in [*upvotes, *saved]:
        mine = when[user_id]
        mine[paper_id] = max(at, mine.get(paper_id, at))
    return {pk: _newest_last(when[pk], limit) for pk in user_ids}


def _newest_dismissed(user_ids: list[int], limit: int) -> dict[int, list[str]]:
    when: dict[int, dict[str, object]] = defaultdict(dict)
    marks = Mark.objects.filter(user_id__in=user_ids, kind=Mark.Kind.DISMISSED)
    for user_id, paper_id, at in marks.values_list("user_id", "paper_id", "created_at"):
        when[user_id][paper_id] = at
    return {pk: _newest_last(when[pk], limit) for pk in user_ids}


def _newest_last(when: dict[str, object], limit: int) -> list[str]:
    ordered = sorted(when, key=lambda arxiv_id: (when[arxiv_id], arxiv_id))
    return ordered[-limit:]


def _organization_names(follows: Iterable[list[Follow]]) -> dict[str, str]:
    """Followed organizations' names by slug: papers name their organization."""
    slugs = {f.value for found in follows for f in found if f.kind == Follow.Kind.ORGANIZATION}
    if not slugs:
        return {}
    return dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "name"))


def _follows(found: list[Follow], organization_names: dict[str, str]) -> Follows:
    values: dict[str, set[str]] = defaultdict(set)
    for follow in found:
        value = follow.value
        if follow.kind == Follow.Kind.ORGANIZATION:
            value = organization_names.get(value, value)
        values[follow.kind].add(value)
    return Follows(
        categories=frozenset(values[Follow.Kind.CATEGORY]),
        organizations=frozenset(values[Follow.Kind.ORGANIZATION]),
        authors=frozenset(values[Follow.Kind.AUTHOR]),
        queries=frozenset(values[Follow.Kind.QUERY]),
    )


@dataclass(frozen=True)
class StartingPoints:
    """What a new reader may pick to get a feed at once: the window's busiest
    categories (with their number of papers) and its most upvoted papers."""

    categories: list[tuple[str, int]]
    papers: list[str]


def starting_points(categories: int = 12, papers: int = 8) -> StartingPoints:
    window = catalog.default_window()
    if window is None:
        return StartingPoints([], [])
    pool = catalog.pool(*window)
    # Subject classes only: "cs" holds every paper of the window, which says nothing.
    counted = [(name, len(rows)) for name, rows in pool.by_category.items() if "." in name]
    counted.sort(key=lambda item: (-item[1], item[0]))
    popular = pool.rank(Profile(), limit=papers, community=1.0)
    return StartingPoints(counted[:categories], [r.arxiv_id for r in popular])
