"""Local stand-ins for Hugging Face's ``/api/daily_papers``, the arXiv API and arXiv's
OAI-PMH interface.

The daily lists are served in the real response shape
(../shared/docs/hf-papers-api.md), built from rows in the format of
../shared/data/hf-daily.jsonl.gz (date, id, upvotes, title, abstract, authors);
a test adds what the archive lacks (organization, submitter, links). arXiv
answers any ``id_list`` with an Atom entry for each paper it knows, and
``ListRecords`` with arXivRaw records, a page at a time.
"""

import gzip
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

SHARED_DATA = Path(__file__).resolve().parents[5] / "shared" / "data"
HF_ARCHIVE = SHARED_DATA / "hf-daily.jsonl.gz"

JSON = {"Content-Type": "application/json; charset=utf-8"}

# What a stand-in answers: status, body, headers (conftest.canned_http_server serves it).
Reply = tuple[int, bytes, dict[str, str]]


def real_rows(days: int) -> list[dict]:
    """The rows of the archive's first ``days`` days; the test is skipped without ../shared."""
    if not HF_ARCHIVE.is_file():
        pytest.skip(
            f"{HF_ARCHIVE} is absent: this check reads real Daily Papers rows from "
            "../shared/data (a fresh clone has no ../shared; the hand-made rows still run)"
        )
    rows: list[dict] = []
    with gzip.open(HF_ARCHIVE, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if len({r["date"] for r in rows} | {row["date"]}) > days:
                break
            rows.append(row)
    return rows


def hf_row(arxiv_id: str, day: str, **fields) -> dict:
    """A hand-made row in the archive's format, with optional extras for the API item."""
    row = {
        "date": day,
        "id": arxiv_id,
        "upvotes": 7,
        "title": f"Listed paper {arxiv_id}",
        "abstract": f"What {arxiv_id} found, as Hugging Face shows it.",
        "authors": ["Ada Lovelace", "Grace Hopper"],
        "source": "hand-made",
    }
    return row | fields


def _user(name: str) -> dict:
    return {"user": name, "fullname": name.title(), "avatarUrl": f"/avatars/{name}.svg"}


def daily_item(row: dict) -> dict:
    """One element of ``/api/daily_papers``, as Hugging Face sends it, from an archive row.

    Rows without a title or an abstract (the archive has such rows) give items
    without them: listings that lack their paper's full metadata.
    """
    listed = date.fromisoformat(row["date"])
    submitter = _user(row.get("submitter", "akhaliq"))
    paper = {
        "id": row["id"],
        "authors": [
            {"_id": f"{n:024x}", "name": name, "hidden": False}
            for n, name in enumerate(row.get("authors") or [])
        ],
        "publishedAt": f"{listed - timedelta(days=1)}T06:12:00.000Z",
        "submittedOnDailyAt": f"{listed}T08:41:25.123Z",
        "upvotes": row.get("upvotes") or 0,
        "discussionId": row["id"].replace(".", "").rjust(24, "0"),
        "ai_summary": "",
        "ai_keywords": [],
        "submittedOnDailyBy": submitter,
    }
    item = {
        "paper": paper,
        "publishedAt": f"{listed}T00:00:00.000Z",
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{row['id']}.png",
        "numComments": 2,
        "submittedBy": submitter,
        "isAuthorParticipating": False,
    }
    for key, value in (("title", row.get("title")), ("summary", row.get("abstract"))):
        if value:
            paper[key] = item[key] = value
    for key, name in (("githubRepo", "github"), ("projectPage", "project")):
        if row.get(name):
            paper[key] = item[key] = row[name]
    if row.get("organization"):
        slug = row["organization"]
        item["organization"] = {
            "name": slug,
            "fullname": slug.title(),
            "avatarUrl": f"/avatars/{slug}.png",
        }
    return item


@dataclass
class FakeHuggingFace:
    """``/api/daily_papers?date=&p=&limit=``: a day's items, ``max_limit`` per page at most."""

    url: str = ""
    # Items by day: dicts from daily_item(), or anything else for a malformed item.
    days: dict[str, list] = field(default_factory=dict)
    max_limit: int = 100
    # Send `Link: rel="next"` when there is a following page (our own API does).
    link_headers: bool = False
    # Answers given, once each and in order, before the real page (date, p) is served.
    faults: dict[tuple[str, int], list[Reply]] = field(default_factory=dict)
    # A request for this day waits for `release` (a test kills the client meanwhile).
    hold_day: str = ""
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # (date, p) of every request received, in order, and when it came.
    requests: list[tuple[str, int]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def add(self, rows: list[dict]) -> None:
        for row in rows:
            self.days.setdefault(row["date"], []).append(daily_item(row))

    def reply(self, query: dict[str, str]) -> Reply:
        day, page = query.get("date", ""), int(query.get("p", "0"))
        limit = min(int(query.get("limit", "50")), self.max_limit)
        self.requests.append((day, page))
        self.times.append(time.monotonic())
        if self.faults.get((day, page)):
            return self.faults[(day, page)].pop(0)
        if day == self.hold_day:
            self.held.set()
            self.release.wait(60)
        items = self.days.get(day, [])
        headers = dict(JSON)
        if self.link_headers and (page + 1) * limit < len(items):
            following = f"/api/daily_papers?date={day}&p={page + 1}&limit={limit}"
            headers["Link"] = f'<{self.url}{following}>; rel="next"'
        return 200, json.dumps(items[page * limit : (page + 1) * limit]).encode(), headers


ATOM_ENTRY = """<entry>
  <id>http://arxiv.org/abs/{id}v{version}</id>
  <title>{title}</title>
  <updated>{updated}T12:00:00Z</updated>
  <link href="https://arxiv.org/abs/{id}v{version}" rel="alternate" type="text/html"/>
  <link href="https://arxiv.org/pdf/{id}v{version}" rel="related" title="pdf"/>
  <summary>{abstract}</summary>
  {categories}
  <published>{published}T07:00:00Z</published>
  <arxiv:primary_category term={primary}/>
  {authors}
</entry>"""

ATOM_FEED = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/stand-in</id>
  <title>arXiv Query</title>
  <updated>2024-03-10T00:00:00Z</updated>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>{count}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  {entries}
</feed>"""


def atom_entry(row: dict) -> str:
    """An arXiv API entry for a row in the format of conftest.arxiv_row()."""
    return ATOM_ENTRY.format(
        id=row["id"],
        version=row.get("version", 1),
        title=escape(row["title"]),
        abstract=escape(row["abstract"]),
        published=row["published"],
        updated=row.get("updated", row["published"]),
        primary=quoteattr(row["primary_category"]),
        categories="".join(
            f'<category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
            for c in row["categories"]
        ),
        authors="".join(f"<author><name>{escape(name)}</name></author>" for name in row["authors"]),
    )


@dataclass
class ArxivStandIn:
    """The arXiv API for the papers in ``papers`` (rows as conftest.arxiv_row() makes them)."""

    url: str = ""
    papers: dict[str, dict] = field(default_factory=dict)
    # Answer 503 to everything, as arXiv does when it is down for maintenance.
    down: bool = False
    # The ids of every request, in order.
    requests: list[list[str]] = field(default_factory=list)

    def reply(self, query: dict[str, str]) -> Reply:
        ids = [i for i in query.get("id_list", "").split(",") if i]
        self.requests.append(ids)
        if self.down:
            return 503, b"down for maintenance", {"Retry-After": "0"}
        entries = [atom_entry(self.papers[i]) for i in ids if i in self.papers]
        body = ATOM_FEED.format(count=len(entries), entries="\n".join(entries))
        return 200, body.encode(), {"Content-Type": "application/atom+xml; charset=utf-8"}


def stand_in_environment(settings) -> dict[str, str]:
    """What a ``dailypapers`` subprocess needs to use the test's stand-ins, without delays,
    and the embedding model and vectors the test session has already."""
    return {
        "DAILYPAPERS_HF_API_URL": settings.HF_API_URL,
        "DAILYPAPERS_HF_REQUEST_DELAY": "0",
        "DAILYPAPERS_ARXIV_API_URL": settings.ARXIV_API_URL,
        "DAILYPAPERS_ARXIV_REQUEST_DELAY": "0",
        "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
        "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
    }


def closed_port_url() -> str:
    """An address where nothing listens: a source that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


OAI_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-01-31T10:00:00Z</responseDate>
  <request verb="ListRecords">{url}</request>
  {body}
</OAI-PMH>"""

OAI_RECORD = """<record>
  <header>
    <identifier>oai:arXiv.org:{id}</identifier>
    <datestamp>{datestamp}</datestamp>
    <setSpec>cs</setSpec>
  </header>
  <metadata>
    <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">
      <id>{id}</id>
      <version version="v1"><date>{submitted}</date><size>100kb</size></version>
      <title>{title}</title>
      <authors>{authors}</authors>
      <categories>{categories}</categories>
      <abstract>{abstract}</abstract>
    </arXivRaw>
  </metadata>
</record>"""

XML = {"Content-Type": "text/xml; charset=utf-8"}


def oai_record(datestamp: str, row: dict) -> str:
    """An arXivRaw record for a row in the format of conftest.arxiv_row()."""
    published = date.fromisoformat(row["published"])
    return OAI_RECORD.format(
        id=row["id"],
        datestamp=datestamp,
        submitted=f"{published:%a, %d %b %Y} 10:00:00 GMT",
        title=escape(row["title"]),
        authors=escape(", ".join(row["authors"])),
        categories=escape(" ".join(row["categories"])),
        abstract=escape(row["abstract"]),
    )


@dataclass
class OaiStandIn:
    """arXiv's OAI-PMH ``ListRecords`` in arXivRaw: the records whose datestamp is within
    ``from``/``until``, ``page_size`` a page, each page naming the next by a resumption token."""

    url: str = ""
    # (datestamp, row as conftest.arxiv_row() makes it), in the order they are listed.
    records: list[tuple[str, dict]] = field(default_factory=list)
    page_size: int = 5
    # The query of every request, in order.
    requests: list[dict[str, str]] = field(default_factory=list)

    def reply(self, query: dict[str, str]) -> Reply:
        self.requests.append(query)
        if token := query.get("resumptionToken"):
            since, until, offset = token.split("|")
        else:
            since, until, offset = query.get("from", ""), query.get("until", ""), "0"
        start = int(offset)
        listed = [
            (datestamp, row)
            for datestamp, row in self.records
            if since <= datestamp and (not until or datestamp <= until)
        ]
        if not listed:
            body = '<error code="noRecordsMatch">no records match</error>'
            return 200, OAI_RESPONSE.format(url=self.url, body=body).encode(), XML
        end = start + self.page_size
        # The last page has an empty token: the list is complete.
        following = f"{since}|{until}|{end}" if end < len(listed) else ""
        records = "".join(oai_record(*record) for record in listed[start:end])
        token = (
            f"<resumptionToken cursor='{start}' completeListSize='{len(listed)}'>"
            f"{following}</resumptionToken>"
        )
        body = f"<ListRecords>{records}{token}</ListRecords>"
        return 200, OAI_RESPONSE.format(url=self.url, body=body).encode(), XML
