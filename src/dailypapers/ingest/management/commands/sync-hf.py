from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from dailypapers.cli import command_hint
from dailypapers.console import terminate_as_interrupt
from dailypapers.ingest.hf_daily import (
    DailyPapersSync,
    SyncError,
    SyncPlan,
    SyncResult,
    hf_today,
    last_settled_day,
)
from dailypapers.ingest.models import SourceStatus
from dailypapers.ingest.reporting import iso_date, summary
from dailypapers.papers.signals import announce_catalog_change


class Command(BaseCommand):
    help = (
        "Mirror Hugging Face's Daily Papers: each day's listings with their upvotes, "
        "organization, submitter, GitHub and project links, and the papers (completed "
        "from the arXiv API when it answers, pending otherwise). Without --from, continue "
        "after the last day synced. An interrupted sync resumes when the same command is "
        "run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="since",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="the first day to sync (default: the day after the last one synced; the "
            f"first time, {settings.HARVEST_DAYS} days ago: DAILYPAPERS_HARVEST_DAYS)",
        )
        parser.add_argument(
            "--until",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="the last day to sync (default: today, in UTC as Hugging Face dates its lists)",
        )

    def handle(self, *args, since, until, **options):
        self.sync(since, until)

    def sync(self, since: date | None, until: date | None) -> None:
        if since is None:
            settled = last_settled_day()
            since = (
                settled + timedelta(days=1)
                if settled
                else hf_today() - timedelta(days=settings.HARVEST_DAYS)
            )
        if until and until < since:
            raise CommandError(f"--until {until} is before the first day to sync, {since}.")
        plan = SyncPlan(since=since, until=until)
        syncer = DailyPapersSync(plan, console=Console(file=self.stderr._out, soft_wrap=True))
        failure, interrupted = None, False
        try:
            with terminate_as_interrupt():
                syncer.run()
        except SyncError as error:
            failure = error
        except KeyboardInterrupt:
            interrupted = True
        # After an interrupt, no index update: whoever stopped the sync wants it to
        # stop now; the next run, or `serve`'s indexer, indexes what was stored.
        self.report(plan, syncer.result, index=not interrupted)
        if interrupted:
            self.stderr.write(
                "Interrupted: every finished day is saved; run the same command again "
                "to continue where it stopped."
            )
            raise SystemExit(130)
        if failure:
            SourceStatus.record(SourceStatus.Source.HF, str(failure))
            raise CommandError(
                f"Sync failed: {failure}\nEvery finished day is saved; run the same command "
                "again to continue, or import a saved list instead: "
                f"{command_hint('import hf-daily.jsonl.gz')}"
            )
        SourceStatus.record(SourceStatus.Source.HF)
        if not syncer.result.days:
            self.stdout.write(f"{plan.label}: nothing to sync, Hugging Face lists no later day yet")

    def report(self, plan: SyncPlan, result: SyncResult, *, index: bool = True) -> None:
        if result.arxiv_error:
            SourceStatus.record(SourceStatus.Source.ARXIV_API, result.arxiv_error)
        elif result.fetched_from_arxiv:
            SourceStatus.record(SourceStatus.Source.ARXIV_API)
        if result.days:
            self.report_days(plan, result)
        if index:
            for line in announce_catalog_change(type(self)):
                self.stdout.write(line)

    def report_days(self, plan: SyncPlan, result: SyncResult) -> None:
        self.stdout.write(summary(f"{plan.label} ({result.days} days, listings)", result.counts))
        if result.fetched_from_arxiv:
            self.stdout.write(summary("Listed papers completed from arXiv", result.from_arxiv))
        if result.pending:
            self.stdout.write(
                f"{result.pending} listed papers wait for their arXiv metadata (shown from "
                f"the listing until then): {command_hint('add --pending')} fetches them, "
                "and serve tries every DAILYPAPERS_COMPLETE_PENDING_MINUTES"
            )
