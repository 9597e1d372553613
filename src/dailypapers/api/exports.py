"""Downloads: BibTeX for a paper or a list, and a user's own data as JSON."""

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from dailypapers.community.models import Comment
from dailypapers.digests.subscriptions import export_for_user
from dailypapers.library.personal_data import export_for_user as library_for_user
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.bibtex import bibliography
from dailypapers.papers.collections import upvoted_papers
from dailypapers.papers.listings import InvalidPeriod, daily_listings, parse_period
from dailypapers.papers.models import DailyListing, Paper, Upvote
from dailypapers.search.service import search

from .shapes import iso

MAX_ENTRIES = 500


def _bibtex(papers, filename: str) -> HttpResponse:
    response = HttpResponse(
        bibliography(papers), content_type="application/x-bibtex; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.bib"'
    return response


def paper_bibtex(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        arxiv_id = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        # The site's error page: it escapes the message, which quotes the request.
        raise BadRequest(str(error)) from None
    paper = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    return _bibtex([paper], arxiv_id.replace("/", "-"))


def daily_bibtex(request: HttpRequest) -> HttpResponse:
    """?date=YYYY-MM-DD, ?week=YYYY-Www or ?month=YYYY-MM (default: the latest listings)."""
    try:
        period = parse_period(*(request.GET.get(name) for name in ("date", "week", "month")))
    except InvalidPeriod as error:
        raise BadRequest(str(error)) from None
    listings = daily_listings(period)
    return _bibtex([listing.paper for listing in listings[:MAX_ENTRIES]], "daily-papers")


def search_bibtex(request: HttpRequest) -> HttpResponse:
    hits = search(request.GET.get("q", "")[:250], limit=200).hits
    return _bibtex([hit.paper for hit in hits], "search")


def upvotes_bibtex(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    return _bibtex(upvoted_papers(user)[:MAX_ENTRIES], f"{username}-upvotes")


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything the site keeps about the signed-in user, as one JSON document."""
    user = request.user
    data = {
        "username": user.username,
        "email": user.email,
        "date_joined": iso(user.date_joined),
        "upvotes": [
            {"paper": vote.paper_id, "at": iso(vote.created_at)}
            for vote in Upvote.objects.filter(user=user).order_by("created_at")
        ],
        "submissions": [
            {"paper": listing.paper_id, "date": listing.date.isoformat()}
            for listing in DailyListing.objects.filter(submitted_by=user).order_by("date")
        ],
        "comments": [
            {
                "paper": comment.paper_id,
                "body": comment.body,
                "created_at": iso(comment.created_at),
                "edited_at": iso(comment.edited_at),
                "removed": comment.is_removed,
            }
            for comment in Comment.objects.filter(author=user).order_by("created_at", "id")
        ],
        "digest_subscriptions": export_for_user(user),
        "library": library_for_user(user),
    }
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{user.username}-dailypapers.json"'
    return response
