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
    """The discussion under the abstract."""
    request = context["request"]
    user = request.user
    return {
        "paper": paper,
        "user": user,
        "request": request,
        "comments": Comment.objects.filter(paper=paper).select_related("author"),
        "can_moderate": services.can_moderate(user),
        "form": CommentForm() if user.is_authenticated else None,
    }


@register.inclusion_tag("community/_paper_actions.html", takes_context=True)
def paper_actions(context: template.Context, paper: Paper) -> dict:
    """A signed-in reader's claim of authorship and organization link, beside the paper."""
    request = context["request"]
    user = request.user
    if not user.is_authenticated or paper.is_hidden:
        return {"shown": False}
    organizations = list(services.member_organizations(user))
    claim = AuthorshipClaim.objects.select_related("author").filter(user=user, paper=paper).first()
    claim_form = ClaimForm(paper) if claim is None else None
    # Members may change the link unless another organization holds the paper.
    can_link = bool(organizations) and (
        paper.organization_id is None or paper.organization_id in {org.pk for org in organizations}
    )
    return {
        "shown": bool(claim or (claim_form and claim_form.fields["author"].choices) or can_link),
        "paper": paper,
        "request": request,
        "claim": claim,
        "claim_form": claim_form,
        "organizations": organizations,
        "can_link": can_link,
    }
