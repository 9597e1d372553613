"""The paper page's community section, loaded by the include the web app's template names."""

from django import template

from dailypapers.papers.models import Paper

from .. import services
from ..forms import ClaimForm, CommentForm
from ..markdown import render_markdown
from ..models import AuthorshipClaim, Comment

register = template.Library()


@register.filter
def markdown(source: str) -> str:
    return render_markdown(source)


@register.inclusion_tag("community/_discussion.html", takes_context=True)
def paper_community(context: template.Context, paper: Paper) -> dict:
    request = context["request"]
    user = request.user
    signed_in = user.is_authenticated
    organizations = list(services.member_organizations(user))
    claim = (
        AuthorshipClaim.objects.select_related("author").filter(user=user, paper=paper).first()
        if signed_in
        else None
    )
    return {
        "paper": paper,
        "user": user,
        "request": request,
        "comments": Comment.objects.filter(paper=paper).select_related("author"),
        "can_moderate": services.can_moderate(user),
        "form": CommentForm() if signed_in else None,
        "claim": claim,
        "claim_form": ClaimForm(paper) if signed_in and claim is None else None,
        "organizations": organizations,
        # Members may change the link unless another organization holds the paper.
        "can_link": bool(organizations)
        and (
            paper.organization_id is None
            or paper.organization_id in {org.pk for org in organizations}
        ),
    }
