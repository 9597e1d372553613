"""The Digest rows that make sending exactly once, and what each attempt leaves in them.

A batch's rows exist (``pending``, each with its Message-ID) before any of its
messages goes out. A delivered digest is recorded ``sent`` at once, in the
transaction that records the papers it listed and moves the subscriber's "new
since" mark; a refused one ``failed``, counting a bounce towards suspension; one
that met only temporary failures stays owed to the next run.

So a run killed at any point leaves every digest either ``sent`` or still owed.
The one window no SMTP client can close runs from the end of the message to the
commit that records it (a server that has the whole message delivers it, 250 read
or not): a kill there sends that digest again, as the same message, its Message-ID
being chosen with the row and kept for every attempt (docs/digests.md).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .messages import new_message_id
from .models import Digest, SentPaper, Subscription


def owed_records(batch: list[Subscription], period: str) -> dict[int, Digest]:
    """The batch's Digest rows for ``period``, created where missing, by subscription id,
    each with the Message-ID its every attempt will use."""
    Digest.objects.bulk_create(
        [
            Digest(subscription=subscription, period=period, message_id=new_message_id())
            for subscription in batch
        ],
        ignore_conflicts=True,
    )
    records = {
        record.subscription_id: record
        for record in Digest.objects.filter(subscription__in=batch, period=period)
    }
    for record in records.values():
        if not record.message_id:  # a row made before Message-IDs were kept
            record.message_id = new_message_id()
            record.save(update_fields=["message_id"])
    return records


def record_empty(subscription: Subscription, record: Digest, now: datetime) -> None:
    """Nothing to list: not sent, and the next digest starts after ``now``."""
    with transaction.atomic():
        Digest.objects.filter(pk=record.pk).update(status=Digest.Status.EMPTY)
        _covered(subscription, now)


def record_sent(
    subscription: Subscription, record: Digest, paper_ids: list[str], now: datetime
) -> None:
    """The SMTP server accepted the digest."""
    # Recorded at once: the only window for a second delivery (of this same
    # message) runs from the end of the message to this commit.
    with transaction.atomic():
        Digest.objects.filter(pk=record.pk).update(
            status=Digest.Status.SENT, sent_at=timezone.now(), **_attempt(paper_ids, "")
        )
        SentPaper.objects.bulk_create(
            [SentPaper(subscription=subscription, paper_id=pid) for pid in paper_ids],
            ignore_conflicts=True,
        )
        subscription.bounce_count = 0
        subscription.last_error = ""
        _covered(subscription, now, "bounce_count", "last_error")


def record_refused(
    subscription: Subscription, record: Digest, paper_ids: list[str], error: str
) -> bool:
    """The SMTP server refused the digest for good (a bounce); whether that suspended
    the subscription (DIGEST_MAX_BOUNCES in a row)."""
    with transaction.atomic():
        Digest.objects.filter(pk=record.pk).update(
            status=Digest.Status.FAILED, **_attempt(paper_ids, error)
        )
        subscription.bounce_count += 1
        subscription.last_error = error
        fields = ["bounce_count", "last_error"]
        suspended = subscription.bounce_count >= settings.DIGEST_MAX_BOUNCES
        if suspended:
            subscription.status = Subscription.Status.SUSPENDED
            fields.append("status")
        subscription.save(update_fields=fields)
    return suspended


def record_deferred(record: Digest, paper_ids: list[str], error: str) -> None:
    """Temporary failures outlived the retries: the digest stays owed to the next run."""
    Digest.objects.filter(pk=record.pk).update(**_attempt(paper_ids, error))


def _attempt(paper_ids: list[str], error: str) -> dict:
    return {"attempts": F("attempts") + 1, "paper_ids": " ".join(paper_ids), "error": error}


def _covered(subscription: Subscription, now: datetime, *fields: str) -> None:
    """The next digest lists what the catalog adds after ``now``."""
    subscription.covered_until = now
    subscription.save(update_fields=["covered_until", *fields])
