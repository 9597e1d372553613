"""Which digests are due: the periods a day owes, and the subscriptions that owe them.

A subscription owes its period's digest until that digest is settled (SETTLED).
"""

from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef

from .models import Digest, Subscription

# A digest in one of these states is owed to no one: sent, empty, or refused for good.
SETTLED = (Digest.Status.SENT, Digest.Status.EMPTY, Digest.Status.FAILED)
# Subscriptions read, composed and recorded together.
BATCH = 500
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def due_periods(today: date, only: str | None = None) -> dict[str, str]:
    """Frequency -> period key of the digests due on ``today``.

    Daily digests go out on weekdays. The weekly one is due from
    DIGEST_WEEKLY_DAY to the end of the ISO week, so a missed day catches up.
    """
    periods = {}
    weekly_day = _weekly_day()
    if only in (None, "daily") and today.weekday() < 5:
        periods["daily"] = f"daily:{today.isoformat()}"
    if only in (None, "weekly") and today.weekday() >= weekly_day:
        year, week, _ = today.isocalendar()
        periods["weekly"] = f"weekly:{year}-W{week:02d}"
    return periods


def _weekly_day() -> int:
    day = settings.DIGEST_WEEKLY_DAY.strip()[:3].lower()
    if day not in WEEKDAYS:
        raise ImproperlyConfigured(
            f"DAILYPAPERS_DIGEST_WEEKLY_DAY must be a day of the week, not {day!r}"
        )
    return WEEKDAYS.index(day)


def due_subscriptions(
    frequency: str, period: str, shard: tuple[int, int] | None
) -> Iterator[list[Subscription]]:
    """Active subscriptions of ``frequency`` whose ``period`` digest is not settled yet,
    by batches; ``shard`` (i, n): only the ids equal to i modulo n."""
    settled = Digest.objects.filter(subscription=OuterRef("pk"), period=period, status__in=SETTLED)
    ids = list(
        Subscription.objects.filter(status=Subscription.Status.ACTIVE, frequency=frequency)
        .filter(~Exists(settled))
        .order_by("id")
        .values_list("id", flat=True)
    )
    if shard:
        ids = [pk for pk in ids if pk % shard[1] == shard[0]]
    for start in range(0, len(ids), BATCH):
        batch = Subscription.objects.filter(id__in=ids[start : start + BATCH])
        yield list(batch.order_by("id"))
