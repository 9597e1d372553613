import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rich.console import Console

from dailypapers import snapshots
from dailypapers.cli import command_hint
from dailypapers.console import terminate_as_interrupt
from dailypapers.papers.models import Paper, Upvote


class Command(BaseCommand):
    help = (
        "Replace the database with a snapshot written by `dailypapers backup`, put its "
        "secret key back and migrate. Stop the site first."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, metavar="PATH", help="a snapshot file")
        parser.add_argument("--no-input", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path, no_input, **options):
        console = Console(file=self.stderr._out)
        try:
            manifest = snapshots.read_manifest(path)
            snapshots.check_restorable(path, manifest)
        except snapshots.SnapshotError as error:
            raise CommandError(str(error)) from None
        kind = snapshots.KINDS[manifest.database]
        self.stdout.write(
            f"{path}: a snapshot of a {kind} database as of {manifest.taken()} "
            f"(dailypapers {manifest.dailypapers})"
        )
        if not no_input:
            self.confirm(kind)
        try:
            with terminate_as_interrupt():
                key_restored = snapshots.restore(path, manifest, console)
        except snapshots.SnapshotError as error:
            raise CommandError(str(error)) from None
        except KeyboardInterrupt:
            self.stderr.write(
                "Interrupted: the database is as it was before the restore (it is replaced "
                "in one transaction)."
            )
            raise SystemExit(130) from None
        self.report(manifest, key_restored)

    def confirm(self, kind: str) -> None:
        if not sys.stdin.isatty():
            raise CommandError("restore replaces the database: pass --no-input to confirm")
        where = connection.settings_dict["NAME"]
        answer = input(f"This replaces the {kind} database {where}. Type 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            raise CommandError("restore cancelled; nothing changed")

    def report(self, manifest: snapshots.Manifest, key_restored: bool) -> None:
        executor = MigrationExecutor(connection)
        behind = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        call_command("migrate", interactive=False, verbosity=0)
        try:
            index = snapshots.forget_search_index()
        except snapshots.SnapshotError as error:
            index_line = f"{error} Then run `{command_hint('index --rebuild')}`."
        else:
            index_line = (
                f"{index} removed (it described the database before the restore); " if index else ""
            ) + f"`{command_hint('index')}` rebuilds it, and `serve` runs that on start"
        if not manifest.secret_key:
            key_line = "not in the snapshot: SECRET_KEY comes from the environment"
        elif key_restored:
            key_line = "restored into the data dir"
        else:
            key_line = "kept SECRET_KEY from the environment; the snapshot's key is not used"
        self.stdout.write(
            f"Restored: {Paper.objects.count():,} papers, {Upvote.objects.count():,} upvotes, "
            f"{get_user_model().objects.count():,} accounts\n"
            f"  migrations: {behind or 'none'} applied since the snapshot\n"
            f"  secret key: {key_line}\n"
            f"  search index: {index_line}\n"
            "Start (or restart) the site now: running processes still hold the old state."
        )
