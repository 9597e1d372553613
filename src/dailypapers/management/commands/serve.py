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
from dailypapers.ingest.tasks import fill_empty_catalog
from dailypapers.management.commands.worker import QUEUES
from dailypapers.papers.models import Paper
from dailypapers.workers.queue import claim_and_enqueue
from dailypapers.workers.runner import new_worker_id

# Seconds the background worker, stopped, waits before it is started again: one that
# cannot start at all (a bad setting) says so in the log this often, not many times a second.
RESTART_AFTER = 10.0


class Background:
    """``serve``'s background process (``dailypapers worker``): started once gunicorn
    serves, started again when it stops (a crash, the OOM killer), stopped with it."""

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
    """gunicorn's master process, which also keeps the background worker running.

    Its loop checks the workers about once a second, in the main thread: the
    background worker is checked there too, rather than from a thread of a
    process that forks the workers.
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
            help='leave the indexer\'s tasks (the "index" queue) to a worker of its own',
        )

    def handle(self, *args, host, port, workers, threads, no_indexer, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(mail.describe_setup())
        if not Paper.objects.exists():
            self.offer_first_content()
        self.report_pending_metadata()
        # One worker beside gunicorn runs the background work as tasks: the papers
        # visitors ask for (no page waits for arXiv), the indexer, and the schedules
        # settings turn on (digests, the Hugging Face sync, pending papers).
        queues = [name for name in QUEUES if not (no_indexer and name == "index")]
        commands = [["worker", "--queues", ",".join(queues)]]
        # This node's own keyword index follows the catalog within seconds, whichever
        # node or process changed it (docs/search.md): the indexer task may be busy
        # embedding for hours, or run on another machine (--no-indexer). Not a task: a
        # queue's task runs on one node, and every node has its own index.
        if settings.KEYWORD_ENGINE == "tantivy":
            commands.append(["index", "--follow", str(settings.KEYWORD_FOLLOW_SECONDS)])
        processes = Background(commands, self.stderr.write)
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
        # A task, so the site answers at once: the worker harvests while the pages fill.
        # Two nodes starting on the same empty catalog enqueue it once a day between them.
        if claim_and_enqueue(
            "fill-empty-catalog",
            date.today().isoformat(),
            fill_empty_catalog,
            new_worker_id(),
            args=(since,),
        ):
            self.stdout.write(
                f"The catalog is empty: the worker harvests arXiv and syncs Hugging Face's "
                f"daily papers since {since}; the lists fill in within minutes (its log says "
                "what failed, if anything)."
            )

    def report_pending_metadata(self) -> None:
        pending = Paper.objects.filter(version=0).count()
        if pending:
            self.stdout.write(
                f"{pending} papers are known only from daily listings and wait for their "
                "arXiv metadata. To fetch them, run:\n"
                f"  {command_hint('add --pending')}"
            )
