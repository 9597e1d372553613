"""When background work is due: jobs once a day at a time of day (digests, the Hugging Face
sync) or every so many seconds (the indexer, pending papers), each cut into periods that
every node's scheduler computes alike (the workers enqueue each period's task once), and
watches every few seconds that outlive a database that goes away and comes back."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Daily:
    """Every day at ``at`` (TIME_ZONE). The period is the day, from ``at`` on: a scheduler
    started after today's time runs today's job at once, one started before waits."""

    at: clock

    def period(self, now: datetime) -> str | None:
        local = timezone.localtime(now)
        return local.date().isoformat() if local.time() >= self.at else None

    def describe(self, now: datetime) -> str:
        zone = timezone.get_current_timezone_name()
        next_at = next_run(now, self.at)
        first = "today's run is due" if self.period(now) else f"next {next_at:%Y-%m-%d %H:%M}"
        return f"every day at {self.at:%H:%M} ({zone}); {first}"


@dataclass(frozen=True)
class Every:
    """Every ``seconds``: the periods are the clock cut into slices of that length, the same
    on every node whatever its start."""

    seconds: float

    def period(self, now: datetime) -> str | None:
        return str(int(now.timestamp() // self.seconds))

    def describe(self, now: datetime) -> str:
        return f"every {self.seconds:g} s"


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
