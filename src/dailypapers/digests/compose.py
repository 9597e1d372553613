"""What a digest says: the top trending papers, a section per followed item, and for
an account's subscription its "For you" papers.

One ``Composer`` serves a whole run: the trending list, the "For you" window,
each followed item's new papers and each paper's rendered entry are computed once
and shared by every subscriber who needs them; per subscriber remain the ranking
of their "For you", the removal of papers already sent (and, for an account, of
papers read, dismissed or muted) and two small template renders.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from dailypapers.library.models import Follow
from dailypapers.papers.models import Authorship, Organization, Paper
from dailypapers.papers.trending import trending_paper_ids
from dailypapers.papers.upserts import in_chunks
from dailypapers.recommend import catalog, readers
from dailypapers.recommend.profile import ProfilePaper
from dailypapers.recommend.readers import Reader
from dailypapers.search.documents import SearchFilters
from dailypapers.search.service import MAX_LIMIT, search_page

from .following import follows_of
from .links import absolute_url, follow_page_url
from .models import SentPaper, Subscription

# Trending papers considered, before removing those a subscriber already has.
TRENDING_POOL = 100
# New papers kept per followed item, best first, before the same removal.
CANDIDATES = 100
# A saved search asks the keyword engine for papers published this long before
# the last digest: enough for arXiv's announcement delay, then filtered exactly
# on when the catalog added them.
SEARCH_LOOKBACK_DAYS = 7
# A subscriber whose digests failed for long gets the last month, not everything since.
MAX_NEW_DAYS = 31
EXCERPT_CHARS = 200
SHOWN_AUTHORS = 3
# "For you" ranks the papers first published in the last days up to the digest's day:
# a weekday's digest looks back over arXiv's weekend, a weekly one over its week. A
# paper sent once is never sent again, so the windows may overlap.
FOR_YOU_DAYS = {Subscription.Frequency.DAILY: 3, Subscription.Frequency.WEEKLY: 7}
# The newest liked papers a digest learns from: a run ranks thousands of readers, and
# the newest hundred say what a reader follows now (docs/recommend.md, Speed).
FOR_YOU_LIKED = 100
# Liked papers kept for the run (each with its text and vector, about 3 kB).
LIKED_PAPERS_KEPT = 50_000


@dataclass(frozen=True)
class Entry:
    """A paper as a digest lists it, rendered once per run."""

    arxiv_id: str
    title: str
    html: str
    text: str


@dataclass
class Section:
    heading: str
    url: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class ComposedDigest:
    subject: str
    sections: list[Section]

    @property
    def paper_ids(self) -> list[str]:
        return [entry.arxiv_id for section in self.sections for entry in section.entries]


@dataclass
class NewPapers:
    """The papers the catalog added in one window, indexed by what can be followed.

    Every list is ranked most upvoted first and cut at CANDIDATES. Reading the
    window once and matching follows in memory costs one query per distinct
    window (all daily subscribers share one) instead of one per followed item.
    """

    rank: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, list[str]] = field(default_factory=dict)
    by_organization: dict[str, list[str]] = field(default_factory=dict)
    by_author: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, since: datetime, cutoff: datetime) -> "NewPapers":
        new = cls()
        rows = (
            Paper.objects.visible()
            .filter(added_at__gt=since, added_at__lte=cutoff)
            .order_by("-upvotes", "-published", "arxiv_id")
            .values_list("arxiv_id", "categories", "organization__slug")
        )
        for arxiv_id, categories, organization in rows:
            new.rank[arxiv_id] = len(new.rank)
            for category in categories.split():
                new._add(new.by_category, category, arxiv_id)
            if organization:
                new._add(new.by_organization, organization, arxiv_id)
        by_author: dict[str, list[str]] = {}
        for chunk in in_chunks(list(new.rank)):
            for paper_id, name in Authorship.objects.filter(paper_id__in=chunk).values_list(
                "paper_id", "author__name"
            ):
                by_author.setdefault(name, []).append(paper_id)
        for name, ids in by_author.items():
            new.by_author[name] = sorted(ids, key=new.rank.__getitem__)[:CANDIDATES]
        return new

    @staticmethod
    def _add(index: dict[str, list[str]], key: str, arxiv_id: str) -> None:
        ids = index.setdefault(key, [])
        if len(ids) < CANDIDATES:
            ids.append(arxiv_id)


def one_line(text: str) -> str:
    """Whitespace collapsed: arXiv titles contain line breaks, which headers must not."""
    return " ".join(text.split())


def excerpt(abstract: str) -> str:
    """The abstract's first sentence, or its first EXCERPT_CHARS characters."""
    text = one_line(abstract)
    end = text.find(". ", 40)
    if 0 < end < EXCERPT_CHARS:
        return text[: end + 1]
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


