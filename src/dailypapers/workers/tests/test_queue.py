"""Schedules claimed once per period, tasks of dead workers put back on the queue: in one
process, on the test's database (SQLite or PostgreSQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dailypapers.digests.tasks import send_digests
from dailypapers.search.tasks import index
from dailypapers.workers import recovery
from dailypapers.workers.models import Heartbeat, ScheduleClaim
from dailypapers.workers.queue import claim_and_enqueue, enqueue_unless_waiting

pytestmark = pytest.mark.django_db


def rows(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path))


def test_a_period_is_claimed_and_its_task_enqueued_once_whoever_tries():
    assert claim_and_enqueue("digests", "2026-12-03", send_digests, "node-a")
    assert not claim_and_enqueue("digests", "2026-12-03", send_digests, "node-b")
    assert claim_and_enqueue("digests", "2026-12-04", send_digests, "node-b")
    claims = ScheduleClaim.objects.order_by("period")
    assert [(c.period, c.claimed_by) for c in claims] == [
        ("2026-12-03", "node-a"),
        ("2026-12-04", "node-b"),
    ]
    assert sorted(c.task_id for c in claims) == sorted(str(r.id) for r in rows(send_digests))


def test_a_watch_skips_its_periods_while_its_last_run_is_unfinished():
    assert claim_and_enqueue("index", "1", index, "node-a", skip_if_unfinished=True)
    assert not claim_and_enqueue("index", "2", index, "node-a", skip_if_unfinished=True)
    [waiting] = rows(index)
    waiting.claim("node-a")  # running now: still unfinished
    assert not claim_and_enqueue("index", "3", index, "node-a", skip_if_unfinished=True)
    waiting.set_successful(None)
    assert claim_and_enqueue("index", "4", index, "node-a", skip_if_unfinished=True)
    assert len(rows(index)) == 2
    # Every period tried is claimed, run or not: no other scheduler tries it again.
    assert ScheduleClaim.objects.filter(job="index").count() == 4


def test_a_task_is_not_enqueued_again_while_a_run_of_it_waits():
    enqueue_unless_waiting(index)
    enqueue_unless_waiting(index)
    [first] = rows(index)
    first.claim("node-a")  # started: what is asked for now needs a new run
    enqueue_unless_waiting(index)
    assert sorted(r.status for r in rows(index)) == ["READY", "RUNNING"]


def running_task(worker: str, started_seconds_ago: float, attempts: int = 1) -> DBTaskResult:
    send_digests.enqueue()
    task = DBTaskResult.objects.ready().get()
    for n in range(attempts):
        task.claim(worker if n == attempts - 1 else f"earlier-{n}")
    task.started_at = timezone.now() - timedelta(seconds=started_seconds_ago)
    task.save()
    return task


def beat(worker: str, seconds_ago: float, running: list[str]) -> None:
    Heartbeat.objects.create(
        worker_id=worker,
        host="node",
        pid=1,
        queues="default",
        seen_at=timezone.now() - timedelta(seconds=seconds_ago),
        running=running,
    )


def status(task: DBTaskResult) -> str:
    task.refresh_from_db()
    return task.status


def test_the_running_tasks_of_a_silent_worker_go_back_on_the_queue():
    task = running_task("dead", started_seconds_ago=120)
    beat("dead", seconds_ago=90, running=[str(task.id)])
    assert recovery.recover_lost_tasks(lost_after=60) == [str(task.id)]
    assert status(task) == TaskResultStatus.READY
    assert recovery.recover_lost_tasks(lost_after=60) == []


def test_a_live_worker_keeps_the_task_it_runs_and_loses_one_it_does_not():
    kept = running_task("alive", started_seconds_ago=120)
    DBTaskResult.objects.filter(pk=kept.pk).update(task_path=index.module_path)
    # Its thread lost the database while recording the end: marked running, run by nobody.
    dropped = running_task("alive", started_seconds_ago=120)
    beat("alive", seconds_ago=1, running=[str(kept.id)])
    assert recovery.recover_lost_tasks(lost_after=60) == [str(dropped.id)]
    assert status(kept) == TaskResultStatus.RUNNING
    assert status(dropped) == TaskResultStatus.READY


def test_a_task_just_started_is_left_to_its_worker_until_its_heartbeat_names_it():
    task = running_task("new", started_seconds_ago=5)
    assert recovery.recover_lost_tasks(lost_after=60) == []
    assert status(task) == TaskResultStatus.RUNNING


def test_a_task_whose_worker_died_every_time_fails_with_the_reason():
    task = running_task("dead", started_seconds_ago=120, attempts=recovery.MAX_ATTEMPTS)
    assert recovery.recover_lost_tasks(lost_after=60) == [str(task.id)]
    assert status(task) == TaskResultStatus.FAILED
    assert task.exception_class_path == "dailypapers.workers.recovery.WorkerLost"
    assert f"stopped {recovery.MAX_ATTEMPTS} times" in task.traceback


def test_old_finished_tasks_and_claims_are_pruned_and_recent_ones_kept():
    old = timezone.now() - recovery.KEPT - timedelta(hours=1)
    send_digests.enqueue()
    send_digests.enqueue()
    finished = list(DBTaskResult.objects.all())
    for task in finished:
        task.claim("w")
        task.set_successful("done")
    DBTaskResult.objects.filter(pk=finished[0].pk).update(finished_at=old)
    claim_and_enqueue("digests", "2026-01-01", send_digests, "w")
    ScheduleClaim.objects.update(claimed_at=old)
    claim_and_enqueue("digests", "2026-12-03", send_digests, "w")
    recovery.prune()
    assert DBTaskResult.objects.filter(pk=finished[0].pk).count() == 0
    assert DBTaskResult.objects.count() == 3  # the other finished one, two enqueued
    assert list(ScheduleClaim.objects.values_list("period", flat=True)) == ["2026-12-03"]
