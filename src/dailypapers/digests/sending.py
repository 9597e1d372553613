"""Sending due digests exactly once, with retries and bounces, however many runs at once.

For each due (subscription, period) a Digest row exists (``pending``) before
the message goes out, and is marked ``sent`` in the same transaction that
records the papers it listed, right after the SMTP server accepts it. A run
killed at any point leaves every digest either ``sent`` or still owed, and
the next run sends what is owed. The one window no SMTP client can close runs from the
end of the message to that commit (a server that has the whole message delivers it, 250
read or not): a kill there sends that digest again, as the same message: its Message-ID
is chosen with the row and kept for every attempt, so mail systems and readers can tell
the second delivery is the first one again (docs/digests.md).

Runs started together (cron and `serve`'s scheduler, two machines sharing the
database) share the work: a run sends a digest only while it holds its claim
(``Claims``), and skips the digests other runs hold.
"""

import ctypes
import fcntl
import json
import logging
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .compose import ComposedDigest, Composer
from .models import Digest, SentPaper, Subscription
from .subscriptions import manage_url, unsubscribe_url

logger = logging.getLogger(__name__)

DONE = (Digest.Status.SENT, Digest.Status.EMPTY, Digest.Status.FAILED)
BATCH = 500
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# From <sys/prctl.h>.
PR_SET_PDEATHSIG = 1


class SendAborted(Exception):
    """The run cannot go on (SMTP server unreachable, sender refused): what was
    not sent stays owed to the next run."""


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


class Claims:
    """The digests this run is sending, each claimed while it is composed, sent and recorded.

    A claim vanishes with the process that holds it, so a killed run's digest is
    owed to the next run at once. On PostgreSQL it is the digest's row, locked
    FOR UPDATE in the transaction that records the sending; other runs skip
    locked rows. On SQLite a transaction would lock the whole database for the
    length of an SMTP exchange: the claim is one byte of a lock file beside the
    database (DIGEST_LOCK_FILE), at the digest's id, locked with fcntl.
    """

    def __enter__(self) -> "Claims":
        self._file = None
        if connection.vendor != "postgresql":
            self._file = open(settings.DIGEST_LOCK_FILE, "a")  # noqa: SIM115 (closed in __exit__)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._file is not None:
            self._file.close()  # releases every claim left

    @contextmanager
    def hold(self, record: Digest) -> Iterator[bool]:
        """Whether this run holds ``record``'s claim and the digest is still owed."""
        owed = Digest.objects.filter(pk=record.pk, status=Digest.Status.PENDING)
        if self._file is None:
            with transaction.atomic():
                yield owed.select_for_update(skip_locked=True).exists()
            return
        try:
            fcntl.lockf(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, record.pk)
        except (BlockingIOError, PermissionError):
            yield False  # another run is sending it
            return
        try:
            yield owed.exists()
        finally:
            fcntl.lockf(self._file, fcntl.LOCK_UN, 1, record.pk)


@dataclass
class Outcome:
    delivered: bool
    # 5xx: the server refused for good; else a temporary failure that outlived the retries.
    permanent: bool = False
    error: str = ""


class Mailer:
    """One SMTP connection for the run; temporary failures retried with exponential back-off."""

    def __init__(self, report: Report, sleep: Callable[[float], None] = time.sleep):
        self.backend = get_connection(fail_silently=False)
        self.report = report
        self.sleep = sleep

    def send(self, message: EmailMultiAlternatives) -> Outcome:
        error, reachable = "", True
        for attempt in range(settings.DIGEST_SEND_RETRIES + 1):
            if attempt:
                self.report.retries += 1
                self.sleep(settings.DIGEST_RETRY_DELAY * 2 ** (attempt - 1))
            try:
                self.backend.open()
                self.backend.send_messages([message])
                return Outcome(delivered=True)
            except ValueError as failure:
                # An address Django cannot put in a header (one stored by other
                # means than the subscribe form): no server will ever take it.
                return Outcome(delivered=False, permanent=True, error=f"invalid address: {failure}")
            except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as failure:
                # Our sender or credentials: every message would fail the same way.
                self.close()
                raise SendAborted(f"the SMTP server refuses our sender: {failure}") from None
            except smtplib.SMTPRecipientsRefused as failure:
                code, text = next(iter(failure.recipients.values()))
                error, reachable = _reply(code, text), True
            except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as failure:
                # A greeting refused is about the server, never about this recipient.
                code, error, reachable = None, _reply(failure.smtp_code, failure.smtp_error), False
            except smtplib.SMTPResponseException as failure:
                code, error = failure.smtp_code, _reply(failure.smtp_code, failure.smtp_error)
                reachable = True
            except (smtplib.SMTPException, OSError) as failure:
                # Disconnected, refused, timed out.
                code, error, reachable = None, f"{type(failure).__name__}: {failure}", False
            # After any failure the session may be half-way through a transaction
            # or gone: the next attempt or message starts a fresh one.
            self.close()
            if code is not None and 500 <= code < 600:
                return Outcome(delivered=False, permanent=True, error=error)
        if not reachable:
            raise SendAborted(f"cannot reach the SMTP server: {error}")
        return Outcome(delivered=False, error=error)

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self.backend.connection = None


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"


