"""Putting tasks on the queue: once per scheduled period across every node, or once while
one waits. Tasks are django-tasks ``Task`` objects whose rows are django_tasks_db's
``DBTaskResult`` (docs/architecture.md, Decisions)."""

from django.db import IntegrityError, transaction
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from .models import ScheduleClaim

UNFINISHED = [TaskResultStatus.READY, TaskResultStatus.RUNNING]


def unfinished(task: Task) -> bool:
    """Whether a run of ``task`` waits or runs now."""
    return DBTaskResult.objects.filter(task_path=task.module_path, status__in=UNFINISHED).exists()


def enqueue_unless_waiting(task: Task) -> None:
    """Enqueue ``task`` (no arguments) unless a run of it waits to start: a task that takes
    all the work there is (the papers visitors asked for) needs one run queued, not one per
    request. Two requests at the same moment may both enqueue; the second run finds
    nothing to do."""
    ready = DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY)
    if not ready.exists():
        task.enqueue()


def claim_and_enqueue(
    job: str,
    period: str,
    task: Task,
    worker_id: str,
    *,
    args: tuple = (),
    skip_if_unfinished: bool = False,
) -> bool:
    """Enqueue ``task`` for ``job``'s ``period`` unless a scheduler claimed that period
    before (with ``args``): whether this call did. The claim and the task are one transaction, so a
    scheduler killed in between leaves neither.

    ``skip_if_unfinished``: a period whose job still waits or runs from an earlier one is
    claimed without a task (a minute's indexer round while the last one still embeds).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = ScheduleClaim.objects.create(job=job, period=period, claimed_by=worker_id)
        except IntegrityError:
            return False
        if skip_if_unfinished and unfinished(task):
            return False
        claim.task_id = str(task.enqueue(*args).id)
        claim.save(update_fields=["task_id"])
    return True
