"""What community actions do to the catalog: comments, authorship claims, organization links.

Views and the admin call these; they are the only code that writes comments,
claims' decisions and ``Paper.comment_count``.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dailypapers.papers.models import Organization, Paper

from .models import AuthorshipClaim, Comment


def can_moderate(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.has_perm("community.moderate_comments"))


def can_edit(user, comment: Comment) -> bool:
    return user.is_authenticated and comment.author_id == user.pk and not comment.is_removed


def post_comment(user, paper: Paper, body: str) -> Comment:
    """Add a comment and count it on the paper (how often a user may: views, limits.COMMENT)."""
    with transaction.atomic():
        comment = Comment.objects.create(paper=paper, author=user, body=body)
        Paper.objects.filter(pk=paper.pk).update(comment_count=F("comment_count") + 1)
    return comment


def edit_comment(user, comment: Comment, body: str) -> Comment:
    if not can_edit(user, comment):
        raise PermissionDenied("Only its author can edit a comment, and not once it is removed.")
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def remove_comments(moderator, comments: QuerySet[Comment]) -> int:
    """Remove comments (their rows stay, shown as "comment removed"); return how many."""
    if not can_moderate(moderator):
        raise PermissionDenied("Only moderators remove comments.")
    removed = 0
    for comment in comments.filter(is_removed=False):
        with transaction.atomic():
            # The conditional update makes a second, concurrent removal a no-op,
            # so the counter drops once per comment.
            changed = Comment.objects.filter(pk=comment.pk, is_removed=False).update(
                is_removed=True, removed_by=moderator, removed_at=timezone.now()
            )
            if changed:
                Paper.objects.filter(pk=comment.paper_id).update(
                    comment_count=F("comment_count") - 1
                )
                removed += 1
    return removed


def discount_deleted_comment(comment: Comment) -> None:
    """Keep the counter right when a comment row goes away with its author's account."""
    if not comment.is_removed:
        Paper.objects.filter(pk=comment.paper_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )


class ClaimRefused(Exception):
    pass


def claim_authorship(user, paper: Paper, author_id: int) -> AuthorshipClaim:
    """Ask staff to confirm that ``user`` is the paper's author ``author_id``."""
    if not paper.authorships.filter(author_id=author_id).exists():
        raise ClaimRefused("That name is not among this paper's authors.")
    try:
        with transaction.atomic():
            return AuthorshipClaim.objects.create(user=user, paper=paper, author_id=author_id)
    except IntegrityError:
        raise ClaimRefused("You have already claimed authorship of this paper.") from None


def decide_claims(
    staff, claims: QuerySet[AuthorshipClaim], status: AuthorshipClaim.Status
) -> tuple[int, int]:
    """Approve or reject claims; return (decided, skipped).

    A claim is skipped when approving it would make a second verified holder of
    the same author on the same paper.
    """
    decided = skipped = 0
    for claim in claims.exclude(status=status):
        claim.status, claim.decided_by, claim.decided_at = status, staff, timezone.now()
        try:
            with transaction.atomic():
                claim.save(update_fields=["status", "decided_by", "decided_at"])
        except IntegrityError:
            skipped += 1
        else:
            decided += 1
    return decided, skipped


def verified_author_ids(paper: Paper) -> set[int]:
    """Ids of the paper's authors whose authorship claim staff approved."""
    return set(
        AuthorshipClaim.objects.filter(
            paper=paper, status=AuthorshipClaim.Status.APPROVED, user__is_active=True
        ).values_list("author_id", flat=True)
    )


def member_organizations(user) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


def link_to_organization(user, paper: Paper, organization: Organization | None) -> None:
    """Link the paper to one of the user's organizations, or unlink it (``None``).

    Members may change a paper's organization only when it has none or it is one
    of theirs: a member of one organization cannot take another's paper.
    """
    mine = member_organizations(user)
    if organization is not None and not mine.filter(pk=organization.pk).exists():
        raise PermissionDenied(f"You are not a member of {organization.name}.")
    # The rule is part of the UPDATE itself, so that a link made by another
    # organization's member a moment ago is not overwritten by a stale check.
    ours_or_none = Q(organization__isnull=True) | Q(organization__in=mine)
    # changed_at tells the search index to pick up the new organization filter.
    changed = Paper.objects.filter(ours_or_none, pk=paper.pk).update(
        organization=organization, changed_at=timezone.now()
    )
    if not changed:
        owner = Paper.objects.filter(pk=paper.pk).values_list("organization__name", flat=True)
        raise PermissionDenied(
            f"This paper belongs to {owner.first()}; only its members can change that."
        )
    paper.organization = organization
