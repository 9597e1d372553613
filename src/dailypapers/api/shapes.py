"""The JSON shapes of Hugging Face's papers API (../shared/docs/hf-papers-api.md).

``huggingface_hub``'s PaperInfo reads some fields only from the top level of a
daily item (title, organization, links), so those are repeated there.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from functools import lru_cache

from django.db import connection

from dailypapers.ingest.models import FetchRequest
from dailypapers.papers.models import Authorship, DailyListing, Organization, Paper


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 with milliseconds and ``Z``, the only form the client parses."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def organization(org: Organization | None) -> dict | None:
    if org is None:
        return None
    return _organization(org.slug, org.name, org.avatar_url)


def _organization(slug: str | None, name: str, avatar_url: str) -> dict | None:
    if slug is None:
        return None
    return {"name": slug, "fullname": name, "avatarUrl": avatar_url}


def authors(paper: Paper) -> list[dict]:
    return _authors(paper.arxiv_id, [(a.position, a.author.name) for a in paper.authorships.all()])


def _authors(arxiv_id: str, names: list[tuple[int, str]]) -> list[dict]:
    """``names``: (position, name) in author order."""
    return [
        {"_id": f"{arxiv_id}-{position}", "name": name, "hidden": False} for position, name in names
    ]


def submitter(listing: DailyListing | None) -> dict | None:
    if listing is None:
        return None
    user = listing.submitted_by
    if user is None:
        return _submitter(None, "", listing.submitter_name)
    return _submitter(user.username, user.get_full_name(), listing.submitter_name)


def _submitter(username: str | None, full_name: str, source_name: str) -> dict | None:
    """A local user (``username``) first, else the submitter's name at the source."""
    if username is not None:
        return {"user": username, "fullname": full_name or username, "avatarUrl": ""}
    if source_name:
        return {"user": source_name, "fullname": source_name, "avatarUrl": ""}
    return None


def _links(org: dict | None, project_page: str, github_repo: str) -> dict:
    return {
        "organization": org,
        "projectPage": project_page or None,
        "githubRepo": github_repo or None,
        "githubStars": None,
        "ai_summary": None,
        "ai_keywords": None,
    }


def _paper_links(paper: Paper) -> dict:
    return _links(organization(paper.organization), paper.project_page, paper.github_repo)


def paper_fields(paper: Paper) -> dict:
    return _paper_fields(
        paper.arxiv_id, authors(paper), paper.published, paper.title, paper.abstract, paper.upvotes
    )


def _paper_fields(
    arxiv_id: str,
    authors: list[dict],
    published: date | None,
    title: str,
    abstract: str,
    upvotes: int,
) -> dict:
    return {
        "id": arxiv_id,
        "authors": authors,
        "publishedAt": iso(published),
        "title": title,
        "summary": abstract,
        "upvotes": upvotes,
        "discussionId": arxiv_id,
    }


def daily_item(paper: Paper, listing: DailyListing | None) -> dict:
    """One element of /api/daily_papers (and of /api/papers/search)."""
    return _daily_item(
        paper_fields(paper),
        _paper_links(paper),
        listing.date if listing else None,
        submitter(listing),
        paper.comment_count,
    )


def _daily_item(
    fields: dict, links: dict, listed_on: date | None, by: dict | None, comments: int
) -> dict:
    return {
        "paper": {**fields, **links},
        "publishedAt": iso(listed_on) if listed_on else fields["publishedAt"],
        "title": fields["title"],
        "summary": fields["summary"],
        "thumbnail": None,
        "numComments": comments,
        "submittedBy": by,
        # Also here for the official client, which reads the top-level publishedAt
        # as the arXiv date when the paper's own is unknown, and then this.
        "submittedOnDailyAt": iso(listed_on) if listed_on else None,
        "isAuthorParticipating": False,
        **links,
    }


# What daily_items() reads of a paper, its organization, listing and submitter.
_ROW = (
    "arxiv_id",
    "title",
    "abstract",
    "published",
    "upvotes",
    "comment_count",
    "project_page",
    "github_repo",
    "organization__slug",
    "organization__name",
    "organization__avatar_url",
    "listing__date",
    "listing__submitter_name",
    "listing__submitted_by__username",
    "listing__submitted_by__first_name",
    "listing__submitted_by__last_name",
)


