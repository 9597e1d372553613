"""The file formats ``dailypapers import`` reads, each turned into catalog records.

One function per format takes one decoded JSON object and returns a
PaperRecord or a ListingRecord, or raises InvalidRecord saying why not.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.models import MAX_URL
from dailypapers.papers.records import (
    MAX_VERSION,
    InvalidRecord,
    ListingRecord,
    OrganizationRecord,
    PaperRecord,
    clean_text,
    web_link,
)

Record = PaperRecord | ListingRecord


def parse_date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
        if isinstance(value, str) and value[:1].isdigit():
            return datetime.fromisoformat(value).date()
        return parsedate_to_datetime(str(value)).date()
    except (TypeError, ValueError):
        raise InvalidRecord(f"{field} is not a date: {str(value)[:40]!r}") from None


def _require(obj: dict, key: str):
    if key not in obj or obj[key] is None:
        raise InvalidRecord(f"missing field {key!r}")
    return obj[key]


def parse_version(value) -> int | None:
    """arXiv's version label (``v2``, ``2``); arXiv numbers versions from 1."""
    if value in (None, ""):
        return None
    match = re.fullmatch(r"v?([0-9]{1,5})", str(value).strip())
    if not match or not 1 <= int(match.group(1)) <= MAX_VERSION:
        raise InvalidRecord(f"version is not a number from 1 to {MAX_VERSION}: {str(value)[:20]!r}")
    return int(match.group(1))


def _text_list(value, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, list):
        raise InvalidRecord(f"{field} must be a list")
    return [clean_text(item, f"each of {field}") for item in value]


def _count(value, field: str) -> int | None:
    """A count sent as a JSON number (``12``, or ``12.0``); ListingRecord checks its range."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRecord(f"{field} is not a number: {str(value)[:20]!r}")
    return value


def parse_arxiv_jsonl(obj: dict) -> PaperRecord:
    """The catalog's own line format (``arxiv-cs.jsonl.gz``): id, title, abstract, authors…"""
    return PaperRecord.build(
        arxiv_id=_require(obj, "id"),
        title=obj.get("title"),
        abstract=obj.get("abstract"),
        authors=obj.get("authors"),
        version=parse_version(obj.get("version")),
        categories=_text_list(obj.get("categories"), "categories"),
        primary_category=obj.get("primary_category"),
        published=parse_date(obj.get("published"), "published"),
        updated=parse_date(obj.get("updated"), "updated"),
        comment=obj.get("comment"),
        journal_ref=obj.get("journal_ref") or obj.get("journal-ref"),
        doi=obj.get("doi"),
    )


def _kaggle_author(parts) -> str:
    # authors_parsed rows are [last, first, suffix].
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise InvalidRecord("authors_parsed rows must be [last, first, suffix]")
    last, first, suffix = (list(parts) + ["", "", ""])[:3]
    return " ".join(part for part in (first, last, suffix) if part)


def split_author_list(text: str) -> list[str]:
    """'A. One, B. Two and C. Three' -> three names (arXiv's free-text author field)."""
    text = re.sub(r"\s*\([^)]*\)", "", text)  # drop affiliations in parentheses
    return [name.strip() for name in re.split(r",\s*(?:and\s+)?|\s+and\s+", text) if name.strip()]


def parse_kaggle(obj: dict) -> PaperRecord:
    """The arXiv bulk metadata dump (Kaggle's ``arxiv-metadata-oai-snapshot.json``)."""
    versions = obj.get("versions") or []
    if not isinstance(versions, list):
        raise InvalidRecord("versions must be a list")
    created = [
        parse_date(v.get("created"), "versions.created") for v in versions if isinstance(v, dict)
    ]
    last = versions[-1] if versions and isinstance(versions[-1], dict) else {}
    version = parse_version(last.get("version"))
    if obj.get("authors_parsed"):
        if not isinstance(obj["authors_parsed"], list):
            raise InvalidRecord("authors_parsed must be a list")
        authors = [_kaggle_author(parts) for parts in obj["authors_parsed"]]
    else:
        authors = split_author_list(clean_text(obj.get("authors"), "authors"))
    return PaperRecord.build(
        arxiv_id=_require(obj, "id"),
        title=obj.get("title"),
        abstract=obj.get("abstract"),
        authors=authors,
        version=version,
        categories=_text_list(obj.get("categories"), "categories"),
        published=created[0] if created else parse_date(obj.get("update_date"), "update_date"),
        updated=created[-1] if len(created) > 1 else None,
        comment=obj.get("comments"),
        journal_ref=obj.get("journal-ref"),
        doi=obj.get("doi"),
    )


