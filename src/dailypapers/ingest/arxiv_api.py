"""Papers by id from the arXiv API (``settings.ARXIV_API_URL``), via the ``arxiv`` package.

Ids are fetched in batches of up to 100, one request per batch, with
``settings.ARXIV_REQUEST_DELAY`` seconds between requests as arXiv asks.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import arxiv
import requests
from django.conf import settings

from dailypapers.papers.records import InvalidRecord, PaperRecord

BATCH_SIZE = 100

TRY_LATER = "Try again in a few minutes."

_VERSION_SUFFIX = re.compile(r"v\d+$")


class ArxivUnavailable(Exception):
    """The arXiv API could not be reached or answered with an error; the message says which,
    for the operator, and ``for_visitors`` says it without addresses or internals."""

    def __init__(self, message: str, for_visitors: str):
        super().__init__(message)
        self.for_visitors = for_visitors


class TimedSession(requests.Session):
    """Every request waits at most ``SOURCE_TIMEOUT`` seconds to connect and for each read.

    The arxiv package sets no timeout: an arXiv that accepts the connection and
    never answers would hold the process that asked for ever.
    """

    def request(self, *args, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", settings.SOURCE_TIMEOUT)
        return super().request(*args, **kwargs)


@dataclass
class FetchedBatch:
    ids: Sequence[str]
    records: list[PaperRecord] = field(default_factory=list)
    # Requested ids arXiv returned nothing for.
    missing: list[str] = field(default_factory=list)
    # Why results arXiv did return could not be turned into records.
    rejected: list[str] = field(default_factory=list)


def to_record(result: arxiv.Result) -> PaperRecord:
    """One API result as a catalog record; the version comes from the id's ``vN`` suffix."""
    return PaperRecord.build(
        arxiv_id=result.get_short_id(),
        title=result.title,
        abstract=result.summary,
        authors=[author.name for author in result.authors],
        published=result.published.date(),
        updated=result.updated.date(),
        categories=result.categories,
        primary_category=result.primary_category,
        comment=result.comment,
        journal_ref=result.journal_ref,
        doi=result.doi,
    )


def arxiv_client() -> arxiv.Client:
    """A client for ``fetch_papers``: one client spaces all its requests by the delay."""
    client = arxiv.Client(
        page_size=BATCH_SIZE, delay_seconds=settings.ARXIV_REQUEST_DELAY, num_retries=3
    )
    # The package has no base-URL or timeout argument: these are what it requests through.
    client.query_url_format = f"{settings.ARXIV_API_URL}?{{}}"
    client._session = TimedSession()
    return client


def why_unreachable(error: Exception) -> Exception:
    """requests wraps urllib3's error, whose ``reason`` (refused, unresolved…) is what matters."""
    wrapped = error.args[0] if error.args else None
    return getattr(wrapped, "reason", None) or error


def fetch_papers(ids: Sequence[str], client: arxiv.Client | None = None) -> Iterator[FetchedBatch]:
    """Fetch the latest version of each paper (ids without version), one batch at a time.

    Yields each batch as soon as it arrives, so callers can store it before the
    next request. Raises ArxivUnavailable when a request fails after the retries.
    Callers that fetch again and again pass the same ``client``, which keeps its
    requests ``ARXIV_REQUEST_DELAY`` apart.
    """
    client = client or arxiv_client()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = FetchedBatch(ids=ids[start : start + BATCH_SIZE])
        search = arxiv.Search(id_list=list(batch.ids), max_results=len(batch.ids))
        try:
            results = list(client.results(search))
        except arxiv.HTTPError as error:
            raise ArxivUnavailable(
                f"the arXiv API at {settings.ARXIV_API_URL} answered HTTP {error.status}",
                f"arXiv answered with an error (HTTP {error.status}). {TRY_LATER}",
            ) from error
        except requests.Timeout as error:
            raise ArxivUnavailable(
                f"the arXiv API at {settings.ARXIV_API_URL} did not answer within "
                f"{settings.SOURCE_TIMEOUT:g} seconds (DAILYPAPERS_SOURCE_TIMEOUT)",
                f"arXiv did not answer within {settings.SOURCE_TIMEOUT:g} seconds. {TRY_LATER}",
            ) from error
        except (arxiv.ArxivError, requests.RequestException) as error:
            reason = why_unreachable(error)
            raise ArxivUnavailable(
                f"cannot fetch from the arXiv API at {settings.ARXIV_API_URL}: {reason}",
                f"arXiv could not be reached. {TRY_LATER}",
            ) from error
        except ValueError as error:
            # The arxiv package's feed parser stops at a date that is not one.
            raise ArxivUnavailable(
                f"the arXiv API at {settings.ARXIV_API_URL} sent a malformed answer: {error}",
                f"arXiv sent an answer that could not be read. {TRY_LATER}",
            ) from error
        returned = set()
        for result in results:
            returned.add(_VERSION_SUFFIX.sub("", result.get_short_id()))
            try:
                batch.records.append(to_record(result))
            except InvalidRecord as error:
                batch.rejected.append(str(error))
        batch.missing = [arxiv_id for arxiv_id in batch.ids if arxiv_id not in returned]
        yield batch
