import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

import gunicorn.arbiter
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication
from threadpoolctl import threadpool_limits

from dailypapers import mail
from dailypapers.cli import command_hint
from dailypapers.papers.models import Paper

# Seconds a background process that stopped waits before it is started again: one that
# cannot start at all (a bad setting) says so in the log this often, not many times a second.
RESTART_AFTER = 10.0


class Background:
    """``serve``'s background processes (``dailypapers`` commands): started once gunicorn
    serves, started again when one stops (a crash, the OOM killer), stopped with it."""

    def __init__(self, commands: list[list[str]], say: Callable[[str], None]):
        self.commands = commands
        self.say = say
        self.processes: list[subprocess.Popen | None] = [None] * len(commands)
        self.started = [0.0] * len(commands)

    def keep_running(self) -> None:
        """Start each process not started yet, or stopped for RESTART_AFTER seconds since its
        last start."""
        for n, (command, process) in enumerate(zip(self.commands, self.processes, strict=True)):
            if process is not None:
                if process.poll() is None or time.monotonic() - self.started[n] < RESTART_AFTER:
                    continue
                self.say(f"`{command_hint(' '.join(command))}` stopped; starting it again")
            self.processes[n] = subprocess.Popen(
                [sys.executable, "-m", "dailypapers", *command],
                # Each line reaches serve's log when written, not when a buffer fills.
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )
            self.started[n] = time.monotonic()

    def stop(self) -> None:
        started = [process for process in self.processes if process is not None]
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


class Arbiter(gunicorn.arbiter.Arbiter):
    """gunicorn's master process, which also keeps the background processes running.

    Its loop checks the workers about once a second, in the main thread: the
    background processes are checked there too, rather than from a thread of
    a process that forks the workers.
    """

    def manage_workers(self) -> None:
        super().manage_workers()
        self.app.background.keep_running()


class GunicornServer(BaseApplication):
    """gunicorn run in-process, so ``dailypapers serve`` is the production server too."""

    def __init__(self, options: dict, background: Background):
        self.options = options
        self.background = background
        super().__init__()

    def run(self) -> None:
        try:
            Arbiter(self).run()
        except RuntimeError as error:  # what BaseApplication.run reports, as this command does
            raise CommandError(str(error)) from None

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Imported here so WhiteNoise starts after collectstatic has run.
        from dailypapers.wsgi import application

        return application


class Command(BaseCommand):
    help = "Apply pending migrations, then serve the site and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            # gunicorn's own advice. Processes rather than threads: Python threads
            # share one interpreter lock, and with four threads a worker's p99
            # latency was 5-10x its two-thread figure (docs/benchmarks.md).
            default=2 * (os.cpu_count() or 1) + 1,
            help="gunicorn worker processes (default: 2 × cores + 1)",
        )
        parser.add_argument("--threads", type=int, default=2, help="threads per worker")
        parser.add_argument(
            "--no-indexer",
            action="store_true",
            help="do not run `dailypapers index --watch` beside the server",
        )

    def handle(self, *args, host, port, workers, threads, no_indexer, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(mail.describe_setup())
        if not Paper.objects.exists():
            self.offer_first_content()
        self.report_pending_metadata()
        pending_minutes = settings.COMPLETE_PENDING_MINUTES
        pending = ["--pending"] if pending_minutes > 0 else []
        background = [
            # Embedding is slow: a separate process keeps the search indexes level
            # with the catalog while gunicorn serves.
            (not no_indexer, ["index", "--watch", "60"]),
            # This node's own keyword index follows the catalog within seconds, whichever
            # node or process changed it (docs/search.md): the indexer above may be busy
            # embedding for hours, or run on another machine (--no-indexer).
            (
                settings.KEYWORD_ENGINE == "tantivy",
                ["index", "--follow", str(settings.KEYWORD_FOLLOW_SECONDS)],
            ),
            # Email digests every day at DAILYPAPERS_DIGEST_TIME (docs/digests.md).
            (bool(settings.DIGEST_TIME), ["digest", "schedule"]),
            # Hugging Face's daily lists, every day at DAILYPAPERS_SYNC_HF_TIME.
            (settings.SYNC_HF, ["sync-hf", "--schedule"]),
            # The papers visitors ask for, fetched as they ask (no page waits for arXiv),
            # and those known only from a listing, completed whenever arXiv answers.
            (True, ["add", "--watch", str(pending_minutes * 60), *pending]),
        ]
        processes = Background(
            [command for wanted, command in background if wanted], self.stderr.write
        )
        # gunicorn's workers and threads already keep every core busy: one thread
        # per request for BLAS and the embedding model, or they fight over the
        # cores (ONNX Runtime's idle threads spin: two per worker doubled the CPU
        # a search costs, docs/benchmarks.md). The workers are forked from this
        # process, which has loaded the settings and numpy already, so both are
        # limited here rather than through environment variables.
        settings.EMBEDDING_THREADS = 1
        threadpool_limits(1)
        self.stdout.write(f"dailypapers on http://{host}:{port}/ (Ctrl-C to stop)")
        try:
            GunicornServer(
                {
                    "bind": f"{host}:{port}",
                    "workers": workers,
                    "threads": threads,
                    "accesslog": "-" if settings.DEBUG else None,
                    "timeout": 60,
                    # A request is https when a trusted proxy says so, and only
                    # then (settings.TRUSTED_PROXIES). Only the header our nginx
                    # site sets: a proxy passes the others on from the client.
                    "forwarded_allow_ips": ",".join(settings.TRUSTED_PROXIES),
                    "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"},
                },
                processes,
            ).run()
        finally:
            processes.stop()

    def offer_first_content(self) -> None:
        since = (date.today() - timedelta(days=settings.HARVEST_DAYS)).isoformat()
        harvest = command_hint(f"harvest --from {since} --set {settings.HARVEST_SET}")
        sync = command_hint(f"sync-hf --from {since}")
        import_file = command_hint("import PATH.jsonl.gz")
        if not settings.HARVEST_ON_EMPTY:
            self.stdout.write(
                "The catalog is empty. To fetch the last days of arXiv and of Hugging Face's "
                f"daily lists, run:\n  {harvest}\n  {sync}\n(or set DAILYPAPERS_HARVEST_ON_EMPTY=1 "
                f"to do it on start). Offline? Import a file instead: {import_file}"
            )
            return
        failures = []
        self.stdout.write(f"The catalog is empty: harvesting arXiv since {since}…")
        try:
            call_command("harvest", "--from", since, "--set", settings.HARVEST_SET)
        except CommandError as error:
            failures.append(f"Could not harvest arXiv: {error}")
        self.stdout.write(f"Syncing Hugging Face's daily papers since {since}…")
        try:
            call_command("sync-hf", "--from", since)
        except CommandError as error:
            failures.append(f"Could not sync Hugging Face's daily papers: {error}")
        if failures:
            self.stderr.write(
                "\n".join(failures) + f"\nThe site starts with what could be fetched. Import a "
                f"file instead ({import_file}) or retry later:\n  {harvest}\n  {sync}"
            )

    def report_pending_metadata(self) -> None:
        pending = Paper.objects.filter(version=0).count()
        if pending:
            self.stdout.write(
                f"{pending} papers are known only from daily listings and wait for their "
                "arXiv metadata. To fetch them, run:\n"
                f"  {command_hint('add --pending')}"
            )
