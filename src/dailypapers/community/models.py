"""Accounts' belongings: verified emails, API tokens, comments, authorship claims,
organization memberships.

Upvotes and listings live in the catalog (papers.models).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from dailypapers.papers.models import Author, Organization, Paper, visible_paper

TOKEN_PREFIX = "dp_"


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user, name: str = "", can_write: bool = True) -> tuple["ApiToken", str]:
        """A new token for ``user``; the plain token is returned once and never stored."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.create(
            user=user, name=name, can_write=can_write, token_hash=hash_token(plain), hint=plain[-4:]
        )
        return token, plain

    def user_for(self, plain: str):
        """The active user a token belongs to, or None; records when it was last used."""
        token = (
            self.select_related("user")
            .filter(token_hash=hash_token(plain), user__is_active=True)
            .first()
        )
        if token is None:
            return None
        self.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The last characters, so a person can tell their tokens apart.
    hint = models.CharField(max_length=4)
    can_write = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    def __str__(self) -> str:
        return f"{self.user} …{self.hint} {self.name}".strip()


class VerifiedEmail(models.Model):
    """The address an account proved it receives mail at, by opening a link sent to it.

    The account's email is verified while it is still this address: changing it
    in settings leaves the old one here, and the new one unverified until its
    own link is opened (verification.py).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email"
    )
    email = models.EmailField(max_length=254)
    verified_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user}: {self.email}"


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        """Comments on papers that are not hidden (Paper.objects.visible()'s rule)."""
        return self.filter(visible_paper(via="paper"))


class Comment(models.Model):
    """A comment on a paper, in Markdown; removing one keeps the row and hides its body."""

    objects = CommentQuerySet.as_manager()

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_removed = models.BooleanField(default=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["paper", "created_at"], name="comment_paper_created"),
        ]
        permissions = [("moderate_comments", "Can remove any comment")]

    def __str__(self) -> str:
        return f"{self.author} on {self.paper_id}: {self.body[:40]}"


class AuthorshipClaim(models.Model):
    """A user's request to be recognised as one of a paper's authors; staff decide."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="authorship_claims"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorship_claims")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A person is one author of a paper: one claim per user and paper, and a
            # decision stands (a rejected user does not re-ask; staff can change it).
            models.UniqueConstraint(fields=["user", "paper"], name="one_claim_per_user_and_paper"),
            # Only one account can be the verified holder of an author's name on a paper.
            models.UniqueConstraint(
                fields=["paper", "author"],
                condition=models.Q(status="approved"),
                name="one_approved_claim_per_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.author} on {self.paper_id} ({self.status})"


class Membership(models.Model):
    """A user belongs to an organization and may link papers to it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"
