"""Submitting a paper to today's daily list, by arXiv id or URL."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone

from dailypapers.ingest.on_demand import TooManyFetches, queue_fetch
from dailypapers.papers.models import Paper
from dailypapers.papers.services import SubmissionRefused, submit_to_daily_list
from dailypapers.throttles import limits

from ..forms import SubmitForm
from .paper import fetch_status_url


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    """Submit a paper to today's daily list; a refusal says why."""
    form = SubmitForm(request.POST or None)
    status = 200
    retry_after = None
    if form.is_valid():
        arxiv_id = form.cleaned_data["arxiv_id"]
        found = Paper.objects.filter(pk=arxiv_id).first()
        try:
            limits.check(limits.SUBMIT, client=limits.client_key(request), account=request.user.pk)
            if found is None:
                # Fetched in the background; its status page offers to submit it once here.
                queue_fetch(arxiv_id, limits.client_key(request))
                return HttpResponseRedirect(fetch_status_url(arxiv_id, True), status=303)
            submit_to_daily_list(request.user, found, timezone.localdate())
        except limits.Throttled as refusal:
            form.add_error(None, str(refusal))
            status, retry_after = 429, refusal.retry_after
        except (SubmissionRefused, TooManyFetches) as refusal:
            form.add_error("arxiv_id", str(refusal))
            status = refusal.status
        else:
            messages.success(request, f"{found.title} is on today's daily list.")
            return redirect(found)
    elif request.method == "POST":
        status = 400
    rules = {
        "max_age_days": settings.SUBMISSION_MAX_AGE_DAYS,
        "per_day": settings.SUBMISSIONS_PER_USER_PER_DAY,
    }
    response = render(request, "web/submit.html", {"form": form, **rules}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
