"""What community actions do to the catalog: comments, authorship claims, organization links."""

from dailypapers.papers.models import Paper


def verified_author_ids(paper: Paper) -> set[int]:
    """Ids of the paper's authors whose authorship claim staff approved."""
    return set()
