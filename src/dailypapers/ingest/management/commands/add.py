from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from dailypapers.cli import command_hint
from dailypapers.console import count_progress, terminate_as_interrupt
from dailypapers.ingest.arxiv_api import ArxivUnavailable, fetch_papers
from dailypapers.ingest.models import SourceStatus
from dailypapers.ingest.reporting import summary
from dailypapers.ingest.tasks import pending_ids
from dailypapers.papers.arxiv_ids import InvalidArxivId, normalize_arxiv_id
from dailypapers.papers.signals import announce_catalog_change
from dailypapers.papers.upserts import UpsertCounts, upsert_papers


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

    def handle(self, *args, ids, pending, **options):
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
