"""A real SMTP server (aiosmtpd) on a local port, and a small catalog to digest."""

import email
import os
import signal
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from dailypapers.conftest import free_port
from dailypapers.digests.models import Subscription
from dailypapers.library.models import Follow, FollowList
from dailypapers.papers.models import Author, Authorship, DailyListing, Organization, Paper

# A Friday: daily and weekly digests are both due.
DAY = date(2026, 11, 27)


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        return self.message.get_body(preferencelist=(subtype,)).get_content()


@dataclass
class Inbox:
    """The handler: keeps what it accepts; tests set how it misbehaves."""

    messages: list[Received] = field(default_factory=list)
    # Address -> reply to RCPT TO, e.g. "550 5.1.1 no such user".
    refuse: dict[str, str] = field(default_factory=dict)
    # Answer DATA with "451 try again" this many times.
    temporary_failures: int = 0
    # Once this many messages are accepted, drop the connection at DATA
    # (``drops`` times; -1: every time from then on).
    drop_after: int | None = None
    drops: int = 1
    # Once this many messages are accepted, SIGKILL this process at the next MAIL FROM.
    kill_after: int | None = None
    kill_pid: int | None = None

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.recipients]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.kill_pid and self.kill_after is not None and len(self.messages) >= self.kill_after:
            os.kill(self.kill_pid, signal.SIGKILL)
            self.kill_pid = None
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temporary_failures:
            self.temporary_failures -= 1
            return "451 4.3.0 try again later"
        if self.drop_after is not None and len(self.messages) >= self.drop_after and self.drops:
            self.drops -= 1
            server.transport.close()
            return "421 4.3.0 closing"
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp(settings, tmp_path) -> Inbox:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "digest@papers.example.org"
    settings.BASE_URL = "https://papers.example.org"
    settings.DIGEST_RETRY_DELAY = 0.01
    settings.DIGEST_LOCK_FILE = tmp_path / "digest-send.lock"
    yield inbox
    controller.stop()


def make_paper(arxiv_id: str, *, upvotes: int = 0, listed: date | None = None, **fields) -> Paper:
    authors = fields.pop("authors", ["Ada Lovelace", "Alan Turing"])
    fields.setdefault("title", f"A study of {arxiv_id}")
    fields.setdefault("abstract", f"We study {arxiv_id} carefully. It works well.")
    fields.setdefault("categories", "cs.LG cs.CL")
    fields.setdefault("primary_category", fields["categories"].split()[0])
    fields.setdefault("published", DAY - timedelta(days=1))
    paper = Paper.objects.create(arxiv_id=arxiv_id, upvotes=upvotes, **fields)
    for position, name in enumerate(authors):
        author, _ = Author.objects.get_or_create(name=name)
        Authorship.objects.create(paper=paper, author=author, position=position)
    if listed:
        DailyListing.objects.create(paper=paper, date=listed)
    return paper


@pytest.fixture
def catalog(db) -> dict:
    """Trending papers listed on DAY, and new papers from an organization and an author."""
    acme = Organization.objects.create(slug="acme", name="Acme Research")
    papers = {
        "hot": make_paper("2611.00001", upvotes=90, listed=DAY, title="Hot paper\n  on attention"),
        "warm": make_paper("2611.00002", upvotes=40, listed=DAY, organization=acme),
        "cool": make_paper("2611.00003", upvotes=5, listed=DAY - timedelta(days=1)),
        "acme": make_paper("2611.00004", organization=acme, title="Acme's quantization method"),
        "grace": make_paper("2611.00005", authors=["Grace Hopper"], categories="cs.PL"),
        "robots": make_paper(
            "2611.00006",
            categories="cs.RO",
            title="Robots that fold laundry",
            abstract="A gripper that folds laundry with tactile sensing.",
        ),
    }
    return papers


def subscriber(address: str, follows: list[tuple[str, str]] = (), **fields) -> Subscription:
    """An active subscription, covering what the catalog added before the last day."""
    fields.setdefault("confirmed_at", timezone.now() - timedelta(days=2))
    fields.setdefault("covered_until", timezone.now() - timedelta(days=1))
    if not fields.get("user"):
        fields["follow_list"] = FollowList.objects.create()
    subscription = Subscription.objects.create(email=address, **fields)
    owner = (
        {"user": subscription.user}
        if subscription.user
        else {"follow_list": subscription.follow_list}
    )
    for kind, value in follows:
        Follow.objects.create(**owner, kind=kind, value=value)
    return subscription
