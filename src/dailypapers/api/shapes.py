"""The JSON shapes of Hugging Face's papers API (../shared/docs/hf-papers-api.md).

``huggingface_hub``'s PaperInfo reads some fields only from the top level of a
daily item (title, organization, links), so those are repeated there.
"""

from datetime import UTC, date, datetime, time

from dailypapers.papers.models import DailyListing, Organization, Paper


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
    return {"name": org.slug, "fullname": org.name, "avatarUrl": org.avatar_url}


def authors(paper: Paper) -> list[dict]:
    return [
        {"_id": f"{paper.arxiv_id}-{a.position}", "name": a.author.name, "hidden": False}
        for a in paper.authorships.all()
    ]


def submitter(listing: DailyListing | None) -> dict | None:
    if listing is None:
        return None
    if listing.submitted_by is not None:
        user = listing.submitted_by
        return {
            "user": user.username,
            "fullname": user.get_full_name() or user.username,
            "avatarUrl": "",
        }
    if listing.submitter_name:
        return {"user": listing.submitter_name, "fullname": listing.submitter_name, "avatarUrl": ""}
    return None


def _links(paper: Paper) -> dict:
    return {
        "organization": organization(paper.organization),
        "projectPage": paper.project_page or None,
        "githubRepo": paper.github_repo or None,
        "githubStars": None,
        "ai_summary": None,
        "ai_keywords": None,
    }


def paper_fields(paper: Paper) -> dict:
    return {
        "id": paper.arxiv_id,
        "authors": authors(paper),
        "publishedAt": iso(paper.published),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "discussionId": paper.arxiv_id,
    }


def daily_item(paper: Paper, listing: DailyListing | None) -> dict:
    """One element of /api/daily_papers (and of /api/papers/search)."""
    return {
        "paper": {**paper_fields(paper), **_links(paper)},
        "publishedAt": iso(listing.date) if listing else iso(paper.published),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": None,
        "numComments": 0,
        "submittedBy": submitter(listing),
        "isAuthorParticipating": False,
        **_links(paper),
    }


def paper_info(paper: Paper, listing: DailyListing | None) -> dict:
    """The flat object of /api/papers/{id}."""
    return {
        **paper_fields(paper),
        "numComments": 0,
        "submittedOnDailyAt": iso(listing.date) if listing else None,
        "submittedOnDailyBy": submitter(listing),
        **_links(paper),
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