def _avatar_url(url) -> str:
    """Hugging Face's avatar address, absolute; anything but a web link is left out."""
    if not isinstance(url, str) or "\x00" in url:
        return ""
    url = f"https://huggingface.co{url}" if url.startswith("/") else url
    return url if len(url) <= MAX_URL else ""


def _hf_listing_paper(arxiv_id: str, title, abstract, authors, **fields) -> PaperRecord | None:
    """Listings describe their paper well enough to show it until arXiv's record arrives.

    Checked even when they do not (no title or abstract): a field of the wrong
    shape makes the listing invalid either way.
    """
    record = PaperRecord.build(
        arxiv_id=arxiv_id,
        title=title or arxiv_id,
        abstract=abstract,
        authors=authors,
        version=0,
        require_abstract=False,
        **fields,
    )
    return record if title and record.abstract else None


def _listing_title(value) -> str:
    return " ".join(clean_text(value, "title").split())


def _listing_id(value) -> str:
    try:
        return normalize_arxiv_id(str(value or ""))
    except InvalidArxivId as error:
        raise InvalidRecord(str(error)) from None


def _submitter(submitter) -> str:
    if not isinstance(submitter, dict):
        return ""
    name = submitter.get("user") or submitter.get("name")
    return clean_text(name if isinstance(name, str) else "", "submitter")[:150]


def parse_hf_daily_api(obj: dict) -> ListingRecord:
    """One item of Hugging Face's ``/api/daily_papers`` response."""
    paper = _require(obj, "paper")
    if not isinstance(paper, dict):
        raise InvalidRecord("paper must be an object")
    arxiv_id = _listing_id(_require(paper, "id"))
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise InvalidRecord("paper.authors must be a list")
    names = [a.get("name", "") if isinstance(a, dict) else a for a in authors]
    submitter = obj.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    org = obj.get("organization") or paper.get("organization")
    organization = None
    if isinstance(org, dict) and org.get("name"):
        slug = clean_text(org["name"], "organization name")
        organization = OrganizationRecord(
            slug=slug,
            name=clean_text(org.get("fullname"), "organization full name")[:200] or slug,
            avatar_url=web_link(_avatar_url(org.get("avatarUrl"))),
        )
    title = obj.get("title") or paper.get("title")
    upvotes = _count(paper.get("upvotes", obj.get("upvotes")), "upvotes")
    return ListingRecord(
        arxiv_id=arxiv_id,
        date=parse_date(_require(obj, "publishedAt"), "publishedAt"),
        source="hf-api",
        paper=_hf_listing_paper(
            arxiv_id,
            title,
            paper.get("summary") or obj.get("summary"),
            names,
            published=parse_date(paper.get("publishedAt"), "paper.publishedAt"),
            github_repo=obj.get("githubRepo") or paper.get("githubRepo"),
            project_page=obj.get("projectPage") or paper.get("projectPage"),
        ),
        title=_listing_title(title),
        upvotes=upvotes,
        submitter_name=_submitter(submitter),
        organization=organization,
    )


def parse_hf_daily_archive(obj: dict) -> ListingRecord:
    """A row of ``hf-daily.jsonl.gz``: date, id, upvotes, title, abstract, authors."""
    arxiv_id = _listing_id(_require(obj, "id"))
    upvotes = obj.get("upvotes")
    if upvotes is not None and (not isinstance(upvotes, int) or isinstance(upvotes, bool)):
        raise InvalidRecord(f"upvotes is not a number: {str(upvotes)[:20]!r}")
    return ListingRecord(
        arxiv_id=arxiv_id,
        date=parse_date(_require(obj, "date"), "date"),
        source="hf-archive",
        paper=_hf_listing_paper(
            arxiv_id, obj.get("title"), obj.get("abstract"), obj.get("authors")
        ),
        title=_listing_title(obj.get("title")),
        upvotes=upvotes,
    )


PARSERS: dict[str, Callable[[dict], Record]] = {
    "arxiv-jsonl": parse_arxiv_jsonl,
    "kaggle": parse_kaggle,
    "hf-daily-api": parse_hf_daily_api,
    "hf-daily-archive": parse_hf_daily_archive,
}


def detect_format(obj: dict) -> str | None:
    if "paper" in obj:
        return "hf-daily-api"
    if "versions" in obj or "authors_parsed" in obj:
        return "kaggle"
    if "date" in obj and "upvotes" in obj:
        return "hf-daily-archive"
    if "id" in obj and "title" in obj:
        return "arxiv-jsonl"
    return None
