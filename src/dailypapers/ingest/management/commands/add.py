import time

import arxiv
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from dailypapers import scheduling
from dailypapers.cli import command_hint
from dailypapers.console import count_progress, terminate_as_interrupt
from dailypapers.ingest.arxiv_api import ArxivUnavailable, arxiv_client, fetch_papers
from dailypapers.ingest.models import SourceStatus
from dailypapers.ingest.on_demand import fetch_requested
from dailypapers.ingest.reporting import summary
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.papers.services import UpsertCounts, upsert_papers
from dailypapers.papers.signals import announce_catalog_change

# Seconds between looks for papers visitors asked for: a visitor waits for the answer.
REQUESTS_EVERY = 1.0


def pending_ids() -> list[str]:
    """Papers known only from a daily listing, waiting for their arXiv metadata."""
    return list(Paper.objects.filter(version=0).order_by("pk").values_list("pk", flat=True))


class Command(BaseCommand):
    help = (
        "Fetch papers from the arXiv API and add them to the catalog, or update them "
        "to their latest version."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "ids",
            nargs="*",
            metavar="ARXIV_ID",
            help="an id (2403.01779, hep-th/9901001), arXiv:…, or an arxiv.org abs/pdf URL; "
            "a version suffix is accepted, the latest version is fetched",
        )
        parser.add_argument(
            "--pending",
            action="store_true",
            help="also fetch every paper known only from a daily listing (no arXiv metadata yet)",
        )
        parser.add_argument(
            "--watch",
            type=float,
            metavar="SECONDS",
            help="without ids: keep running, fetching the papers visitors ask for as they ask "
            "and, with --pending, the pending papers every SECONDS; quietly while arXiv or the "
            "database does not answer (what serve runs)",
        )

    def handle(self, *args, ids, pending, watch, **options):
        if watch is not None:
            if ids:
                raise CommandError("--watch takes no ids: it fetches what visitors ask for")
            self.watch(watch, pending)
            return
        if not ids and not pending:
            raise CommandError("give at least one arXiv id, or --pending")
        try:
            wanted = list(dict.fromkeys(normalize_arxiv_id(text) for text in ids))
        except InvalidArxivId as error:
            raise CommandError(str(error)) from None
        if pending:
            given = set(wanted)
            wanted += [arxiv_id for arxiv_id in pending_ids() if arxiv_id not in given]
            if not wanted:
                self.stdout.write("No papers are waiting for their arXiv metadata.")
                return

        counts = UpsertCounts()
        problems: list[str] = []
        try:
            with terminate_as_interrupt(), count_progress(Console(stderr=True)) as progress:
                task = progress.add_task("arXiv", total=len(wanted))
                # Each batch is stored as it arrives, so a failure keeps every finished one.
                for batch in fetch_papers(wanted):
                    counts += upsert_papers(batch.records)
                    counts.rejected += len(batch.rejected)
                    problems += [f"rejected: {reason}" for reason in batch.rejected]
                    problems += [f"{arxiv_id}: not found on arXiv" for arxiv_id in batch.missing]
                    progress.advance(task, len(batch.ids))
        except ArxivUnavailable as error:
            SourceStatus.record(SourceStatus.Source.ARXIV_API, str(error))
            self._report(counts, problems)
            raise CommandError(
                f"{error}. Papers fetched before the failure are saved; try again later, "
                f"or import a metadata file with `{command_hint('import')}`."
            ) from None
        except KeyboardInterrupt:
            self._report(counts, problems)
            self.stderr.write("Interrupted: every fetched batch is saved.")
            raise SystemExit(130) from None
        SourceStatus.record(SourceStatus.Source.ARXIV_API)
        self._report(counts, problems)
        if not counts.new + counts.updated + counts.unchanged:
            raise CommandError("nothing could be added")

    def _report(self, counts: UpsertCounts, problems: list[str]) -> None:
        # Written once the progress bar is gone, so the two do not interleave.
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(summary("arXiv", counts))
        for line in announce_catalog_change(type(self)):
            self.stdout.write(line)

    def watch(self, seconds: float, pending: bool) -> None:
        """Fetch requested papers as they are asked for and, with ``pending``, the pending
        ones every ``seconds``; one line when something changes."""
        if pending:
            self.stdout.write(
                f"Papers known only from a listing are fetched from arXiv every {seconds:g} s"
            )
        offline = False
        pending_due = 0.0
        # One client for every round keeps even frequent rounds ARXIV_REQUEST_DELAY apart.
        client = arxiv_client()

        def round_() -> None:
            nonlocal offline, pending_due
            self.fetch_requested(client)
            if pending and time.monotonic() >= pending_due:
                pending_due = time.monotonic() + seconds
                if waiting := pending_ids():
                    offline = self.complete(waiting, offline, client)

        # A round a second for the visitors; a shorter watch of pending papers keeps its pace.
        every = min(seconds, REQUESTS_EVERY) if pending and seconds > 0 else REQUESTS_EVERY
        try:
            with terminate_as_interrupt():
                scheduling.run_every(every, round_)
        except KeyboardInterrupt:
            return

    def fetch_requested(self, client: arxiv.Client) -> None:
        """The papers visitors asked for (ingest/on_demand.py), each marked done or failed."""
        try:
            counts = fetch_requested(client)
        except ArxivUnavailable as error:
            SourceStatus.record(SourceStatus.Source.ARXIV_API, str(error))
            self.stderr.write(f"{error}: the papers visitors asked for are marked failed")
            return
        if counts is None:
            return
        SourceStatus.record(SourceStatus.Source.ARXIV_API)
        if counts.changed:
            self.stdout.write(f"{counts.changed} papers fetched from arXiv as visitors asked")
            for line in announce_catalog_change(type(self)):
                self.stdout.write(line)

    def complete(self, waiting: list[str], offline: bool, client: arxiv.Client) -> bool:
        """One round of the watch; returns whether arXiv could not be reached."""
        counts = UpsertCounts()
        error = None
        try:
            for batch in fetch_papers(waiting, client):
                counts += upsert_papers(batch.records)
        except ArxivUnavailable as failure:
            error = failure
        SourceStatus.record(SourceStatus.Source.ARXIV_API, str(error or ""))
        if counts.changed:
            left = len(waiting) - counts.changed
            self.stdout.write(
                f"{counts.changed} pending papers completed from arXiv, {left} still pending"
            )
            for line in announce_catalog_change(type(self)):
                self.stdout.write(line)
        if error and not offline:
            # Said once until arXiv answers again, not at every round.
            self.stderr.write(
                f"{error}: {len(waiting)} papers stay pending (shown from their listing) "
                "until arXiv answers"
            )
        return error is not None
