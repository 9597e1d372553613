from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dailypapers.digests import schedule
from dailypapers.digests.sending import SendAborted, send_due


class Command(BaseCommand):
    help = "Email digests: send the ones due today, or run the daily scheduler."

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
        actions.add_parser(
            "schedule", help="run `send` every day at DAILYPAPERS_DIGEST_TIME (serve does this)"
        )

    def handle(self, *args, action, **options):
        if action == "schedule":
            if not settings.DIGEST_TIME:
                raise CommandError("set DAILYPAPERS_DIGEST_TIME=HH:MM to schedule digests")
            at = schedule.parse_time(settings.DIGEST_TIME)
            self.stdout.write(f"digests: every day at {at:%H:%M} ({settings.TIME_ZONE})")
            schedule.run_forever(at, lambda: self.send(None, False, None))
            return
        self.send(options["period"], options["dry_run"], options["date"])

    def send(self, period: str | None, dry_run: bool, today: date | None) -> None:
        if not settings.BASE_URL.startswith("https://"):
            self.stderr.write(
                f"warning: DAILYPAPERS_BASE_URL is {settings.BASE_URL}: mail clients offer "
                "one-click unsubscribe only for https links"
            )
        try:
            report = send_due(today=today, only=period, dry_run=dry_run)
        except SendAborted as error:
            raise CommandError(f"{error}; what was not sent is sent by the next run") from None
        if dry_run:
            self.stdout.write(f"dry run: {report.sent} to send, {report.empty} empty")
        else:
            self.stdout.write(str(report))
