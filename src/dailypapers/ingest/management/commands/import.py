from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from dailypapers.console import terminate_as_interrupt
from dailypapers.ingest.formats import PARSERS
from dailypapers.ingest.importer import UnknownFormat, import_file
from dailypapers.ingest.reporting import summary
from dailypapers.papers.signals import announce_catalog_change
from dailypapers.papers.upserts import UpsertCounts


class Command(BaseCommand):
    help = (
        "Import papers or daily listings from JSON Lines (plain or .gz) or JSON files. "
        "The format is detected from the content."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument("--format", choices=sorted(PARSERS), help="skip detection")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="records per transaction (default 1000)"
        )

    def handle(self, *args, paths, format, batch_size, **options):
        # Straight to the command's error stream, so rejections land where callers read them.
        console = Console(file=self.stderr._out)
        total = UpsertCounts()
        failed = []
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        with terminate_as_interrupt():
            try:
                for path in paths:
                    try:
                        result = import_file(path, format, batch_size=batch_size, console=console)
                    except UnknownFormat as error:
                        raise CommandError(str(error)) from None
                    total += result.counts
                    self.stdout.write(summary(f"{path} ({result.format})", result.counts))
                    if result.error:
                        failed.append(result.error)
                        self.stderr.write(result.error)
            except KeyboardInterrupt:
                self.stderr.write(
                    "Interrupted: every finished batch is saved; run the same command again "
                    "to import the rest."
                )
                raise SystemExit(130) from None
        if len(paths) > 1:
            self.stdout.write(summary("total", total))
        for line in announce_catalog_change(type(self)):
            self.stdout.write(line)
        if failed:
            raise CommandError(f"{len(failed)} file(s) could not be read to the end")
