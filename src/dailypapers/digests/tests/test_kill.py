"""kill -9 in the middle of `dailypapers digest send`, then run it again: one copy each."""

import os
import signal
import subprocess

import pytest
from aiosmtpd.controller import Controller

from dailypapers.conftest import ExternalDatabase, free_port

from .conftest import DAY, Inbox

POPULATE = """
from datetime import date, timedelta
from django.utils import timezone
from dailypapers.digests.models import Subscription
from dailypapers.papers.models import DailyListing, Paper
day = date.fromisoformat("{day}")
for n in range(1, 4):
    paper = Paper.objects.create(arxiv_id=f"2611.0000{{n}}", title=f"Paper {{n}}", upvotes=n)
    DailyListing.objects.create(paper=paper, date=day)
for n in range(5):
    Subscription.objects.create(
        email=f"reader{{n}}@example.org",
        confirmed_at=timezone.now() - timedelta(days=2),
        covered_until=timezone.now() - timedelta(days=1),
    )
"""


@pytest.mark.django_db(transaction=True)
def test_killed_half_way_then_rerun_sends_every_digest_exactly_once(tmp_path):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        db = ExternalDatabase(tmp_path)
        db.env |= {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(controller.port),
            "DAILYPAPERS_BASE_URL": "https://papers.example.org",
            "DAILYPAPERS_DIGEST_RETRY_DELAY": "0.01",
        }
        populated = db.run("shell", "-c", POPULATE.format(day=DAY.isoformat()))
        assert populated.returncode == 0, populated.stderr
        # The server kills the sender when it starts its third message: two are
        # accepted and recorded, the third was being sent.
        inbox.kill_after = 2
        send = subprocess.Popen(
            db.command("digest", "send", "--date", DAY.isoformat()),
            env=db.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        inbox.kill_pid = send.pid
        assert send.wait(timeout=120) == -9
        assert len(inbox.messages) == 2
        sql = "SELECT COUNT(*) FROM digests_digest WHERE status = '{}'"
        assert (db.scalar(sql.format("sent")), db.scalar(sql.format("pending"))) == (2, 3)

        # The re-run splits the work over two processes, each sending its share.
        again = db.run("digest", "send", "--date", DAY.isoformat(), "--workers", "2")
        assert again.returncode == 0, again.stderr
        assert "3 sent" in again.stdout
        recipients = sorted(m.recipients[0] for m in inbox.messages)
        assert recipients == [f"reader{n}@example.org" for n in range(5)]
        assert db.scalar(sql.format("sent")) == 5
    finally:
        controller.stop()


class KillingOnAcceptance(Inbox):
    """Kills the sender as it accepts message number ``kill_after``, before the sender
    reads the "250": the one moment at which it cannot know that the message went out."""

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.kill_pid and len(self.messages) == self.kill_after:
            os.kill(self.kill_pid, signal.SIGKILL)
            self.kill_pid = None
        return reply


@pytest.mark.django_db(transaction=True)
def test_a_digest_delivered_again_after_a_kill_before_it_was_recorded_is_the_same_message(
    tmp_path,
):
    inbox = KillingOnAcceptance(kill_after=3)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        db = ExternalDatabase(tmp_path)
        db.env |= {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(controller.port)}
        populated = db.run("shell", "-c", POPULATE.format(day=DAY.isoformat()))
        assert populated.returncode == 0, populated.stderr
        send = subprocess.Popen(
            db.command("digest", "send", "--date", DAY.isoformat()),
            env=db.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        inbox.kill_pid = send.pid
        assert send.wait(timeout=120) == -9

        again = db.run("digest", "send", "--date", DAY.isoformat())
        assert again.returncode == 0, again.stderr
        assert "3 sent" in again.stdout
        messages = {f"reader{n}@example.org": set() for n in range(5)}
        for received in inbox.messages:
            messages[received.recipients[0]].add(received.message["Message-ID"])
        assert len(inbox.messages) == 6
        assert all(len(ids) == 1 for ids in messages.values()), messages
    finally:
        controller.stop()
