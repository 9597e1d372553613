"""`dailypapers serve`'s digest scheduler: `digest send` once a day at DIGEST_TIME."""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def parse_time(text: str) -> clock:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ImproperlyConfigured(
            f"DAILYPAPERS_DIGEST_TIME must be HH:MM (24-hour, in TIME_ZONE), not {text!r}"
        ) from None


def next_run(now: datetime, at: clock) -> datetime:
    """The first ``at`` (local time) after ``now``."""
    local = timezone.localtime(now)
    candidate = timezone.make_aware(datetime.combine(local.date(), at))
    if candidate <= local:
        candidate = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), at))
    return candidate


def run_forever(at: clock, send: Callable[[], None]) -> None:
    """Call ``send`` at ``at`` every day; also once now if today's time has passed.

    That first call catches up a day when the server was down at the time;
    it sends nothing twice, because each digest is recorded once per period.
    """
    now = timezone.now()
    if timezone.localtime(now).time() >= at:
        _run(send)
    while True:
        wake = next_run(timezone.now(), at)
        # Short sleeps, so a clock change (suspend, NTP) moves the wake-up with it.
        while (left := (wake - timezone.now()).total_seconds()) > 0:
            time.sleep(min(left, 60))
        _run(send)


def _run(send: Callable[[], None]) -> None:
    close_old_connections()
    try:
        send()
    except Exception:
        # One bad day must not stop the scheduler: tomorrow's run sends what is owed.
        logger.exception("digest send failed")
    finally:
        close_old_connections()
