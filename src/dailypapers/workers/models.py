from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """A live worker process: the tasks it runs, and when it last said so.

    A worker writes its row every few seconds; one silent for WORKER_LOST_SECONDS
    is taken for dead, and the tasks left running under its id are run again
    (recovery.py). The row also names the tasks it runs now, so a task marked
    running that no live worker runs (its thread lost the database while
    recording the end) is found too.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    queues = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Ids (text) of the tasks this worker runs at ``seen_at``.
    running = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}, pid {self.pid})"


class ScheduleClaim(models.Model):
    """One scheduled job's run for one period (a day, a minute): whichever scheduler
    inserts the row enqueues the task, every other one finds it taken.

    Every worker runs the schedules, on every node; the unique pair makes each
    period's task enqueued once across all of them.
    """

    job = models.CharField(max_length=40)
    period = models.CharField(max_length=40)
    claimed_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=64)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="one_claim_per_job_period")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"
