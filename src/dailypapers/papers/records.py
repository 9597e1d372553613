"""What importers hand to the catalog: validated, source-independent records."""

import hashlib
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


class InvalidRecord(ValueError):
    """A record that cannot be stored; the message says why."""


def _clean(text: str | None) -> str:
    return (text or "").strip()


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
        title = " ".join(_clean(title).split())
        if not title:
            raise InvalidRecord(f"{canonical_id}: missing title")
        abstract = _clean(abstract)
        if require_abstract and not abstract:
            raise InvalidRecord(f"{canonical_id}: missing abstract")
        if authors is not None and not isinstance(authors, list | tuple):
            raise InvalidRecord(f"{canonical_id}: authors must be a list")
        names = tuple(" ".join(str(name).split()) for name in authors or ())
        if any(len(name) > MAX_AUTHOR_NAME for name in names):
            raise InvalidRecord(
                f"{canonical_id}: an author name is longer than {MAX_AUTHOR_NAME} characters"
            )
        categories = tuple(fields.pop("categories", None) or ())
        primary = _clean(fields.pop("primary_category", None)) or (
            categories[0] if categories else ""
        )
        if primary and primary not in categories:
            categories = (primary, *categories)
        text_fields = {
            key: _clean(value)
            for key, value in fields.items()
            if key in {"comment", "journal_ref", "doi", "github_repo", "project_page"}
        }
        for key, limit in _LIMITS.items():
            if len(text_fields.get(key, "")) > limit:
                raise InvalidRecord(f"{canonical_id}: {key} is longer than {limit} characters")
        if len(" ".join(categories)) > _LIMITS["categories"] or len(primary) > _LIMITS["primary"]:
            raise InvalidRecord(f"{canonical_id}: implausibly long categories")
        dates = {key: value for key, value in fields.items() if key in {"published", "updated"}}
        for key, value in dates.items():
            if value is not None and not isinstance(value, date):
                raise InvalidRecord(f"{canonical_id}: {key} is not a date: {value!r}")
        return cls(
            arxiv_id=canonical_id,
            title=title,
            abstract=abstract,
            authors=tuple(name for name in names if name),
            version=version if version is not None else (id_version or 1),
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
