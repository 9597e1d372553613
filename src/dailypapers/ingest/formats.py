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
    InvalidRecord,
    ListingRecord,
    OrganizationRecord,
    PaperRecord,
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
    if value in (None, ""):
        return None
    match = re.fullmatch(r"v?(\d+)", str(value).strip())
    if not match:
        raise InvalidRecord(f"version is not a number: {value!r}")
    return int(match.group(1))


def _text_list(value, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if not isinstance(value, list):
        raise InvalidRecord(f"{field} must be a list")
    return [str(item) for item in value]


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
    if not isinstance(parts, list) or not parts:
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
        authors = [_kaggle_author(parts) for parts in obj["authors_parsed"]]
    else:
        authors = split_author_list(obj.get("authors") or "")
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
    if not url:
        return ""
    url = str(url)
    return f"https://huggingface.co{url}" if url.startswith("/") else url


def _hf_listing_paper(arxiv_id: str, title, abstract, authors, **fields) -> PaperRecord | None:
    """Listings describe their paper well enough to show it until arXiv's record arrives."""
    if not (title and abstract):
        return None
    return PaperRecord.build(
        arxiv_id=arxiv_id, title=title, abstract=abstract, authors=authors, version=0, **fields
    )


def _listing_id(value) -> str:
    try:
        return normalize_arxiv_id(str(value or ""))
    except InvalidArxivId as error:
        raise InvalidRecord(str(error)) from None


def parse_hf_daily_api(obj: dict) -> ListingRecord:
    """One item of Hugging Face's ``/api/daily_papers`` response."""
    paper = _require(obj, "paper")
    if not isinstance(paper, dict):
        raise InvalidRecord("paper must be an object")
    arxiv_id = _listing_id(_require(paper, "id"))
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise InvalidRecord("paper.authors must be a list")
    names = [a.get("name", "") if isinstance(a, dict) else str(a) for a in authors]
    submitter = obj.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    org = obj.get("organization") or paper.get("organization")
    organization = None
    if isinstance(org, dict) and org.get("name"):
        if len(str(org["name"])) > 100:
            raise InvalidRecord("organization name is longer than 100 characters")
        avatar = _avatar_url(org.get("avatarUrl"))
        organization = OrganizationRecord(
            slug=str(org["name"]),
            name=str(org.get("fullname") or org["name"])[:200],
            avatar_url=avatar if len(avatar) <= MAX_URL else "",
        )
    title = obj.get("title") or paper.get("title")
    upvotes = paper.get("upvotes", obj.get("upvotes"))
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
        title=title or "",
        upvotes=int(upvotes) if isinstance(upvotes, int | float) else None,
        submitter_name=str(submitter.get("user") or submitter.get("name") or "")[:150]
        if isinstance(submitter, dict)
        else "",
        organization=organization,
    )


def parse_hf_daily_archive(obj: dict) -> ListingRecord:
    """A row of ``hf-daily.jsonl.gz``: date, id, upvotes, title, abstract, authors."""
    arxiv_id = _listing_id(_require(obj, "id"))
    upvotes = obj.get("upvotes")
    if upvotes is not None and not isinstance(upvotes, int):
        raise InvalidRecord(f"upvotes is not a number: {upvotes!r}")
    return ListingRecord(
        arxiv_id=arxiv_id,
        date=parse_date(_require(obj, "date"), "date"),
        source="hf-archive",
        paper=_hf_listing_paper(
            arxiv_id, obj.get("title"), obj.get("abstract"), obj.get("authors")
        ),
        title=obj.get("title") or "",
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
