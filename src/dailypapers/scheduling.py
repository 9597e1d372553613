"""How `dailypapers serve`'s background processes repeat their work: jobs once a day at a
time of day (digests, the Hugging Face sync), and watches every few seconds (the indexer,
the arXiv fetches), all of which outlive a database that goes away and comes back."""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock

from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

# What a database that stopped, restarted or dropped the connection raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def parse_time(text: str, setting: str) -> clock:
    """``text`` as a time of day; ``setting`` names the variable it came from, for the error."""
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ImproperlyConfigured(
            f"{setting} must be HH:MM (24-hour, in TIME_ZONE), not {text!r}"
        ) from None


def next_run(now: datetime, at: clock) -> datetime:
    """The first ``at`` (local time) after ``now``."""
    local = timezone.localtime(now)
    candidate = timezone.make_aware(datetime.combine(local.date(), at))
    if candidate <= local:
        candidate = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), at))
    return candidate


def run_forever(at: clock, job: Callable[[], None]) -> None:
    """Call ``job`` at ``at`` every day; also once now if today's time has passed.

    That first call catches up a day when the server was down at the time; the
    jobs are safe to repeat (each digest is recorded once per period, a sync
    continues where the last one stopped).
    """
    now = timezone.now()
    if timezone.localtime(now).time() >= at:
        _run(job)
    while True:
        wake = next_run(timezone.now(), at)
        # Short sleeps, so a clock change (suspend, NTP) moves the wake-up with it.
        while (left := (wake - timezone.now()).total_seconds()) > 0:
            time.sleep(min(left, 60))
        _run(job)


def _run(job: Callable[[], None]) -> None:
    close_old_connections()
    try:
        job()
    except Exception:
        # One bad day must not stop the scheduler: tomorrow's run does what is owed.
        logger.exception("the daily job %s failed", getattr(job, "__qualname__", job))
    finally:
        close_old_connections()


def run_every(seconds: float, job: Callable[[], None]) -> None:
    """Call ``job`` now and then every ``seconds``, for ever.

    A round the database fails (stopped, restarting, connection lost) is skipped:
    the next round opens a new connection and carries on, with one line when the
    database goes away and one when it is back, not one per round.
    """
    unavailable = False
    while True:
        close_old_connections()
        try:
            job()
        except DATABASE_UNAVAILABLE as error:
            if not unavailable:
                logger.warning(
                    "the database is not answering, retrying every %g s: %s", seconds, error
                )
            unavailable = True
        else:
            if unavailable:
                logger.warning("the database answers again")
            unavailable = False
        time.sleep(seconds)
