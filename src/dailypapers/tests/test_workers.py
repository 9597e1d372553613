"""Background work as tasks, with real processes: schedulers on two nodes enqueue a day's
job once, and a worker killed with SIGKILL half-way through a task leaves it to another
worker, which runs it again to the end without sending anything twice."""

import json
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dailypapers.conftest import ExternalDatabase, arxiv_row, free_port, wait_until_answering
from dailypapers.digests.tests.conftest import Inbox
from dailypapers.ingest.hf_daily import hf_today
from dailypapers.ingest.tests.stand_ins import closed_port_url, hf_row, stand_in_environment

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = DBTaskResult._meta.db_table
# A Thursday: the daily digest is due.
THURSDAY = "2026-11-26"
SUBSCRIBERS = 8
# The digest task's worker is killed when this many digests are in the inbox.
KILLED_AFTER = 3
POPULATE = f"""
from datetime import date, timedelta
from django.utils import timezone
from dailypapers.digests.models import Subscription
from dailypapers.digests.tasks import send_digests
from dailypapers.papers.models import DailyListing, Paper
for k in (1, 2):
    paper = Paper.objects.create(arxiv_id=f"2511.0000{{k}}", title=f"Paper {{k}}", upvotes=k)
    DailyListing.objects.create(paper=paper, date=date.fromisoformat("{THURSDAY}"))
for n in range({SUBSCRIBERS}):
    Subscription.objects.create(
        email=f"reader{{n}}@example.org",
        confirmed_at=timezone.now() - timedelta(days=30),
        covered_until=timezone.now() - timedelta(days=20),
    )
send_digests.enqueue("{THURSDAY}")
"""