def new_message_id() -> str:
    return make_msgid("digest", urlsplit(settings.BASE_URL).hostname)


def build_message(
    subscription: Subscription, composer: Composer, digest: ComposedDigest, message_id: str
) -> EmailMultiAlternatives:
    manage, unsubscribe = manage_url(subscription.email), unsubscribe_url(subscription.email)
    text, html = composer.render(subscription, digest, manage=manage, unsubscribe=unsubscribe)
    message = EmailMultiAlternatives(
        digest.subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [subscription.email],
        headers={
            # RFC 8058 one-click unsubscribe: mail clients POST to this URL.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": message_id,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


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
            for batch in _due(frequency, period, shard):
                composer.load_sent([subscription.pk for subscription in batch])
                for subscription in batch:
                    if composer.compose(subscription, list(subscription.follows.all())):
                        report.sent += 1
                    else:
                        report.empty += 1
        return report
    if shard is None and workers > 1:
        return _in_workers(today, now, only, workers, report)
    return _send(periods, shard, composer, report, now, mailer_sleep)


def _send(
    periods: dict[str, str],
    shard: tuple[int, int] | None,
    composer: Composer,
    report: Report,
    now: datetime,
    mailer_sleep: Callable[[float], None],
) -> Report:
    mailer = Mailer(report, sleep=mailer_sleep)
    try:
        with Claims() as claims:
            for frequency, period in periods.items():
                for batch in _due(frequency, period, shard):
                    records = _records(batch, period)
                    composer.load_sent([subscription.pk for subscription in batch])
                    for subscription in batch:
                        record = records[subscription.pk]
                        if record.status in DONE:
                            continue
                        with claims.hold(record) as owed:
                            if owed:
                                _send_one(subscription, record, composer, mailer, report, now)
    finally:
        mailer.close()
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


def _due(
    frequency: str, period: str, shard: tuple[int, int] | None
) -> Iterator[list[Subscription]]:
    """Active subscriptions of ``frequency`` whose ``period`` digest is not settled yet."""
    settled = Digest.objects.filter(subscription=OuterRef("pk"), period=period, status__in=DONE)
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
        yield list(batch.prefetch_related("follows").order_by("id"))


def _records(batch: list[Subscription], period: str) -> dict[int, Digest]:
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


def _send_one(
    subscription: Subscription,
    record: Digest,
    composer: Composer,
    mailer: Mailer,
    report: Report,
    now: datetime,
) -> None:
    """Compose, send and record one digest, whose claim this run holds."""
    composed = composer.compose(subscription, list(subscription.follows.all()))
    if composed is None:
        with transaction.atomic():
            Digest.objects.filter(pk=record.pk).update(status=Digest.Status.EMPTY)
            _covered(subscription, now)
        report.empty += 1
        return
    message = build_message(subscription, composer, composed, record.message_id)
    outcome = mailer.send(message)  # SendAborted leaves the digest owed, as it was
    attempt = {
        "attempts": F("attempts") + 1,
        "paper_ids": " ".join(composed.paper_ids),
        "error": outcome.error,
    }
    digest = Digest.objects.filter(pk=record.pk)
    if outcome.delivered:
        # Recorded at once: the only window for a second delivery (of this same
        # message) runs from the end of the message to this commit.
        with transaction.atomic():
            digest.update(status=Digest.Status.SENT, sent_at=timezone.now(), **attempt)
            SentPaper.objects.bulk_create(
                [SentPaper(subscription=subscription, paper_id=pid) for pid in composed.paper_ids],
                ignore_conflicts=True,
            )
            subscription.bounce_count = 0
            subscription.last_error = ""
            _covered(subscription, now, "bounce_count", "last_error")
        report.sent += 1
    elif outcome.permanent:
        with transaction.atomic():
            digest.update(status=Digest.Status.FAILED, **attempt)
            subscription.bounce_count += 1
            subscription.last_error = outcome.error
            fields = ["bounce_count", "last_error"]
            if subscription.bounce_count >= settings.DIGEST_MAX_BOUNCES:
                subscription.status = Subscription.Status.SUSPENDED
                fields.append("status")
                report.suspended += 1
            subscription.save(update_fields=fields)
        report.failed += 1
        logger.warning("digest to %s refused: %s", subscription.email, outcome.error)
    else:
        digest.update(**attempt)
        report.deferred += 1


def _covered(subscription: Subscription, now: datetime, *fields: str) -> None:
    """The next digest lists what the catalog adds after ``now``."""
    subscription.covered_until = now
    subscription.save(update_fields=["covered_until", *fields])
