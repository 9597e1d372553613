from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dailypapers import scheduling
from dailypapers.digests.tasks import send_digests
from dailypapers.ingest.tasks import complete_pending, sync_hf
from dailypapers.search.tasks import index
from dailypapers.workers.runner import Job, WorkerProcess

QUEUES = settings.TASKS["default"]["QUEUES"]
# Seconds between the indexer's rounds: a new paper is searchable about this late.
INDEX_EVERY = 60.0


def scheduled_jobs() -> list[Job]:
    """The jobs settings turn on, the same on every node: each period's task is enqueued
    once, by whichever scheduler claims it first."""
    jobs = [Job("index", scheduling.Every(INDEX_EVERY), index, skip_if_unfinished=True)]
    if settings.DIGEST_TIME:
        at = scheduling.parse_time(settings.DIGEST_TIME, "DAILYPAPERS_DIGEST_TIME")
        jobs.append(Job("digests", scheduling.Daily(at), send_digests))
    if settings.SYNC_HF:
        at = scheduling.parse_time(settings.SYNC_HF_TIME, "DAILYPAPERS_SYNC_HF_TIME")
        jobs.append(Job("sync-hf", scheduling.Daily(at), sync_hf))
    if settings.COMPLETE_PENDING_MINUTES > 0:
        every = scheduling.Every(settings.COMPLETE_PENDING_MINUTES * 60)
        jobs.append(Job("complete-pending", every, complete_pending, skip_if_unfinished=True))
    return jobs


class Command(BaseCommand):
    help = (
        "Run background work: the tasks of the given queues (papers visitors asked for, "
        "the indexer, digests, the Hugging Face sync, pending papers), and the schedules "
        "that enqueue them, each once across every worker. Stop it with Ctrl-C or kill: "
        "a task it could not finish is run again by the next worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues",
            default=",".join(QUEUES),
            help=f"comma-separated queues to run tasks from (default: {','.join(QUEUES)}); "
            '"fetch": papers visitors asked for, "index": the search indexer, "default": '
            "the rest",
        )

    def handle(self, *args, queues, **options):
        wanted = [name.strip() for name in queues.split(",") if name.strip()]
        if unknown := sorted(set(wanted) - set(QUEUES)):
            raise CommandError(f"no queue {', '.join(unknown)}: the queues are {', '.join(QUEUES)}")
        try:
            jobs = scheduled_jobs()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        WorkerProcess(wanted, jobs, settings.WORKER_LOST_SECONDS, self.stdout.write).run()
