"""The digests as a task, enqueued every day at DAILYPAPERS_DIGEST_TIME. Run again after
a kill, it sends what the killed run had not: each digest is claimed and recorded once
per period (claims.py), so nobody gets two."""

import sys
from datetime import date

from django.conf import settings
from django_tasks import task

from .delivery import SendAborted
from .sending import send_due


@task()
def send_digests(day: str | None = None) -> str:
    """``digest send``: the digests due today (or on ``day``, YYYY-MM-DD, as ``--date``);
    what was sent, as its report says."""
    today = date.fromisoformat(day) if day else None
    try:
        report = send_due(today=today, workers=settings.DIGEST_SEND_WORKERS)
    except SendAborted as error:
        print(f"digests: {error}; what was not sent is sent by the next run", file=sys.stderr)
        return str(error)
    print(f"digests: {report}", flush=True)
    return str(report)
