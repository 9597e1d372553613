import argparse
import json
from dataclasses import asdict
from datetime import date, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dailypapers.digests.delivery import SendAborted
from dailypapers.digests.sending import Report, send_due


class Command(BaseCommand):
    help = "Email digests: send the ones due today."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        send = actions.add_parser("send", help="send the digests due today (safe to re-run)")
        send.add_argument("--period", choices=["daily", "weekly"], help="only this frequency")
        send.add_argument(
            "--dry-run", action="store_true", help="compose and count, send and record nothing"
        )
        send.add_argument(
            "--date", type=date.fromisoformat, help="send as of this day (default: today)"
        )
        send.add_argument(
            "--workers",
            type=int,
            default=settings.DIGEST_SEND_WORKERS,
            help="processes sending in parallel, each with its own SMTP connection "
            f"(default {settings.DIGEST_SEND_WORKERS}: DAILYPAPERS_DIGEST_WORKERS)",
        )
        # Internal: how a run started with --workers starts each of them.
        send.add_argument("--shard", type=_shard, help=argparse.SUPPRESS)
        send.add_argument("--now", type=datetime.fromisoformat, help=argparse.SUPPRESS)

    def handle(self, *args, action, **options):
        if options["shard"]:
            report = self.run(
                today=options["date"],
                now=options["now"],
                only=options["period"],
                shard=options["shard"],
            )
            self.stdout.write(json.dumps(asdict(report)))
        else:
            self.send(options["period"], options["dry_run"], options["date"], options["workers"])

    def send(
        self,
        period: str | None = None,
        dry_run: bool = False,
        today: date | None = None,
        workers: int = settings.DIGEST_SEND_WORKERS,
    ) -> None:
        if not settings.BASE_URL.startswith("https://"):
            self.stderr.write(
                f"warning: DAILYPAPERS_BASE_URL is {settings.BASE_URL}: mail clients offer "
                "one-click unsubscribe only for https links"
            )
        report = self.run(today=today, only=period, dry_run=dry_run, workers=workers)
        if dry_run:
            self.stdout.write(f"dry run: {report.sent} to send, {report.empty} empty")
        else:
            self.stdout.write(str(report))

    def run(self, **arguments) -> Report:
        try:
            return send_due(**arguments)
        except SendAborted as error:
            raise CommandError(f"{error}; what was not sent is sent by the next run") from None


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    return int(index), int(count)
