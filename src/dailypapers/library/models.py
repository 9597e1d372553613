"""A signed-in reader's own library: what they follow, their collections of papers, what
they read, dismissed or muted, and the secret of their private feed.

The services (follows.py, collections.py, importing.py, marks.py, mutes.py,
feed_tokens.py) are the only code that writes these rows; docs/library.md.
"""

import secrets
import string

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from dailypapers.papers.models import Paper

# Values a person types (a follow, a muted word, a collection's name): longer is a mistake.
MAX_VALUE = 300
MAX_NOTE = 2000
KEY_LENGTH = 12
_KEY_ALPHABET = string.ascii_lowercase + string.digits


def new_collection_key() -> str:
    """A collection's id in URLs: random, so ids tell nothing about other collections
    (how many there are, which are private); 36^12 makes a collision negligible."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class FollowList(models.Model):
    """Whose follows they are when nobody signed in made them: a digest subscriber by
    email only (digests.Subscription points here). A reader's follows are theirs."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"follow list {self.pk}"


class Follow(models.Model):
    """Something a reader follows: its new papers make their feed and digest.

    It belongs to an account (``user``) or, for a digest subscriber without one,
    to a ``FollowList``: exactly one of the two.
    """

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        ORGANIZATION = "organization", "Organization"
        CATEGORY = "category", "arXiv category"
        QUERY = "query", "Saved search"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    follow_list = models.ForeignKey(
        FollowList, null=True, blank=True, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # An author's name as the catalog spells it, an organization's slug, a category
    # (cs.LG) or archive (cs), or a search query.
    value = models.CharField(max_length=MAX_VALUE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="one_follow_per_value"),
            models.UniqueConstraint(
                fields=["follow_list", "kind", "value"], name="one_follow_per_value_in_list"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, follow_list__isnull=True)
                | models.Q(user__isnull=True, follow_list__isnull=False),
                name="follow_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user_id if self.user_id else f"list {self.follow_list_id}"
        return f"{owner} follows {self.kind} {self.value}"


class Collection(models.Model):
    """A named list of papers; private unless its owner makes it public."""

    key = models.CharField(max_length=KEY_LENGTH, unique=True, default=new_collection_key)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_collections"
    )
    name = models.CharField(max_length=100)
    public = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Renamed, made public or private, a paper added or removed.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # "Reading" and "reading" would be two lists nobody can tell apart.
            models.UniqueConstraint(
                models.F("owner"), Lower("name"), name="one_collection_name_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/collections/{self.key}"


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    # Not auto_now_add: a paper that had to be fetched first keeps the time it was asked for.
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="one_item_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} in {self.collection_id}"


class PendingItem(models.Model):
    """A paper put in a collection before the catalog had it: its fetch from arXiv is
    queued (ingest.on_demand), and it becomes a CollectionItem when the paper arrives
    (arrivals.py). How the fetch goes is the FetchRequest of the same id."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="pending")
    arxiv_id = models.CharField(max_length=40, db_index=True)
    note = models.TextField(blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "arxiv_id"], name="one_pending_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id} (pending) in {self.collection_id}"


class Mark(models.Model):
    """A paper a reader read, or is not interested in: the feed and digest leave it out."""

    class Kind(models.TextChoices):
        READ = "read", "Read"
        DISMISSED = "dismissed", "Not interested"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper", "kind"], name="one_mark_per_kind")
        ]
        indexes = [models.Index(fields=["user", "kind"], name="mark_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.paper_id}"


class Mute(models.Model):
    """A word or an author whose papers a reader does not want to see."""

    class Kind(models.TextChoices):
        WORD = "word", "Word"
        AUTHOR = "author", "Author"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A word or phrase (lower-case), or an author's name as the catalog spells it.
    value = models.CharField(max_length=MAX_VALUE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="one_mute_per_value")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.kind} {self.value}"


class FeedToken(models.Model):
    """The secret in a reader's private feed URL.

    Kept as it is, not hashed like API tokens: the settings page shows the URL
    again whenever its owner looks, and the token reads one feed and writes
    nothing. Resetting replaces it, and the old URL stops working.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"feed token of {self.user_id}"


class FeedPreference(models.Model):
    """How a reader's "For you" feed is ranked: how much the community's upvotes weigh
    against personal fit (0 personal fit alone, 1 the most upvoted first)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_preference"
    )
    community = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(community__gte=0, community__lte=1),
                name="community_weight_between_0_and_1",
            )
        ]

    def __str__(self) -> str:
        return f"feed of {self.user_id}: community {self.community}"
