"""Accounts' belongings: API tokens (upvotes and listings live in the catalog)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

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
