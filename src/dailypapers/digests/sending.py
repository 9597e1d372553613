"""A run of `digest send`: every due digest composed, sent and recorded exactly once,
in this process or split over worker processes.

Which digests are due is due.py's; the claim a run holds on each, claims.py's; the
message, messages.py's; the SMTP exchange with its retries, delivery.py's; the
Digest rows that make it exactly once, records.py's (docs/digests.md).
"""

import ctypes
import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from threadpoolctl import threadpool_limits

from .claims import Claims
from .compose import Composer
from .delivery import Mailer, SendAborted
from .due import SETTLED, due_periods, due_subscriptions
from .messages import build_message
from .models import Digest, Subscription
from .records import owed_records, record_deferred, record_empty, record_refused, record_sent

logger = logging.getLogger(__name__)

# From <sys/prctl.h>.
PR_SET_PDEATHSIG = 1


@dataclass
class Report:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    deferred: int = 0
    suspended: int = 0
    retries: int = 0
    periods: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{', '.join(self.periods) or 'nothing due'}: {self.sent} sent, {self.empty} empty "
            f"(not sent), {self.failed} refused, {self.deferred} deferred to the next run, "
            f"{self.suspended} suspended, {self.retries} retries"
        )


def send_due(
    *,
    today: date | None = None,
    now: datetime | None = None,
    only: str | None = None,
    dry_run: bool = False,
    workers: int = 1,
    shard: tuple[int, int] | None = None,
    mailer_sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Send every digest due on ``today``; SendAborted when the run had to stop early.

    ``workers`` > 1 splits the run over that many processes; ``shard`` (i, n)
    is what one of them sends: the subscriptions whose id is i modulo n.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    report = Report()
    periods = due_periods(today, only)
    report.periods = list(periods.values())
    composer = Composer(today=today, cutoff=now)
    if dry_run:
        for frequency, period in periods.items():
            for batch in due_subscriptions(frequency, period, shard):
                composer.load_batch(batch)
                for subscription in batch:
                    if composer.compose(subscription):
                        report.sent += 1
                    else:
                        report.empty += 1
        return report
    if shard is None and workers > 1:
        return _in_workers(today, now, only, workers, report)
    # The shards of a run share the cores: one BLAS thread each for "For you"'s matrix
    # products, or they fight over the cores (as serve's workers would).
    with threadpool_limits(1 if shard else None):
        return _send(periods, shard, composer, report, now, mailer_sleep)


def _send(
    periods: dict[str, str],
    shard: tuple[int, int] | None,
    composer: Composer,
    report: Report,
    now: datetime,
    mailer_sleep: Callable[[float], None],
) -> Report:
    mailer = Mailer(sleep=mailer_sleep)
    try:
        with Claims() as claims:
            for frequency, period in periods.items():
                for batch in due_subscriptions(frequency, period, shard):
                    records = owed_records(batch, period)
                    composer.load_batch(batch)
                    for subscription in batch:
                        record = records[subscription.pk]
                        if record.status in SETTLED:
                            continue
                        with claims.hold(record) as owed:
                            if owed:
                                _send_one(subscription, record, composer, mailer, report, now)
    finally:
        mailer.close()
        report.retries += mailer.retries
    return report


def _in_workers(today: date, now: datetime, only: str | None, workers: int, report: Report):
    """Run ``workers`` processes of `digest send --shard`, each with its own database
    and SMTP connections, and add up their reports.

    They are killed when this process dies (PR_SET_PDEATHSIG): a killed run
    leaves no worker sending.
    """
    command = [sys.executable, "-m", "dailypapers", "digest", "send"]
    command += ["--date", today.isoformat(), "--now", now.isoformat()]
    if only:
        command += ["--period", only]
    processes = [
        subprocess.Popen(
            [*command, "--shard", f"{i}/{workers}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
        for i in range(workers)
    ]
    errors = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode:
            errors.append(err.strip().splitlines()[-1] if err.strip() else "a worker failed")
            continue
        for name, value in json.loads(out.strip().splitlines()[-1]).items():
            if isinstance(value, int):
                setattr(report, name, getattr(report, name) + value)
    if errors:
        raise SendAborted("; ".join(errors))
    return report


def _die_with_parent() -> None:
    """In a worker, before it starts: be killed with SIGKILL when the parent dies (Linux)."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _send_one(
    subscription: Subscription,
    record: Digest,
    composer: Composer,
    mailer: Mailer,
    report: Report,
    now: datetime,
) -> None:
    """Compose, send and record one digest, whose claim this run holds."""
    composed = composer.compose(subscription)
    if composed is None:
        record_empty(subscription, record, now)
        report.empty += 1
        return
    message = build_message(subscription, composer, composed, record.message_id)
    outcome = mailer.send(message)  # SendAborted leaves the digest owed, as it was
    if outcome.delivered:
        record_sent(subscription, record, composed.paper_ids, now)
        report.sent += 1
    elif outcome.permanent:
        if record_refused(subscription, record, composed.paper_ids, outcome.error):
            report.suspended += 1
        report.failed += 1
        logger.warning("digest to %s refused: %s", subscription.email, outcome.error)
    else:
        record_deferred(record, composed.paper_ids, outcome.error)
        report.deferred += 1