class Composer:
    def __init__(self, *, today: date, cutoff: datetime):
        """Digests of ``today``, with papers the catalog added up to ``cutoff``."""
        self.today = today
        self.cutoff = cutoff
        self._trending: list[str] | None = None
        self._matches: dict[tuple[str, str, datetime], list[str]] = {}
        self._new: dict[datetime, NewPapers] = {}
        self._sections: dict[tuple, tuple[str, str]] = {}
        self._entries: dict[str, Entry] = {}
        self._titles: dict[tuple[str, str], tuple[str, str]] = {}
        self._trending_url = absolute_url(reverse("papers-trending"))
        self._for_you_url = absolute_url(reverse("papers-for-you"))
        self._for_you_windows: dict[str, tuple[date, date] | None] = {}
        # Per subscription id, loaded by batch (``load_batch``): the papers of trending
        # and of its "For you" window it already received, its follows, and for an
        # account's subscription its reader.
        self._sent: dict[int, set[str]] = {}
        self._follows: dict[int, list[Follow]] = {}
        self._readers: dict[int, Reader] = {}
        # The papers readers liked, read once for the run: many readers like the same.
        self._liked_papers: dict[str, ProfilePaper] = {}

    def load_batch(self, batch: list[Subscription]) -> None:
        """Read what the next ``compose()`` of each of ``batch`` needs, in a few queries."""
        self._follows.update(follows_of(batch))
        accounts = [s.user_id for s in batch if s.user_id]
        if len(self._liked_papers) > LIKED_PAPERS_KEPT:
            self._liked_papers.clear()
        self._readers.update(
            readers.readers(accounts, liked_limit=FOR_YOU_LIKED, known_papers=self._liked_papers)
        )
        self._load_sent(batch)

    def compose(self, subscription: Subscription) -> ComposedDigest | None:
        """The subscriber's digest, or None when it would list nothing."""
        if subscription.pk not in self._sent:
            self.load_batch([subscription])
        since = subscription.covered_until or subscription.confirmed_at or self.cutoff
        since = max(since, self.cutoff - timedelta(days=MAX_NEW_DAYS))
        taken = self._sent.pop(subscription.pk)
        reader = self._readers.get(subscription.user_id)
        # (heading, page, candidate ids) in the order the digest lists them: a paper
        # goes in the first section that wants it. A new kind of section joins here.
        # "For you" comes last: what the reader follows keeps its own sections, and it
        # brings the papers they would not have found by following.
        wanted = [("Trending", self._trending_url, self.trending())]
        for follow in self._follows.pop(subscription.pk):
            wanted.append((*self.title(follow), self.matches(follow.kind, follow.value, since)))
        if reader is not None:
            wanted.append(("For you", self._for_you_url, self.for_you(subscription, reader, taken)))
        allowed = self._allowed(reader, [pid for *_, ids in wanted for pid in ids])
        chosen_sections = []
        for heading, url, ids in wanted:
            chosen = [pid for pid in ids if pid not in taken and pid in allowed]
            chosen = chosen[: subscription.paper_count]
            taken.update(chosen)
            if chosen:
                chosen_sections.append((heading, url, chosen))
        if not chosen_sections:
            return None
        self._load_entries([pid for *_, ids in chosen_sections for pid in ids])
        sections = [
            Section(heading, url, [self._entries[pid] for pid in ids if pid in self._entries])
            for heading, url, ids in chosen_sections
        ]
        return ComposedDigest(self.subject(subscription, sections), sections)

    def render(
        self, subscription: Subscription, digest: ComposedDigest, *, manage: str, unsubscribe: str
    ) -> tuple[str, str]:
        """The plain-text and HTML bodies."""
        text, html = zip(
            *(self._render_section(section) for section in digest.sections), strict=True
        )
        context = {
            "period": self.period_label(subscription.frequency),
            "manage_url": manage,
            "unsubscribe_url": unsubscribe,
            "site_url": settings.BASE_URL,
            "email": subscription.email,
        }
        return (
            render_to_string("digests/email/digest.txt", context | {"sections": "".join(text)}),
            render_to_string(
                "digests/email/digest.html", context | {"sections": mark_safe("".join(html))}
            ),
        )

    def _render_section(self, section: Section) -> tuple[str, str]:
        """Text and HTML of a section; many subscribers get the very same one."""
        key = (section.heading, section.url, tuple(entry.arxiv_id for entry in section.entries))
        if key not in self._sections:
            context = {"section": section}
            self._sections[key] = (
                render_to_string("digests/email/_section.txt", context),
                render_to_string("digests/email/_section.html", context),
            )
        return self._sections[key]

    def trending(self) -> list[str]:
        """Trending papers the catalog had at the cutoff: one added during the run
        belongs to the next digest's sections, which hold only papers added after it."""
        if self._trending is None:
            ranked = trending_paper_ids(self.today)[:TRENDING_POOL]
            known = set(
                Paper.objects.filter(arxiv_id__in=ranked, added_at__lte=self.cutoff).values_list(
                    "arxiv_id", flat=True
                )
            )
            self._trending = [pid for pid in ranked if pid in known]
        return self._trending

    def matches(self, kind: str, value: str, since: datetime) -> list[str]:
        """Papers added after ``since`` (up to the run's cutoff) that ``kind: value`` matches."""
        key = (kind, value, since)
        if key not in self._matches:
            self._matches[key] = self._find(kind, value, since)
        return self._matches[key]

    def _find(self, kind: str, value: str, since: datetime) -> list[str]:
        new = self.new_papers(since)
        if kind == Follow.Kind.QUERY:
            # Keyword matching: the words of the query, as the reader typed them. (The
            # semantic half of hybrid search always returns neighbours, relevant or not.)
            filters = SearchFilters(published_from=since.date() - timedelta(SEARCH_LOOKBACK_DAYS))
            found = search_page(value, filters, mode="keyword", limit=MAX_LIMIT).page
            return [pid for pid, _ in found if pid in new.rank][:CANDIDATES]
        index = {
            Follow.Kind.CATEGORY: new.by_category,
            Follow.Kind.ORGANIZATION: new.by_organization,
            Follow.Kind.AUTHOR: new.by_author,
        }.get(kind, {})
        return index.get(value, [])

    def new_papers(self, since: datetime) -> "NewPapers":
        """What the catalog added after ``since``, read once for every subscriber sharing it."""
        if since not in self._new:
            self._new[since] = NewPapers.read(since, self.cutoff)
        return self._new[since]

    def for_you(self, subscription: Subscription, reader: Reader, sent: set[str]) -> list[str]:
        """The reader's best papers of the window, leaving out those ``sent`` before."""
        window = self.for_you_window(subscription.frequency)
        if window is None:
            return []
        # Room for the papers that the sections before it take from this list.
        limit = min(2 * subscription.paper_count, readers.MAX_LIMIT)
        feed = readers.for_you(reader, since=window[0], until=window[1], limit=limit, seen=sent)
        return [r.arxiv_id for r in feed.recommendations] if feed else []

    def for_you_window(self, frequency: str) -> tuple[date, date] | None:
        """The days whose papers "For you" ranks, the same for every subscriber of a run."""
        if frequency not in self._for_you_windows:
            days = FOR_YOU_DAYS.get(frequency, FOR_YOU_DAYS[Subscription.Frequency.DAILY])
            self._for_you_windows[frequency] = catalog.default_window(days, today=self.today)
        return self._for_you_windows[frequency]

    def _allowed(self, reader: Reader | None, ids: list[str]) -> set[str]:
        """Of ``ids``, those the reader has not read, dismissed or muted (all of them for
        a subscriber without an account)."""
        if reader is None or not reader.exclusions:
            return set(ids)
        allowed: set[str] = set()
        for chunk in in_chunks(sorted(set(ids))):
            kept = reader.exclusions.apply(Paper.objects.filter(arxiv_id__in=chunk))
            allowed.update(kept.values_list("arxiv_id", flat=True))
        return allowed

    def _load_sent(self, batch: list[Subscription]) -> None:
        """Which papers of trending and of their "For you" window each subscriber already
        received.

        Only those need the check: a followed item lists papers the catalog added
        after the subscriber's last digest, so none was sent before.
        """
        self._sent.update({s.pk: set() for s in batch})
        papers = set(self.trending())
        for frequency in {s.frequency for s in batch if s.user_id}:
            if window := self.for_you_window(frequency):
                papers.update(catalog.pool(*window).ids)
        subscription_ids = [s.pk for s in batch]
        for chunk in in_chunks(subscription_ids):
            for paper_chunk in in_chunks(sorted(papers)):
                for pk, paper_id in SentPaper.objects.filter(
                    subscription_id__in=chunk, paper_id__in=paper_chunk
                ).values_list("subscription_id", "paper_id"):
                    self._sent[pk].add(paper_id)

    def title(self, follow: Follow) -> tuple[str, str]:
        """A followed item's section heading and the page that lists it."""
        key = (follow.kind, follow.value)
        if key not in self._titles:
            self._titles[key] = (self._heading(follow), follow_page_url(*key))
        return self._titles[key]

    @staticmethod
    def _heading(follow: Follow) -> str:
        if follow.kind == Follow.Kind.CATEGORY:
            return f"New in {follow.value}"
        if follow.kind == Follow.Kind.ORGANIZATION:
            org = Organization.objects.filter(slug=follow.value).first()
            return f"New from {org.name if org else follow.value}"
        if follow.kind == Follow.Kind.AUTHOR:
            return f"New by {follow.value}"
        return f"New for “{follow.value}”"

    def period_label(self, frequency: str) -> str:
        if frequency == Subscription.Frequency.WEEKLY:
            year, week, _ = self.today.isocalendar()
            return f"week {week} of {year}"
        return f"{self.today:%A} {self.today.day} {self.today:%B %Y}"

    def subject(self, subscription: Subscription, sections: list[Section]) -> str:
        kind = "Weekly" if subscription.frequency == Subscription.Frequency.WEEKLY else "Daily"
        count = sum(len(section.entries) for section in sections)
        first = sections[0].entries[0].title if sections[0].entries else ""
        if len(first) > 80:
            first = first[:80].rsplit(" ", 1)[0] + "…"
        more = f" and {count - 1} more" if count > 1 else ""
        return f"{kind} papers: {first}{more}"

    def _load_entries(self, ids: list[str]) -> None:
        missing = sorted({pid for pid in ids if pid not in self._entries})
        for chunk in in_chunks(missing):
            authors: dict[str, list[str]] = {}
            for paper_id, name in (
                Authorship.objects.filter(paper_id__in=chunk, position__lte=SHOWN_AUTHORS)
                .order_by("paper_id", "position")
                .values_list("paper_id", "author__name")
            ):
                authors.setdefault(paper_id, []).append(name)
            rows = Paper.objects.filter(arxiv_id__in=chunk).values_list(
                "arxiv_id", "title", "abstract", "upvotes", "organization__name"
            )
            for arxiv_id, title, abstract, upvotes, organization in rows:
                names = authors.get(arxiv_id, [])
                byline = ", ".join(names[:SHOWN_AUTHORS])
                if len(names) > SHOWN_AUTHORS:
                    byline += " et al."
                context = {
                    "title": one_line(title),
                    "byline": " · ".join(part for part in (organization, byline) if part),
                    "upvotes": upvotes,
                    "excerpt": excerpt(abstract),
                    "url": absolute_url(f"/papers/{arxiv_id}"),
                }
                self._entries[arxiv_id] = Entry(
                    arxiv_id,
                    context["title"],
                    mark_safe(render_to_string("digests/email/_paper.html", context)),
                    render_to_string("digests/email/_paper.txt", context),
                )
