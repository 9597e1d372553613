"""What importers hand to the catalog: validated, source-independent records."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

import orjson

from .arxiv_ids import parse_arxiv_id
from .models import MAX_AUTHOR_NAME, MAX_URL

# Column sizes of Paper: PostgreSQL enforces them, so records are checked first.
_LIMITS = {
    "doi": 200,
    "github_repo": MAX_URL,
    "project_page": MAX_URL,
    "categories": 500,
    "primary": 40,
}


# PostgreSQL's smallint and integer columns (SQLite has no limit of its own).
MAX_VERSION = 32767
MAX_COUNT = 2**31 - 1
# An organization's name is its page's address (/organizations/<slug>).
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_WEB_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


class InvalidRecord(ValueError):
    """A record that cannot be stored; the message says why."""


def clean_text(value: object, field: str) -> str:
    """A text field, stripped; InvalidRecord for any other type, and for NUL characters,
    which PostgreSQL cannot store (a record refused on one database is refused on both)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(f"{field} must be text, not {type(value).__name__}")
    if "\x00" in value:
        raise InvalidRecord(f"{field} contains a NUL character")
    return value.strip()


def web_link(text: str) -> str:
    """``text`` if it is an http(s) URL, else nothing: pages make links of it."""
    return text if _WEB_LINK.fullmatch(text) else ""


@dataclass(frozen=True)
class PaperRecord:
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: date | None
    version: int = 1
    updated: date | None = None
    categories: tuple[str, ...] = ()
    primary_category: str = ""
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    # Links a source states explicitly; otherwise they are found in the text.
    github_repo: str = ""
    project_page: str = ""

    @classmethod
    def build(
        cls,
        *,
        arxiv_id: str,
        title: str | None,
        abstract: str | None,
        authors: list[str] | tuple[str, ...] | None,
        version: int | None = None,
        require_abstract: bool = True,
        **fields,
    ) -> "PaperRecord":
        """Validate and normalise; raise InvalidRecord with a reason a person can act on."""
        try:
            canonical_id, id_version = parse_arxiv_id(str(arxiv_id or ""))
        except ValueError as error:
            raise InvalidRecord(str(error)) from None
        try:
            return cls._build(
                canonical_id,
                id_version,
                title,
                abstract,
                authors,
                version,
                require_abstract,
                fields,
            )
        except InvalidRecord as error:
            raise InvalidRecord(f"{canonical_id}: {error}") from None

    @classmethod
    def _build(
        cls, canonical_id, id_version, title, abstract, authors, version, require_abstract, fields
    ) -> "PaperRecord":
        title = " ".join(clean_text(title, "title").split())
        if not title:
            raise InvalidRecord("missing title")
        abstract = clean_text(abstract, "abstract")
        if require_abstract and not abstract:
            raise InvalidRecord("missing abstract")
        if authors is not None and not isinstance(authors, list | tuple):
            raise InvalidRecord("authors must be a list")
        names = tuple(
            " ".join(clean_text(name, "an author name").split()) for name in authors or ()
        )
        if any(len(name) > MAX_AUTHOR_NAME for name in names):
            raise InvalidRecord(f"an author name is longer than {MAX_AUTHOR_NAME} characters")
        version = version if version is not None else (id_version or 1)
        if not 0 <= version <= MAX_VERSION:
            raise InvalidRecord(f"version {version} is not between 1 and {MAX_VERSION}")
        categories = tuple(
            clean_text(category, "a category") for category in fields.pop("categories", None) or ()
        )
        primary = clean_text(fields.pop("primary_category", None), "primary_category") or (
            categories[0] if categories else ""
        )
        if primary and primary not in categories:
            categories = (primary, *categories)
        text_fields = {
            key: clean_text(value, key)
            for key, value in fields.items()
            if key in {"comment", "journal_ref", "doi", "github_repo", "project_page"}
        }
        for key in ("github_repo", "project_page"):
            if key in text_fields:
                # Only web links become links: never javascript: or data: URLs.
                text_fields[key] = web_link(text_fields[key])
        for key, limit in _LIMITS.items():
            if len(text_fields.get(key, "")) > limit:
                raise InvalidRecord(f"{key} is longer than {limit} characters")
        if len(" ".join(categories)) > _LIMITS["categories"] or len(primary) > _LIMITS["primary"]:
            raise InvalidRecord("implausibly long categories")
        dates = {key: value for key, value in fields.items() if key in {"published", "updated"}}
        for key, value in dates.items():
            if value is not None and not isinstance(value, date):
                raise InvalidRecord(f"{key} is not a date: {str(value)[:40]!r}")
        return cls(
            arxiv_id=canonical_id,
            title=title,
            abstract=abstract,
            authors=tuple(name for name in names if name),
            version=version,
            categories=categories,
            primary_category=primary,
            published=dates.get("published"),
            updated=dates.get("updated"),
            **text_fields,
        )

    @property
    def recency(self) -> tuple[int, date]:
        """Orders versions of one paper: a record never replaces a more recent one."""
        return (self.version, self.updated or self.published or date.min)

    def content_hash(self) -> str:
        payload = orjson.dumps(
            [
                self.version,
                self.title,
                self.abstract,
                self.authors,
                self.categories,
                self.primary_category,
                self.published,
                self.updated,
                self.comment,
                self.journal_ref,
                self.doi,
                self.github_repo,
                self.project_page,
            ]
        )
        return hashlib.blake2b(payload, digest_size=16).hexdigest()


@dataclass(frozen=True)
class OrganizationRecord:
    slug: str
    name: str
    avatar_url: str = ""

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.slug) or len(self.slug) > 100:
            raise InvalidRecord(
                f"organization name {self.slug[:40]!r} is not 1 to 100 letters, digits, - or _"
            )
        clean_text(self.name, "organization full name")
        if self.avatar_url and not web_link(self.avatar_url):
            raise InvalidRecord("organization avatar is not an http(s) URL")


@dataclass(frozen=True)
class ListingRecord:
    """A daily-list entry. ``paper`` carries what the listing says about the paper."""

    arxiv_id: str
    date: date
    source: str
    paper: PaperRecord | None = None
    title: str = ""
    upvotes: int | None = None
    submitter_name: str = ""
    organization: OrganizationRecord | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        clean_text(self.title, "title")
        clean_text(self.submitter_name, "submitter name")
        if self.upvotes is not None and not 0 <= self.upvotes <= MAX_COUNT:
            raise InvalidRecord(f"upvotes {self.upvotes} is not a count from 0 to {MAX_COUNT}")
