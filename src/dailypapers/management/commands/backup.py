from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich import filesize
from rich.console import Console

from dailypapers import snapshots
from dailypapers.cli import command_hint
from dailypapers.console import terminate_as_interrupt


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database (and the generated secret key) to PATH "
        "while the site serves: SQLite's online backup API, or pg_dump on PostgreSQL. "
        "The search index is left out: `dailypapers index` rebuilds it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            type=Path,
            metavar="PATH",
            help="the snapshot file (.tar, or .tar.gz to compress it), or a directory to "
            "write dailypapers-YYYYmmdd-HHMMSS.tar in",
        )
        parser.add_argument("--force", action="store_true", help="replace PATH if it exists")

    def handle(self, *args, path, force, **options):
        console = Console(file=self.stderr._out)
        try:
            with terminate_as_interrupt():
                snapshot = snapshots.take(path, console, force=force)
        except snapshots.SnapshotError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            self.stderr.write(f"Interrupted: no snapshot written, {path} is as it was.")
            raise SystemExit(130) from None
        manifest = snapshot.manifest
        kind = snapshots.KINDS[manifest.database]
        if manifest.secret_key:
            key = "included (the one generated in the data dir)"
        else:
            key = (
                "not included: it comes from SECRET_KEY in the environment; keep that "
                "with the snapshot, or sessions and emailed links break after a restore"
            )
        self.stdout.write(
            f"Snapshot written: {snapshot.path} ({filesize.decimal(snapshot.size)}, readable "
            "by its owner only)\n"
            f"  database: {kind}, with every write committed before {manifest.taken()}\n"
            f"  secret key: {key}\n"
            f"  search index: not included; after a restore, "
            f"`{command_hint('index')}` rebuilds it from the database\n"
            f"Restore it with: {command_hint(f'restore {snapshot.path}')}"
        )
