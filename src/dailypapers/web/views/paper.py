"""A paper's page, its upvote button, and fetching it from arXiv when the catalog lacks it."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from dailypapers.cli import command_hint
from dailypapers.community.services import verified_author_ids
from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import TooManyFetches, queue_fetch
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.papers.services import add_upvote, remove_upvote
from dailypapers.search.service import similar
from dailypapers.throttles import limits

from ..page_cache import shared_with_anonymous_readers
from .rendering import cards, too_many_requests


@shared_with_anonymous_readers
def paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise Http404(str(error)) from None
    if canonical != arxiv_id:
        return redirect("paper", arxiv_id=canonical, permanent=True)
    found = Paper.objects.for_cards().with_authors().filter(pk=canonical).first()
    if found is None or (found.is_hidden and not request.user.is_staff):
        return render(request, "web/paper_unknown.html", {"arxiv_id": canonical}, status=404)
    return render(
        request,
        "web/paper.html",
        {
            "paper": found,
            "card": cards(request, [found])[0],
            "listing": found.daily_listing,
            "similar": _similar(found),
            "verified_author_ids": verified_author_ids(found),
            "title": found.title,
            "add_pending_command": command_hint("add --pending") if found.metadata_pending else "",
        },
    )


def _similar(paper: Paper) -> list[tuple[str, str]]:
    """(URL, title) of the nearest papers: the same for every reader, so cached."""
    key = f"similar:{paper.arxiv_id}"
    found = cache.get(key)
    if found is None:
        found = [(p.get_absolute_url(), p.title) for p in similar(paper, limit=6)]
        cache.set(key, found, settings.PAGE_CACHE_SECONDS)
    return found


@login_required
def fetch_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """POST: ask for the paper from arXiv, and go to how it is going. GET: how it is going
    (queued, fetching, failed and why, done), polled by htmx until it is over.

    Nothing here waits for arXiv: a worker's ``fetch_queued`` task does the
    fetching (ingest/on_demand.py). ``?then=submit`` comes from the submit form,
    which offers to submit the paper once it is here.
    """
    try:
        canonical = normalize_arxiv_id(arxiv_id)
    except InvalidArxivId as error:
        raise Http404(str(error)) from None
    found = Paper.objects.filter(pk=canonical).first()
    if found is not None and found.is_hidden and not request.user.is_staff:
        raise Http404(f"arXiv:{canonical} is not in the catalog.")
    then_submit = request.GET.get("then") == "submit"
    if request.method == "POST":
        if found is not None and not found.metadata_pending:
            return redirect(found)
        try:
            queue_fetch(canonical, limits.client_key(request))
        except TooManyFetches as refusal:
            context = {"heading": "Too many requests", "message": str(refusal)}
            return render(request, "web/error.html", context, status=refusal.status)
        return HttpResponseRedirect(fetch_status_url(canonical, then_submit), status=303)
    fetch = FetchRequest.objects.filter(pk=canonical).first()
    if fetch is None or (fetch.status == FetchRequest.Status.DONE and not then_submit):
        # Never asked for here (the paper page offers it), or arrived: the paper page.
        where = reverse("paper", args=[canonical])
        return HttpResponseClientRedirect(where) if request.htmx else redirect(where)
    context = {"fetch": fetch, "paper": found, "then_submit": then_submit}
    if request.htmx:
        return render(request, "web/_fetch_status.html", context)
    return render(request, "web/fetch_status.html", context)


def fetch_status_url(arxiv_id: str, then_submit: bool) -> str:
    return reverse("paper-fetch", args=[arxiv_id]) + ("?then=submit" if then_submit else "")


@require_POST
def upvote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Toggle the viewer's upvote; htmx swaps in the updated button."""
    if not request.user.is_authenticated:
        login = f"{reverse('login')}?next={reverse('paper', args=[arxiv_id])}"
        if request.htmx:
            return HttpResponse(status=401, headers={"HX-Redirect": login})
        return redirect(login)
    target = get_object_or_404(Paper.objects.visible(), pk=arxiv_id)
    try:
        limits.check(limits.VOTE, client=limits.client_key(request), account=request.user.pk)
    except limits.Throttled as refusal:
        if request.htmx:
            # htmx swaps no 4xx answer: the button stays as it was, with the reason under it.
            context = {"card": cards(request, [target])[0], "refusal": refusal}
            return render(request, "web/_upvote.html", context)
        return too_many_requests(request, refusal)
    if not add_upvote(request.user, target):
        remove_upvote(request.user, target)
    target.refresh_from_db(fields=["upvotes"])
    if request.htmx:
        return render(request, "web/_upvote.html", {"card": cards(request, [target])[0]})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = target.get_absolute_url()
    return redirect(back)
