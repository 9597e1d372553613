"""Marking papers: read, and "not interested" (dismissed). Both keep a paper out of the
reader's "For you" feed and digest (exclusions.py); a dismissal also tells the
ranker what the reader does not want."""

from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.models import Paper

from .errors import Invalid, NotFound
from .models import Mark

Kind = Mark.Kind


def dismiss(user, arxiv_id: str) -> str:
    """Mark a paper "not interested"; its canonical id. Twice is once."""
    return _mark(user, arxiv_id, Kind.DISMISSED, marked=True)


def undismiss(user, arxiv_id: str) -> str:
    return _mark(user, arxiv_id, Kind.DISMISSED, marked=False)


def mark_read(user, arxiv_id: str) -> str:
    return _mark(user, arxiv_id, Kind.READ, marked=True)


def mark_unread(user, arxiv_id: str) -> str:
    return _mark(user, arxiv_id, Kind.READ, marked=False)


def _mark(user, arxiv_id: str, kind: str, marked: bool) -> str:
    """Invalid for a malformed id, NotFound for a paper the catalog lacks or hides."""
    try:
        arxiv_id = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise Invalid(str(error)) from None
    if not Paper.objects.visible().filter(pk=arxiv_id).exists():
        raise NotFound(f"paper {arxiv_id} not found")
    if marked:
        # ignore_conflicts: the same mark from two requests at once is one row, no error.
        Mark.objects.bulk_create(
            [Mark(user=user, paper_id=arxiv_id, kind=kind)], ignore_conflicts=True
        )
    else:
        Mark.objects.filter(user=user, paper_id=arxiv_id, kind=kind).delete()
    return arxiv_id
