"""Token buckets stored in the database, so that a limit holds across gunicorn workers.

A bucket holds up to N tokens and refills at N per period ("20/hour": a burst
of 20, then one every three minutes). A request takes one token under a row
lock (SELECT … FOR UPDATE on PostgreSQL; SQLite runs one write transaction at a
time), so parallel requests in different processes never share the last token.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from .models import Throttle
from .rates import parse_rate

# No rate's period is longer than a day, so a bucket untouched for a day is full
# again: forgetting it changes nothing.
FORGET_AFTER = timedelta(days=1)
FORGET_BATCH = 1000


def take(key: str, rate: str, now: datetime | None = None) -> float:
    """Take one token from ``key``'s bucket: 0.0 when taken, else the seconds until one is there."""
    capacity, period = parse_rate(rate)
    now = now or timezone.now()
    with transaction.atomic():
        bucket, created = Throttle.objects.select_for_update().get_or_create(
            key=key, defaults={"tokens": capacity, "updated_at": now}
        )
        elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
        tokens = min(capacity, bucket.tokens + elapsed * capacity / period)
        wait = 0.0 if tokens >= 1 else (1 - tokens) * period / capacity
        bucket.tokens = tokens if wait else tokens - 1
        bucket.updated_at = now
        bucket.save(update_fields=["tokens", "updated_at"])
    if created:
        # A new key is the moment the table grows, so it is when old keys go.
        forget_stale(now)
    return wait


def give_back(key: str, rate: str) -> None:
    """Return the token a request took, when what it was counted for did not happen."""
    capacity, _ = parse_rate(rate)
    Throttle.objects.filter(key=key).update(tokens=Least(F("tokens") + 1.0, float(capacity)))


def forget_stale(now: datetime | None = None) -> int:
    """Delete buckets untouched for FORGET_AFTER (full again by then); return how many.

    Rows another transaction holds are skipped rather than waited for, so that
    two requests forgetting at once never wait on, or deadlock with, each other.
    """
    cutoff = (now or timezone.now()) - FORGET_AFTER
    with transaction.atomic():
        stale = list(
            Throttle.objects.select_for_update(skip_locked=True)
            .filter(updated_at__lt=cutoff)
            .values_list("pk", flat=True)[:FORGET_BATCH]
        )
        deleted, _ = Throttle.objects.filter(pk__in=stale).delete()
    return deleted
