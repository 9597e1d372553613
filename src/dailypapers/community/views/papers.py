"""A signed-in user's other actions on a paper: claim authorship, link an organization."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from dailypapers.papers.models import Paper

from .. import services
from ..decorators import login_required
from ..forms import ClaimForm, OrganizationLinkForm


def _back(paper: Paper) -> HttpResponse:
    return redirect(f"{paper.get_absolute_url()}#community")


@login_required
@require_POST
def claim_authorship(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(
        Paper.objects.visible().prefetch_related("authorships__author"), pk=arxiv_id
    )
    form = ClaimForm(paper, request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the paper's authors.")
        return _back(paper)
    try:
        claim = services.claim_authorship(request.user, paper, form.cleaned_data["author"])
    except services.ClaimRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, f"Your claim to be {claim.author.name} is sent; staff will review it."
        )
    return _back(paper)


@login_required
@require_POST
def link_organization(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.visible().select_related("organization"), pk=arxiv_id)
    form = OrganizationLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "There is no such organization.")
        return _back(paper)
    organization = form.cleaned_data["organization"]
    # PermissionDenied (403) for a non-member.
    services.link_to_organization(request.user, paper, organization)
    if organization:
        messages.success(request, f"This paper is now listed under {organization.name}.")
    else:
        messages.success(request, "This paper is no longer linked to an organization.")
    return _back(paper)