@lru_cache(maxsize=256)
def _daily_items_sql(vendor: str, count: int) -> tuple[str, str]:
    """daily_items()'s two queries for ``count`` ids, as SQL whose parameters are the ids.

    Django writes them, once per number of ids: building a query costs a
    search request more than running it (0.4 ms each against 0.4-0.6 ms).
    """
    ids = [str(n) for n in range(count)]
    papers = Paper.objects.visible().filter(arxiv_id__in=ids).order_by().values_list(*_ROW)
    names = (
        Authorship.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "position")
        .values_list("paper_id", "position", "author__name")
    )
    queries = []
    for query in (papers.query, names.query):
        sql, params = query.sql_with_params()
        assert list(params) == ids, "the ids must be the queries' only parameters"
        queries.append(sql)
    return queries[0], queries[1]


def daily_items(arxiv_ids: list[str]) -> list[dict]:
    """``daily_item()`` of each paper, in the order given, skipping unknown and hidden ones.

    Two plain queries (papers with their joins, then author names) and no model
    instances: for the search endpoint, instances and prefetching cost more than
    the search itself.
    """
    arxiv_ids = list(dict.fromkeys(arxiv_ids))
    if not arxiv_ids:
        return []
    papers_sql, names_sql = _daily_items_sql(connection.vendor, len(arxiv_ids))
    with connection.cursor() as cursor:
        cursor.execute(papers_sql, arxiv_ids)
        rows = {row[0]: row for row in cursor.fetchall()}
        cursor.execute(names_sql, arxiv_ids)
        names: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for paper_id, position, name in cursor.fetchall():
            names[paper_id].append((position, name))
    items = []
    for arxiv_id in arxiv_ids:
        if (row := rows.get(arxiv_id)) is None:
            continue
        (
            _,
            title,
            abstract,
            published,
            upvotes,
            comments,
            project_page,
            github_repo,
            org_slug,
            org_name,
            org_avatar_url,
            listed_on,
            submitter_name,
            username,
            first_name,
            last_name,
        ) = row
        by = None  # without a listing, no submitter
        if listed_on:
            # The full name as User.get_full_name() makes it.
            by = _submitter(username, f"{first_name} {last_name}".strip(), submitter_name)
        fields = _paper_fields(
            arxiv_id, _authors(arxiv_id, names[arxiv_id]), published, title, abstract, upvotes
        )
        links = _links(_organization(org_slug, org_name, org_avatar_url), project_page, github_repo)
        items.append(_daily_item(fields, links, listed_on, by, comments))
    return items


def paper_info(paper: Paper, listing: DailyListing | None) -> dict:
    """The flat object of /api/papers/{id}."""
    return {
        **paper_fields(paper),
        "numComments": paper.comment_count,
        "submittedOnDailyAt": iso(listing.date) if listing else None,
        "submittedOnDailyBy": submitter(listing),
        **_paper_links(paper),
        "linkedModels": [],
        "numTotalModels": 0,
        "linkedDatasets": [],
        "numTotalDatasets": 0,
        "linkedSpaces": [],
    }


def markdown(paper: Paper) -> str:
    """/papers/{id}.md: the paper page as Markdown."""
    names = ", ".join(a.author.name for a in paper.authorships.all())
    parts = [f"# {paper.title}"]
    if names:
        parts.append(f"**Authors:** {names}")
    if paper.published:
        parts.append(f"**Published on arXiv:** {paper.published}")
    parts += ["## Abstract", " ".join(paper.abstract.split())]
    links = [f"- arXiv: {paper.abs_url}", f"- PDF: {paper.pdf_url}"]
    if paper.github_repo:
        links.append(f"- Code: {paper.github_repo}")
    if paper.project_page:
        links.append(f"- Project page: {paper.project_page}")
    parts += ["## Links", "\n".join(links)]
    return "\n\n".join(parts) + "\n"


def fetch_status(fetch: FetchRequest) -> dict:
    """A paper's fetch from arXiv, in FetchStatus's shape."""
    return {
        "arxivId": fetch.arxiv_id,
        "status": fetch.status,
        "reason": fetch.reason,
        "statusUrl": f"/api/papers/{fetch.arxiv_id}/fetch",
    }