def wait_for(condition: Callable[[], bool], what: str, *processes, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        for process in processes:
            assert process.poll() is None, f"stopped while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def started(db: ExternalDatabase, *args, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        db.command(*args),
        env={**db.env, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stopped(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=60)[0]


def test_a_serve_and_a_worker_both_scheduling_enqueue_each_days_job_once(tmp_path, settings):
    db = ExternalDatabase(tmp_path)
    db.env |= {
        # Both jobs are due at start on both nodes (their time has passed today).
        "DAILYPAPERS_DIGEST_TIME": "00:00",
        "DAILYPAPERS_SYNC_HF": "1",
        "DAILYPAPERS_SYNC_HF_TIME": "00:00",
        "DAILYPAPERS_HF_API_URL": closed_port_url(),
        "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
        "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
    }
    port = free_port()
    serve = started(db, "serve", "--port", port, "--workers", 1, "--no-indexer")
    worker = started(db, "worker", "--queues", "default")
    try:
        wait_until_answering(f"http://127.0.0.1:{port}", serve)
        # serve's worker and the other one: both alive, so both schedulers have run.
        beating = "SELECT COUNT(*) FROM workers_heartbeat"
        wait_for(lambda: db.scalar(beating) == 2, "two workers", serve, worker)
        finished = f"SELECT COUNT(*) FROM {TASKS} WHERE status = 'SUCCESSFUL'"
        wait_for(lambda: db.scalar(finished) >= 2, "the day's jobs to run", serve, worker)
        time.sleep(3)  # a few more ticks of each scheduler
    finally:
        outputs = [stopped(serve), stopped(worker)]
    both = "".join(outputs)
    today = timezone.localdate().isoformat()
    for job, task in (("digests", "send_digests"), ("sync-hf", "sync_hf")):
        for output in outputs:
            assert f"{job}: every day at 00:00 (UTC); today's run is due" in output, output
        claims = f"SELECT COUNT(*) FROM workers_scheduleclaim WHERE job = '{job}'"
        assert db.scalar(claims) == 1
        assert db.scalar(f"SELECT COUNT(*) FROM {TASKS} WHERE task_path LIKE '%.{task}'") == 1
        # One scheduler enqueued it, the other found the day claimed.
        assert both.count(f"{job}: enqueued for {today}") == 1, both
        assert both.count(f"{job}: {today} enqueued already") == 1, both


def test_a_digest_task_killed_half_way_is_run_again_by_another_worker_and_nobody_gets_two(
    tmp_path, settings
):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    db = ExternalDatabase(tmp_path)
    db.env |= {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        "DAILYPAPERS_BASE_URL": "https://papers.example.org",
        "DAILYPAPERS_DIGEST_RETRY_DELAY": "0.01",
        # A worker silent for 3 s is dead: its tasks go to the next one.
        "DAILYPAPERS_WORKER_LOST_SECONDS": "3",
        "DAILYPAPERS_MODEL_DIR": str(settings.MODEL_DIR),
        "DAILYPAPERS_EMBEDDING_CACHE": str(settings.EMBEDDING_CACHE),
    }
    populated = db.run("shell", "-c", POPULATE)
    assert populated.returncode == 0, populated.stderr
    task = f"SELECT status FROM {TASKS} WHERE task_path LIKE '%.send_digests'"
    try:
        first = started(db, "worker", "--queues", "default")
        # SIGKILL at the next message once KILLED_AFTER are in: half-way through the task.
        inbox.kill_pid, inbox.kill_after = first.pid, KILLED_AFTER
        first_output = first.communicate(timeout=120)[0]
        assert first.returncode == -9, first_output
        assert len(inbox.messages) == KILLED_AFTER
        assert db.scalar(task) == "RUNNING"  # as the dead worker left it
        second = started(db, "worker", "--queues", "default")
        try:
            wait_for(lambda: db.scalar(task) == "SUCCESSFUL", "the task to run again", second)
        finally:
            second_output = stopped(second)
    finally:
        controller.stop()

    assert "its worker stopped; queued to run again" in second_output, second_output
    # Started by the killed worker, then by the second (a JSON list, text on SQLite).
    worker_ids = db.scalar(f"SELECT worker_ids FROM {TASKS} WHERE task_path LIKE '%.send_digests'")
    worker_ids = json.loads(worker_ids) if isinstance(worker_ids, str) else worker_ids
    assert len(set(worker_ids)) == 2
    # Every subscriber has the day's digest once: a kill between a message's delivery and
    # its record may deliver it again, as the same message (one Message-ID).
    message_ids: dict[str, set[str]] = {}
    for received in inbox.messages:
        for address in received.recipients:
            message_ids.setdefault(address, set()).add(received.message["Message-ID"])
    assert {address: len(ids) for address, ids in message_ids.items()} == {
        f"reader{n}@example.org": 1 for n in range(SUBSCRIBERS)
    }
    sent = (
        f"SELECT COUNT(*) FROM digests_digest WHERE period = 'daily:{THURSDAY}' AND status = 'sent'"
    )
    assert db.scalar(sent) == SUBSCRIBERS


def test_a_sync_task_killed_half_way_is_run_again_and_continues_after_the_last_whole_day(
    tmp_path, settings, hf_api, arxiv_stand_in
):
    days = [str(hf_today() - timedelta(days=n)) for n in (3, 2, 1)]
    for n, day in enumerate(days):
        rows = [hf_row(f"2511.{n}000{k}", day) for k in (1, 2)]
        hf_api.add(rows)
        for row in rows:
            arxiv_stand_in.papers[row["id"]] = arxiv_row(row["id"])
    # The worker is killed while it waits for the second day: the first is stored.
    hf_api.hold_day = days[1]
    db = ExternalDatabase(tmp_path)
    db.env |= stand_in_environment(settings) | {
        "DAILYPAPERS_SYNC_HF": "1",
        "DAILYPAPERS_SYNC_HF_TIME": "00:00",
        "DAILYPAPERS_HARVEST_DAYS": "3",
        "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0",
        "DAILYPAPERS_WORKER_LOST_SECONDS": "3",
    }
    task = f"SELECT status FROM {TASKS} WHERE task_path LIKE '%.sync_hf'"
    listings = "SELECT COUNT(*) FROM papers_dailylisting"
    first = started(db, "worker", "--queues", "default")
    try:
        wait_for(hf_api.held.is_set, "the sync to reach the second day", first)
        first.kill()
        first.communicate(timeout=60)
    finally:
        stopped(first)
    assert db.scalar(task) == "RUNNING" and db.scalar(listings) == 2
    asked_for_the_first_day = hf_api.requests.count((days[0], 0))
    hf_api.hold_day = ""
    hf_api.release.set()
    second = started(db, "worker", "--queues", "default")
    try:
        wait_for(lambda: db.scalar(task) == "SUCCESSFUL", "the sync to run again", second)
    finally:
        output = stopped(second)

    assert "its worker stopped; queued to run again" in output, output
    # Every listing once, and the run again started after the day the killed one stored.
    assert db.scalar(listings) == 6
    assert db.scalar("SELECT COUNT(*) FROM papers_paper WHERE version > 0") == 6
    assert hf_api.requests.count((days[0], 0)) == asked_for_the_first_day
    assert db.scalar("SELECT COUNT(*) FROM workers_scheduleclaim WHERE job = 'sync-hf'") == 1
