"""Tasks whose worker died (kill -9, the OOM killer, a lost node) are run again.

django_tasks_db marks a task RUNNING when a worker claims it and nothing else until it
ends: a worker that dies leaves it RUNNING for ever. Every worker writes a heartbeat
(models.Heartbeat) naming the tasks it runs; a RUNNING task that no live worker names
goes back to READY, and another worker runs it again from the start. The tasks are
written to be run again: each keeps its own progress (import batches, harvest and sync
checkpoints, the digests' claims), so a second run finishes the first one's work.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import Heartbeat, ScheduleClaim

# Starts a task may have: one that kills its worker every time (memory) stops there.
MAX_ATTEMPTS = 3
# How long finished tasks and past claims are kept, for the admin and the operator.
KEPT = timedelta(days=7)


class WorkerLost(Exception):
    """What a task's record says when its worker died under it ``MAX_ATTEMPTS`` times."""


def live_workers(lost_after: float) -> dict[str, set[str]]:
    """Each live worker's id, with the ids of the tasks it says it runs."""
    since = timezone.now() - timedelta(seconds=lost_after)
    return {
        beat.worker_id: set(beat.running) for beat in Heartbeat.objects.filter(seen_at__gte=since)
    }


def recover_lost_tasks(lost_after: float) -> list[str]:
    """Put back on the queue the RUNNING tasks no live worker runs; the ids put back.

    A task started less than ``lost_after`` seconds ago is left alone: its worker's
    heartbeat may not name it yet.
    """
    started_before = timezone.now() - timedelta(seconds=lost_after)
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=started_before
    )
    # Read first, without a lock: every worker asks every second, and on SQLite a
    # transaction that may write takes the database's one write lock.
    live = live_workers(lost_after)
    if all(
        str(task_id) in live.get(ids[-1] if ids else "", set())
        for task_id, ids in running.values_list("id", "worker_ids")
    ):
        return []
    recovered = []
    with transaction.atomic():
        live = live_workers(lost_after)
        for task in running.select_for_update():
            worker = task.worker_ids[-1] if task.worker_ids else ""
            if str(task.id) in live.get(worker, set()):
                continue
            if len(task.worker_ids) >= MAX_ATTEMPTS:
                error = WorkerLost(
                    f"the worker running it stopped {len(task.worker_ids)} times "
                    f"({', '.join(task.worker_ids)})"
                )
                task.set_failed(error)
            else:
                task.status = TaskResultStatus.READY
                task.save(update_fields=["status"])
            recovered.append(str(task.id))
    return recovered


def release(task_ids: list[str]) -> None:
    """Put the tasks a stopping worker could not finish back on the queue at once."""
    DBTaskResult.objects.filter(id__in=task_ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY
    )


def prune() -> None:
    """Forget finished tasks, past claims and silent workers older than KEPT."""
    before = timezone.now() - KEPT
    DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    ScheduleClaim.objects.filter(claimed_at__lt=before).delete()
    Heartbeat.objects.filter(seen_at__lt=before).delete()
