"""A worker process: a thread per queue running tasks (django_tasks_db's worker loop), a
heartbeat, and the scheduler that every worker runs on every node.

The scheduler enqueues each job's task once per period across all schedulers
(queue.claim_and_enqueue) and puts back the tasks of dead workers (recovery.py). The
process outlives a database that goes away: each loop skips its rounds, says so once,
and carries on when it answers again.
"""

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.db import InterfaceError, OperationalError, close_old_connections
from django.utils import timezone
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from . import queue, recovery
from .models import Heartbeat

logger = logging.getLogger(__name__)

# What a database that stopped, restarted or dropped the connection raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

# Seconds a queue's thread waits when it found no task, and the scheduler between ticks.
POLL_SECONDS = 1.0
# Seconds a stopping worker gives its running tasks to finish before it leaves them to
# the next worker (they are put back on the queue at once).
STOP_GRACE_SECONDS = 5.0
# How often, in scheduler ticks, finished tasks and old claims are pruned.
PRUNE_EVERY_TICKS = 3600


class Schedule(Protocol):
    def period(self, now) -> str | None: ...

    def describe(self, now) -> str: ...


@dataclass(frozen=True)
class Job:
    """A task enqueued on a schedule. ``skip_if_unfinished``: a period is skipped while
    the last run waits or runs (a watch); a daily job is enqueued whatever."""

    name: str
    schedule: Schedule
    task: Task
    skip_if_unfinished: bool = False


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class QueueThread(Worker):
    """django_tasks_db's worker loop for one queue, in a thread of the worker process, with
    the ids of the task it runs where the heartbeat reads them."""

    def __init__(self, queue_name: str, worker_id: str, running: set[str]):
        super().__init__(
            queue_names=[queue_name],
            interval=POLL_SECONDS,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.running_ids = running

    def run_task(self, db_task_result: DBTaskResult) -> None:
        task_id = str(db_task_result.id)
        self.running_ids.add(task_id)
        try:
            super().run_task(db_task_result)
        finally:
            self.running_ids.discard(task_id)


@dataclass
class WorkerProcess:
    """What ``dailypapers worker`` runs: ``queues`` served, ``jobs`` scheduled."""

    queues: list[str]
    jobs: list[Job]
    lost_after: float
    say: Callable[[str], None] = print
    worker_id: str = field(default_factory=new_worker_id)

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self.running: set[str] = set()
        self.loops = [QueueThread(name, self.worker_id, self.running) for name in self.queues]
        # The last period each job was seen at, so a tick tries each claim once.
        self.tried: dict[str, str] = {}
        self.unavailable: set[str] = set()

    def run(self) -> None:
        """Run until SIGTERM or SIGINT; then stop taking tasks, give the running ones
        STOP_GRACE_SECONDS, and put the unfinished ones back on the queue."""
        now = timezone.now()
        for job in self.jobs:
            self.say(f"{job.name}: {job.schedule.describe(now)}")
        self.say(f"worker {self.worker_id}: queues {', '.join(self.queues) or 'none'}")
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stopping.set())
        threads = [
            threading.Thread(target=self.forever, args=(f"queue {loop.queue_names[0]}", loop.run))
            for loop in self.loops
        ]
        threads.append(threading.Thread(target=self.forever, args=("heartbeat", self.beat_loop)))
        threads.append(threading.Thread(target=self.forever, args=("scheduler", self.tick_loop)))
        for thread in threads:
            thread.daemon = True  # a task still running after the grace dies with the process
            thread.start()
        self.stopping.wait()
        for loop in self.loops:
            loop.running = False
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.running and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            close_old_connections()
            recovery.release(list(self.running))
            Heartbeat.objects.filter(pk=self.worker_id).delete()
        except DATABASE_UNAVAILABLE:
            pass  # its tasks are recovered once its heartbeat is old enough

    def forever(self, name: str, loop: Callable[[], None]) -> None:
        """Run ``loop`` until the worker stops, through a database that goes away."""
        while not self.stopping.is_set():
            try:
                loop()
                return
            except DATABASE_UNAVAILABLE as error:
                if name not in self.unavailable:
                    self.unavailable.add(name)
                    logger.warning("%s: the database is not answering, retrying: %s", name, error)
            except Exception:
                logger.exception("%s failed; starting it again", name)
            self.stopping.wait(POLL_SECONDS)
            close_old_connections()

    def beat_loop(self) -> None:
        while not self.stopping.is_set():
            self.beat()
            self.back(name="heartbeat")
            self.stopping.wait(self.lost_after / 6)

    def beat(self) -> None:
        Heartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "queues": ",".join(self.queues)[:200],
                "seen_at": timezone.now(),
                "running": sorted(self.running),
            },
        )

    def tick_loop(self) -> None:
        ticks = 0
        while not self.stopping.is_set():
            self.tick()
            self.back(name="scheduler")
            if ticks % PRUNE_EVERY_TICKS == 0:
                recovery.prune()
            ticks += 1
            self.stopping.wait(POLL_SECONDS)

    def tick(self) -> None:
        """Enqueue what is due and not claimed, and put back the tasks of dead workers."""
        now = timezone.now()
        for job in self.jobs:
            period = job.schedule.period(now)
            if period is None or self.tried.get(job.name) == period:
                continue
            if queue.claim_and_enqueue(
                job.name,
                period,
                job.task,
                self.worker_id,
                skip_if_unfinished=job.skip_if_unfinished,
            ):
                logger.info("%s: enqueued for %s", job.name, period)
                if not job.skip_if_unfinished:
                    self.say(f"{job.name}: enqueued for {period}")
            elif not job.skip_if_unfinished:
                self.say(f"{job.name}: {period} enqueued already (by another worker or start)")
            self.tried[job.name] = period
        for task_id in recovery.recover_lost_tasks(self.lost_after):
            self.say(f"task {task_id}: its worker stopped; queued to run again")

    def back(self, name: str) -> None:
        if name in self.unavailable:
            self.unavailable.discard(name)
            logger.warning("%s: the database answers again", name)
