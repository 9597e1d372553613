"""``dailypapers sync-hf``: Hugging Face's Daily Papers, mirrored from its public API.

Each day is read with ``GET /api/daily_papers?date=…``, page after page, and
its items are parsed by ``formats.parse_hf_daily_api`` (what ``import`` reads
from a saved response). Papers the catalog lacks, or knows only from a listing,
are fetched from the arXiv API; when arXiv cannot be reached they stay pending
(docs/architecture.md, "Listings before papers").

A day is stored in one transaction together with the checkpoint, so an
interrupted sync resumes at the first day it had not stored, and storing a day
again changes only what changed upstream.
"""

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import orjson
import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from rich.console import Console
from rich.markup import escape

from dailypapers.console import count_progress
from dailypapers.papers.models import Paper
from dailypapers.papers.records import InvalidRecord, ListingRecord, PaperRecord
from dailypapers.papers.upserts import UpsertCounts, upsert_listings, upsert_papers

from .arxiv_api import ArxivUnavailable, arxiv_client, fetch_papers, why_unreachable
from .formats import parse_hf_daily_api
from .models import HFSyncCheckpoint

DAILY_PAPERS = "/api/daily_papers"
# Items asked for per page, Hugging Face's maximum. A server may send fewer.
PAGE_SIZE = 100
MAX_RETRIES = 5
# The wait before retrying a 5xx that does not say how long; it doubles each time.
FIRST_RETRY_WAIT = 1.0
# Longer waits end the sync (it resumes when run again) rather than block it for hours.
MAX_RETRY_AFTER = 600


class SyncError(Exception):
    """The sync cannot go on; the message says what failed."""


def retry_after(response: requests.Response) -> float | None:
    """The seconds a 429 or 503 asks to wait (a number or an HTTP date), if it says."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _fingerprint(item: object) -> bytes:
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)


class DailyPapersClient:
    """Hugging Face's daily lists, asked politely: requests spaced, 429/503/5xx waited out."""

    def __init__(self, base_url: str, *, delay: float, console: Console) -> None:
        self.base_url = base_url
        self.delay = delay
        self.console = console
        self.session = requests.Session()
        self._last_request: float | None = None

    def get(self, url: str, params: dict | None = None) -> requests.Response:
        for attempt in itertools.count():
            if self._last_request is not None:
                time.sleep(max(0.0, self._last_request + self.delay - time.monotonic()))
            try:
                response = self.session.get(url, params=params, timeout=settings.SOURCE_TIMEOUT)
            except requests.RequestException as error:
                # Offline or refused: fail at once, the next run continues from here.
                raise SyncError(f"cannot reach {url}: {why_unreachable(error)}") from None
            finally:
                self._last_request = time.monotonic()
            status = response.status_code
            if status == 200:
                return response
            if status != 429 and status < 500:
                raise SyncError(f"{response.url} answered HTTP {status}")
            wait = retry_after(response) if status in (429, 503) else None
            if wait is None:
                wait = FIRST_RETRY_WAIT * 2**attempt
            if attempt == MAX_RETRIES:
                raise SyncError(f"{response.url} answered HTTP {status} {attempt + 1} times")
            if wait > MAX_RETRY_AFTER:
                raise SyncError(f"{response.url} answered HTTP {status}, wait {wait:.0f} s")
            self.console.print(
                f"[yellow]{escape(response.url)}: HTTP {status}, trying again in {wait:.0f} s"
            )
            time.sleep(wait)

    def day(self, day: date) -> Iterator[object]:
        """Every item listed on ``day``, over as many pages as the server has.

        Pages are followed by ``Link: rel="next"`` when the server sends it,
        else by ``p`` until a page brings nothing new: an empty page, or one
        that repeats the items before it (a server that ignores ``p``). A short
        page does not end the day, because a server may cap ``limit`` lower.
        """
        url = f"{self.base_url}{DAILY_PAPERS}"
        params: dict | None = {"date": day.isoformat(), "p": 0, "limit": PAGE_SIZE}
        seen: set[bytes] = set()
        while True:
            response = self.get(url, params)
            try:
                items = orjson.loads(response.content)
            except orjson.JSONDecodeError as error:
                raise SyncError(f"{response.url} sent malformed JSON (cut off?): {error}") from None
            if not isinstance(items, list):
                raise SyncError(f"{response.url} sent a JSON {type(items).__name__}, not a list")
            fresh = []
            for item in items:
                fingerprint = _fingerprint(item)
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    fresh.append(item)
            yield from fresh
            following = response.links.get("next", {}).get("url")
            if following:
                url, params = urljoin(response.url, following), None
            elif params is None or not fresh:
                return
            else:
                params = {**params, "p": params["p"] + 1}


def hf_today() -> date:
    """The day Hugging Face is listing now: its lists are dated in UTC."""
    return datetime.now(UTC).date()


def last_settled_day() -> date | None:
    """The last day a sync stored after Hugging Face had closed it: the next sync starts after."""
    return HFSyncCheckpoint.objects.aggregate(last=Max("settled_through"))["last"]


