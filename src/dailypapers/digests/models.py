"""Digest subscriptions and the record of every digest sent.

What a subscription follows is library's ``Follow``: its account's follows, or
for a subscriber without an account its own ``FollowList`` (docs/digests.md).
"""

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver

from dailypapers.library.follows import delete_list

MAX_EMAIL = 254  # RFC 5321's limit on a forward path


class Subscription(models.Model):
    """One email address's subscription; the address is its identity (stored lower-case).

    The row is created when the address confirms (double opt-in): nothing is
    stored about an address that only asked.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        # Too many permanent delivery failures in a row (docs/digests.md).
        SUSPENDED = "suspended", "Suspended after bounces"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily, on weekdays"
        WEEKLY = "weekly", "Weekly"

    email = models.EmailField(max_length=MAX_EMAIL, unique=True)
    # Set when the address was confirmed by a signed-in user: their settings page shows it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="digest_subscriptions",
    )
    # What it follows while it belongs to no account (then ``user``'s follows count).
    follow_list = models.OneToOneField(
        "library.FollowList", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="daily")
    paper_count = models.PositiveSmallIntegerField(default=10)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Papers added to the catalog up to this time have been considered for a digest:
    # the next one lists what is new after it.
    covered_until = models.DateTimeField(null=True, blank=True)
    # Permanent delivery failures since the last delivered digest.
    bounce_count = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "frequency"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"


class Digest(models.Model):
    """One subscriber's digest for one period: the row that makes sending exactly-once.

    It exists before the message goes out and says ``sent`` only once the SMTP
    server has accepted it, so a later run knows what is still owed.
    ``message_id`` is chosen with the row and used by every attempt: a digest
    delivered twice (a kill between the server's acceptance and the record) is
    twice the same message. ``attempts``, ``paper_ids`` and ``error`` describe the
    last attempt.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Not sent yet"
        SENT = "sent", "Sent"
        EMPTY = "empty", "Nothing new: not sent"
        FAILED = "failed", "Refused permanently"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="digests")
    # "daily:2026-11-27" or "weekly:2026-W48".
    period = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    message_id = models.CharField(max_length=250, blank=True)
    # Space-separated arXiv ids, in the order the digest lists them.
    paper_ids = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period"], name="one_digest_per_period")
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.subscription.email} {self.period}: {self.status}"


class SentPaper(models.Model):
    """A paper a subscriber has received: no later digest lists it again."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="sent_papers"
    )
    # Not a foreign key: the record outlives a paper removed from the catalog.
    paper_id = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "paper_id"], name="unique_sent_paper")
        ]


@receiver(post_delete, sender=Subscription)
def _forget_follow_list(sender, instance: Subscription, **kwargs) -> None:
    """A list of follows belongs to its subscription alone: it goes with it."""
    if instance.follow_list_id:
        delete_list(instance.follow_list_id)
