import argparse
import math
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from rich.console import Console

from dailypapers import scheduling
from dailypapers.console import count_progress, terminate_as_interrupt
from dailypapers.search import backends
from dailypapers.search.indexing import (
    IndexBusy,
    embed_pending,
    follow_catalog,
    pending_embeddings,
    store_missing_terms,
    sync_keyword_index,
    update_vector_index,
)
from dailypapers.search.progress import Progress

# Seconds between progress lines while catching up for a log (--watch, the indexer task).
LOG_EVERY = 60.0


class Command(BaseCommand):
    help = (
        "Bring the search indexes up to date: the keyword index, then embeddings for "
        "papers that lack one. Interrupt it at any time; the next run continues."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="rebuild the keyword index from scratch"
        )
        parser.add_argument(
            "--keyword-only",
            action="store_true",
            help="skip the embeddings (fast; semantic search lags behind)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=256,
            help="papers embedded per committed batch (default 256)",
        )
        parser.add_argument(
            "--follow",
            type=float,
            metavar="SECONDS",
            help="keep only the keyword index level with the catalog, every SECONDS "
            "(what serve runs on each node; docs/search.md)",
        )
        parser.add_argument(
            "--watch",
            type=float,
            metavar="SECONDS",
            help="keep running, catching up every SECONDS",
        )
        # Internal: what the indexer task runs (search/tasks.py), a round for a log.
        parser.add_argument(
            "--round", dest="one_round", action="store_true", help=argparse.SUPPRESS
        )

    def handle(self, *args, rebuild, keyword_only, batch_size, follow, watch, one_round, **options):
        console = Console(file=self.stderr._out)
        try:
            with terminate_as_interrupt():
                if one_round:
                    self.catch_up(console, rebuild, keyword_only, batch_size, True, True)
                elif follow:
                    scheduling.run_every(follow, self.follow_round)
                elif watch:
                    self.watch(watch, console, rebuild, keyword_only, batch_size)
                else:
                    self.catch_up(console, rebuild, keyword_only, batch_size)
        except KeyboardInterrupt:
            self.stderr.write(
                "Interrupted: every finished batch is saved; run the same "
                "command again to continue."
            )
            raise SystemExit(130) from None

    def watch(
        self, seconds: float, console: Console, rebuild: bool, keyword_only: bool, batch_size: int
    ) -> None:
        """Catch up now and every ``seconds``; beside a web server, progress goes to the log
        as lines, and only the first round (the first that reaches the database) says all."""
        first = True

        def round_() -> None:
            nonlocal first
            self.catch_up(
                console, rebuild and first, keyword_only, batch_size, not first, log_lines=True
            )
            first = False

        scheduling.run_every(seconds, round_)

    def follow_round(self) -> None:
        if followed := follow_catalog():
            self.stdout.write(f"Keyword index: followed {followed} changes to the catalog")

    def catch_up(
        self,
        console: Console,
        rebuild: bool,
        keyword_only: bool,
        batch_size: int,
        quiet: bool = False,
        log_lines: bool = False,
    ) -> None:
        try:
            synced = sync_keyword_index(rebuild=rebuild)
        except IndexBusy:
            synced = 0
            self.stderr.write(
                "The keyword index is being written by another process; skipped this time."
            )
        if not quiet or synced:
            self.stdout.write(f"Keyword index: {synced} papers (re)indexed")
        if keyword_only:
            return
        pending = pending_embeddings().count()
        if pending and log_lines:
            done = embed_pending(batch_size, self.log_progress_every(LOG_EVERY))
            self.stdout.write(f"Embeddings: {done} papers embedded")
        elif pending:
            with count_progress(console) as progress:
                task = progress.add_task("Embedding papers", total=pending)
                done = embed_pending(batch_size, lambda n, _: progress.advance(task, n))
            self.stdout.write(f"Embeddings: {done} papers embedded")
        else:
            embed_pending()  # records that every paper has one, for the search page
            if not quiet:
                self.stdout.write("Embeddings: every paper has one")
        if stored := store_missing_terms():
            self.stdout.write(f"Terms: stored for {stored} papers embedded before they were kept")
        saved = update_vector_index()
        if not quiet or saved:
            saved_line = " (graph saved for the web workers)" if saved else ""
            self.stdout.write(f"Vectors: {backends.vector_index().description}{saved_line}")

    def log_progress_every(self, seconds: float) -> Callable[[int, Progress], None]:
        """A batch callback that writes a progress line after the first batch, then every
        ``seconds``: a live progress bar would garble a log shared with a web server."""
        last = -math.inf

        def log(batch: int, progress: Progress) -> None:
            nonlocal last
            if time.monotonic() - last >= seconds:
                last = time.monotonic()
                self.stdout.write(progress.log_line())

        return log