@dataclass(frozen=True)
class SyncPlan:
    since: date
    until: date | None = None

    @property
    def label(self) -> str:
        return f"Hugging Face daily papers from {self.since}" + (
            f" until {self.until}" if self.until else ""
        )


@dataclass
class SyncResult:
    # The listings.
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    days: int = 0
    # The papers fetched from arXiv to complete them.
    from_arxiv: UpsertCounts = field(default_factory=UpsertCounts)
    # Listed papers left without arXiv's metadata.
    pending: int = 0
    arxiv_error: str = ""

    @property
    def fetched_from_arxiv(self) -> int:
        return self.from_arxiv.new + self.from_arxiv.updated + self.from_arxiv.unchanged


class DailyPapersSync:
    """Runs one sync; ``result`` holds what is committed so far, even after a failure."""

    def __init__(self, plan: SyncPlan, *, console: Console) -> None:
        self.plan = plan
        self.console = console
        self.client = DailyPapersClient(
            settings.HF_API_URL, delay=settings.HF_REQUEST_DELAY, console=console
        )
        # One client for the whole sync keeps arXiv's requests ARXIV_REQUEST_DELAY apart.
        self.arxiv = arxiv_client()
        self.result = SyncResult()

    def _days(self, checkpoint: HFSyncCheckpoint) -> list[date]:
        first = checkpoint.last_day + timedelta(days=1) if checkpoint.last_day else self.plan.since
        # Days after today have no list yet.
        last = min(self.plan.until or hf_today(), hf_today())
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def run(self) -> SyncResult:
        checkpoint = self._checkpoint()
        days = self._days(checkpoint)
        with count_progress(self.console) as progress:
            task = progress.add_task(escape(self.plan.label), total=len(days))
            for day in days:
                progress.update(task, description=f"Hugging Face {day}")
                self._store(day, self._fetch(day), checkpoint, last=day == days[-1])
                progress.advance(task)
        return self.result

    def _checkpoint(self) -> HFSyncCheckpoint:
        arguments = {"from_date": self.plan.since, "until_date": self.plan.until}
        unfinished = HFSyncCheckpoint.objects.filter(finished=False, **arguments).first()
        if unfinished is None:
            # Saved with the first day, so a sync that stored nothing leaves no trace.
            return HFSyncCheckpoint(**arguments)
        if unfinished.last_day:
            self.console.print(f"Resuming the unfinished sync after {unfinished.last_day}")
        return unfinished

    def _fetch(self, day: date) -> tuple[list[ListingRecord], int]:
        """The day's listings, and how many items were rejected (each reported)."""
        listings: list[ListingRecord] = []
        rejected = 0
        for position, item in enumerate(self.client.day(day), start=1):
            try:
                if not isinstance(item, dict):
                    raise InvalidRecord(f"a JSON {type(item).__name__}, not an object")
                listings.append(parse_hf_daily_api(item))
            except (ValueError, TypeError, AttributeError, KeyError) as reason:
                # InvalidRecord is a ValueError; the others are shapes the parser did not expect.
                rejected += 1
                self.console.print(
                    f"[yellow]{day}, item {position}: rejected: {escape(str(reason))}"
                )
        return listings, rejected

    def _store(
        self,
        day: date,
        fetched: tuple[list[ListingRecord], int],
        checkpoint: HFSyncCheckpoint,
        *,
        last: bool,
    ) -> None:
        listings, rejected = fetched
        papers = self._from_arxiv([listing.arxiv_id for listing in listings])
        with transaction.atomic():
            # arXiv's records first: the listings' own paper data then changes nothing.
            self.result.from_arxiv += upsert_papers(papers)
            counts = upsert_listings(listings)
            checkpoint.last_day = day
            if day < hf_today():
                checkpoint.settled_through = day
            checkpoint.finished = last
            checkpoint.save()
        counts.rejected = rejected
        self.result.counts += counts
        self.result.days += 1

    def _from_arxiv(self, ids: list[str]) -> list[PaperRecord]:
        """arXiv's records of the papers the catalog lacks or knows only from a listing."""
        complete = set(Paper.objects.filter(pk__in=ids, version__gt=0).values_list("pk", flat=True))
        wanted = [arxiv_id for arxiv_id in dict.fromkeys(ids) if arxiv_id not in complete]
        if not wanted or self.result.arxiv_error:
            self.result.pending += len(wanted)
            return []
        records: list[PaperRecord] = []
        try:
            for batch in fetch_papers(wanted, self.arxiv):
                records += batch.records
                for reason in batch.rejected:
                    self.console.print(f"[yellow]arXiv record rejected: {escape(reason)}")
                for arxiv_id in batch.missing:
                    self.console.print(f"[yellow]{arxiv_id}: not found on arXiv; kept as listed")
        except ArxivUnavailable as error:
            # Once per sync: the remaining days are stored with their listings' data.
            self.result.arxiv_error = str(error)
            self.console.print(
                f"[yellow]{escape(str(error))}: listed papers stay pending until arXiv answers"
            )
        fetched = {record.arxiv_id for record in records}
        self.result.pending += sum(arxiv_id not in fetched for arxiv_id in wanted)
        return records
