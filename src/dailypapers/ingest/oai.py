"""``dailypapers harvest``: new and updated papers from arXiv's OAI-PMH interface.

Each page of records is stored in one transaction together with a checkpoint
(the resumption token for the next page), so an interrupted harvest resumes at
the first page it had not finished.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from functools import cached_property

import requests
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils.timezone import localtime
from lxml import etree
from rich.console import Console
from rich.markup import escape
from sickle import Sickle, oaiexceptions
from sickle.iterator import OAIResponseIterator
from sickle.response import OAIResponse

from dailypapers.console import count_progress
from dailypapers.papers.records import InvalidRecord, PaperRecord
from dailypapers.papers.upserts import CatalogStatistics, UpsertCounts, upsert_papers

from .formats import parse_date, parse_version, split_author_list
from .models import HarvestCheckpoint

OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"

MAX_RETRIES = 5
# Seconds to wait after a 503 that does not say how long (arXiv's usually does).
DEFAULT_RETRY_AFTER = 30

# OAI-PMH errors that leave nothing to do but give up; noRecordsMatch and
# badResumptionToken are handled where they occur.
_FATAL_OAI_ERRORS = (
    oaiexceptions.BadArgument,
    oaiexceptions.BadVerb,
    oaiexceptions.CannotDisseminateFormat,
    oaiexceptions.IdDoesNotExist,
    oaiexceptions.NoMetadataFormat,
    oaiexceptions.NoSetHierarchy,
    oaiexceptions.OAIError,
)


class HarvestError(Exception):
    """The harvest cannot go on; the message says what failed."""


class StrictOAIResponse(OAIResponse):
    """A page parsed without recovery.

    Sickle's parser recovers from broken XML, so a page cut off in transit would
    end the harvest early without a word; this one refuses it.
    """

    @cached_property
    def xml(self) -> etree._Element:
        url = self.http_response.url
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            root = etree.fromstring(self.http_response.content, parser=parser)
        except etree.XMLSyntaxError as error:
            raise HarvestError(f"{url} sent malformed XML (a page cut off?): {error}") from None
        if root.tag != f"{OAI}OAI-PMH":
            raise HarvestError(f"{url} did not send an OAI-PMH response (root element {root.tag})")
        return root


class ArxivOAIClient(Sickle):
    """Sickle with arXiv's manners: requests spaced out, 503s retried, pages parsed strictly.

    Iterating ``ListRecords`` yields whole pages (StrictOAIResponse).
    """

    def __init__(self, endpoint: str, *, delay: float) -> None:
        super().__init__(
            endpoint,
            iterator=OAIResponseIterator,
            max_retries=MAX_RETRIES,
            default_retry_after=DEFAULT_RETRY_AFTER,
            timeout=settings.SOURCE_TIMEOUT,
        )
        self.delay = delay
        self._last_request: float | None = None

    def harvest(self, **kwargs) -> StrictOAIResponse:
        if self._last_request is not None:
            time.sleep(max(0.0, self._last_request + self.delay - time.monotonic()))
        try:
            response = super().harvest(**kwargs)
        except requests.RequestException as error:
            raise HarvestError(f"could not fetch {self.endpoint}: {error}") from None
        finally:
            self._last_request = time.monotonic()
        return StrictOAIResponse(response.http_response, response.params)

    def get_retry_after(self, http_response: requests.Response) -> int:
        # Sickle reads only the seconds form; an HTTP date is allowed too.
        value = http_response.headers.get("Retry-After", "").strip()
        if value.isdigit():
            return int(value)
        try:
            return max(0, round(parsedate_to_datetime(value).timestamp() - time.time()))
        except (TypeError, ValueError):
            return self.default_retry_after


@dataclass(frozen=True)
class Header:
    identifier: str
    datestamp: date
    deleted: bool


def parse_header(record: etree._Element) -> Header:
    header = record.find(f"{OAI}header")
    if header is None:
        raise InvalidRecord("no header")
    datestamp = parse_date(header.findtext(f"{OAI}datestamp"), "datestamp")
    if datestamp is None:
        raise InvalidRecord("missing datestamp")
    return Header(
        identifier=header.findtext(f"{OAI}identifier", ""),
        datestamp=datestamp,
        deleted=header.get("status") == "deleted",
    )


def _metadata(record: etree._Element, tag: str) -> etree._Element:
    metadata = record.find(f"{OAI}metadata/{tag}")
    if metadata is None:
        raise InvalidRecord(f"no {tag.rpartition('}')[2]} metadata")
    return metadata


def parse_arxiv_raw(record: etree._Element) -> PaperRecord:
    """arXivRaw: the submission history, with a date for each version."""
    raw = _metadata(record, f"{ARXIV_RAW}arXivRaw")
    versions = raw.findall(f"{ARXIV_RAW}version")
    dates = [parse_date(v.findtext(f"{ARXIV_RAW}date"), "version date") for v in versions]
    last_label = parse_version(versions[-1].get("version")) if versions else None
    return PaperRecord.build(
        arxiv_id=raw.findtext(f"{ARXIV_RAW}id", ""),
        title=raw.findtext(f"{ARXIV_RAW}title"),
        abstract=raw.findtext(f"{ARXIV_RAW}abstract"),
        authors=split_author_list(raw.findtext(f"{ARXIV_RAW}authors", "")),
        version=last_label or len(versions) or None,
        categories=raw.findtext(f"{ARXIV_RAW}categories", "").split(),
        published=dates[0] if dates else None,
        updated=dates[-1] if len(dates) > 1 else None,
        comment=raw.findtext(f"{ARXIV_RAW}comments"),
        journal_ref=raw.findtext(f"{ARXIV_RAW}journal-ref"),
        doi=raw.findtext(f"{ARXIV_RAW}doi"),
    )


def _arxiv_author(author: etree._Element) -> str:
    parts = (
        author.findtext(f"{ARXIV}{name}", "").strip() for name in ("forenames", "keyname", "suffix")
    )
    return " ".join(part for part in parts if part)


def parse_arxiv(record: etree._Element) -> PaperRecord:
    """arXiv: parsed author names, but no version number."""
    meta = _metadata(record, f"{ARXIV}arXiv")
    return PaperRecord.build(
        arxiv_id=meta.findtext(f"{ARXIV}id", ""),
        title=meta.findtext(f"{ARXIV}title"),
        abstract=meta.findtext(f"{ARXIV}abstract"),
        authors=[_arxiv_author(a) for a in meta.iterfind(f"{ARXIV}authors/{ARXIV}author")],
        categories=meta.findtext(f"{ARXIV}categories", "").split(),
        published=parse_date(meta.findtext(f"{ARXIV}created"), "created"),
        updated=parse_date(meta.findtext(f"{ARXIV}updated"), "updated"),
        comment=meta.findtext(f"{ARXIV}comments"),
        journal_ref=meta.findtext(f"{ARXIV}journal-ref"),
        doi=meta.findtext(f"{ARXIV}doi"),
    )


METADATA_PARSERS = {"arXivRaw": parse_arxiv_raw, "arXiv": parse_arxiv}


@dataclass(frozen=True)
class HarvestPlan:
    set_spec: str
    metadata_prefix: str
    since: date
    until: date | None = None

    @property
    def label(self) -> str:
        until = f" until {self.until}" if self.until else ""
        return f"arXiv {self.set_spec or 'all sets'} from {self.since}{until}"


@dataclass
class HarvestResult:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    deleted: int = 0
    pages: int = 0
    records: int = 0
    # The repository had no records for the request (noRecordsMatch).
    nothing_new: bool = False


def last_harvested(set_spec: str) -> date | None:
    """Where the next harvest of a set starts: the latest datestamp a finished harvest reached."""
    return (
        HarvestCheckpoint.objects.filter(set_spec=set_spec, finished=True)
        .annotate(reached=Coalesce("last_datestamp", "from_date"))
        .order_by("-reached")
        .values_list("reached", flat=True)
        .first()
    )


class Harvester:
    """Runs one harvest; ``result`` holds what is committed so far, even after a failure."""

    def __init__(self, plan: HarvestPlan, *, console: Console) -> None:
        self.plan = plan
        self.console = console
        self.parse = METADATA_PARSERS[plan.metadata_prefix]
        self.client = ArxivOAIClient(settings.ARXIV_OAI_URL, delay=settings.ARXIV_REQUEST_DELAY)
        self.result = HarvestResult()
        # A first harvest can bring hundreds of thousands of papers to an empty catalog.
        self.statistics = CatalogStatistics()

    def run(self) -> HarvestResult:
        checkpoint = self._checkpoint()
        restarted = False
        with count_progress(self.console) as progress:
            task = progress.add_task(escape(self.plan.label), total=None)
            while True:
                try:
                    for page in self._pages(checkpoint):
                        position, total = self._commit(page, checkpoint)
                        progress.update(task, completed=position, total=total)
                except oaiexceptions.NoRecordsMatch:
                    self.result.nothing_new = not self.result.pages
                    checkpoint.finished = True
                    checkpoint.save()
                except oaiexceptions.BadResumptionToken as error:
                    # Tokens expire. Start the list again from the beginning: OAI-PMH does
                    # not promise datestamp order, and stored pages re-import as unchanged.
                    # Only once, so a broken server cannot loop.
                    if restarted:
                        raise HarvestError(
                            f"{self.client.endpoint} rejected the resumption token again "
                            f"({error}); run the same command again to continue"
                        ) from None
                    restarted = True
                    self.console.print(
                        f"[yellow]The resumption token was rejected ({escape(str(error))}); "
                        f"starting again from {checkpoint.from_date}"
                    )
                    checkpoint.resumption_token = ""
                    continue
                except _FATAL_OAI_ERRORS as error:
                    raise HarvestError(
                        f"{self.client.endpoint} refused the request: "
                        f"{type(error).__name__}: {error}"
                    ) from None
                return self.result

    def _checkpoint(self) -> HarvestCheckpoint:
        plan = self.plan
        arguments = {
            "set_spec": plan.set_spec,
            "metadata_prefix": plan.metadata_prefix,
            "from_date": plan.since,
            "until_date": plan.until,
        }
        unfinished = HarvestCheckpoint.objects.filter(finished=False, **arguments).first()
        if unfinished is None:
            # Saved with the first page, so a harvest that never got one leaves no trace.
            return HarvestCheckpoint(**arguments)
        saved = localtime(unfinished.updated_at)
        self.console.print(f"Resuming the unfinished harvest saved at {saved:%Y-%m-%d %H:%M}")
        return unfinished

    def _pages(self, checkpoint: HarvestCheckpoint) -> Iterator[StrictOAIResponse]:
        if checkpoint.resumption_token:
            return self.client.ListRecords(resumptionToken=checkpoint.resumption_token)
        arguments = {
            "metadataPrefix": self.plan.metadata_prefix,
            "from": checkpoint.from_date.isoformat(),
        }
        if self.plan.until:
            arguments["until"] = self.plan.until.isoformat()
        if self.plan.set_spec:
            arguments["set"] = self.plan.set_spec
        return self.client.ListRecords(**arguments)

    def _commit(
        self, page: StrictOAIResponse, checkpoint: HarvestCheckpoint
    ) -> tuple[int, int | None]:
        """Store a page and the token for the next one; return the progress (position, total)."""
        token = page.xml.find(f"{OAI}ListRecords/{OAI}resumptionToken")
        next_token, cursor, size = "", "", ""
        if token is not None:
            next_token = (token.text or "").strip()
            cursor, size = token.get("cursor", ""), token.get("completeListSize", "")
        # Numbered by position in the whole list, so numbers stay the same when resumed.
        first = int(cursor) if cursor.isdigit() else self.result.records
        records = page.xml.findall(f"{OAI}ListRecords/{OAI}record")
        papers: list[PaperRecord] = []
        rejected = deleted = 0
        latest = checkpoint.last_datestamp
        for number, record in enumerate(records, start=first + 1):
            where = f"record {number}"
            try:
                header = parse_header(record)
                where = f"{where} ({header.identifier})" if header.identifier else where
                latest = max(latest or header.datestamp, header.datestamp)
                if header.deleted:
                    deleted += 1
                    self.console.print(f"{escape(where)}: deleted upstream; any local copy is kept")
                    continue
                papers.append(self.parse(record))
            except InvalidRecord as reason:
                rejected += 1
                self.console.print(f"[yellow]{escape(where)}: rejected: {escape(str(reason))}")

        with transaction.atomic():
            counts = upsert_papers(papers)
            checkpoint.resumption_token = next_token
            checkpoint.last_datestamp = latest
            checkpoint.finished = not next_token
            checkpoint.save()
        self.statistics.papers_added(counts.new)
        counts.rejected = rejected
        self.result.counts += counts
        self.result.deleted += deleted
        self.result.records += len(records)
        self.result.pages += 1
        return first + len(records), int(size) if size.isdigit() else None
