import os
import subprocess
import sys
from datetime import date, timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from gunicorn.app.base import BaseApplication
from threadpoolctl import threadpool_limits

from dailypapers import mail
from dailypapers.cli import command_hint
from dailypapers.papers.models import Paper


class GunicornServer(BaseApplication):
    """gunicorn run in-process, so ``dailypapers serve`` is the production server too."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

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
            # Email digests every day at DAILYPAPERS_DIGEST_TIME (docs/digests.md).
            (bool(settings.DIGEST_TIME), ["digest", "schedule"]),
            # Hugging Face's daily lists, every day at DAILYPAPERS_SYNC_HF_TIME.
            (settings.SYNC_HF, ["sync-hf", "--schedule"]),
            # The papers visitors ask for, fetched as they ask (no page waits for arXiv),
            # and those known only from a listing, completed whenever arXiv answers.
            (True, ["add", "--watch", str(pending_minutes * 60), *pending]),
        ]
        processes = [
            subprocess.Popen([sys.executable, "-m", "dailypapers", *command])
            for wanted, command in background
            if wanted
        ]
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
                }
            ).run()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)

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
