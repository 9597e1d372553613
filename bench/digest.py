"""Email digests: compose and send 10,000 digests over the 100k corpus to a local SMTP sink.

    .venv/bin/python bench/digest.py [--data /tmp/dpbench] [--subscribers 10000]
        [--accounts 1.0] [--workers 2]

Reads a data dir where `dailypapers import` (arxiv-cs + hf-daily) and `index`
ran: its SQLite catalog and keyword index are copied to a temporary dir first
(the source is never written). The corpus was imported at once, so each
paper's ``added_at`` is set to the day after its publication, as a daily
harvest would have it; the digest day is the newest listed weekday. Subscribers
get seeded random preferences: daily (80 %) or weekly, 3 to 20 papers, 0-3
categories, 0-2 authors, 0-2 saved searches. A share ``--accounts`` of them
(all, by default) are accounts: their follows are the account's, and their
digest ends with a "For you" section ranked from the account's upvotes, 10 to
500 papers of the 90 days before (Pareto-distributed: median 20). The SMTP sink is aiosmtpd in a
process of its own, so it does not share the sender's interpreter.

The send runs with ``--workers`` processes (default: one per core). Two
baselines from the same run, both in one process: composing alone (``digest
send --dry-run``: every query, no rendering, SMTP or bookkeeping), and the SMTP
transport alone (as many digest-sized messages over one connection).
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta

import harness

SINK = """
import sys
from aiosmtpd.controller import Controller

class Count:
    messages = 0
    octets = 0
    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.octets += len(envelope.original_content)
        return "250 OK"

handler = Count()
controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(handler.messages, handler.octets, flush=True)
"""

QUERIES = [
    "diffusion models",
    "large language models",
    "reinforcement learning from human feedback",
    "graph neural networks",
    "vision transformer",
    "retrieval augmented generation",
    "speculative decoding",
    "mixture of experts",
    "quantization",
    "federated learning",
    "neural radiance fields",
    "gaussian splatting",
    "code generation",
    "chain of thought",
    "contrastive learning",
    "object detection",
    "speech recognition",
    "time series forecasting",
    "protein structure",
    "autonomous driving",
    "robot manipulation",
    "knowledge distillation",
    "in-context learning",
    "instruction tuning",
    "multimodal reasoning",
    "video generation",
    "adversarial robustness",
    "differential privacy",
    "hallucination",
    "agents tool use",
]


def start_sink() -> tuple[subprocess.Popen, int]:
    from dailypapers.digests.tests.conftest import free_port

    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def stop_sink(sink: subprocess.Popen) -> tuple[int, int]:
    out, _ = sink.communicate("")
    messages, octets = out.split()
    return int(messages), int(octets)


def prepare(subscribers: int, accounts: float, seed: int = 6):
    """Digest day, cutoff, and the subscribers with their follows; a share ``accounts``
    of them are accounts, with upvotes that their "For you" section learns from."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from dailypapers.digests.models import Subscription
    from dailypapers.library.models import Follow, FollowList
    from dailypapers.papers.models import Upvote
    from dailypapers.papers.trending import newest_listed_day

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE papers_paper SET added_at = datetime(published, '+1 day', '+6 hours') "
            "WHERE published IS NOT NULL"
        )
    day = newest_listed_day()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    cutoff = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=7))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT primary_category FROM papers_paper WHERE primary_category != '' "
            "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 40"
        )
        categories = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT DISTINCT a.name FROM papers_author a "
            "JOIN papers_authorship s ON s.author_id = a.id "
            "JOIN papers_paper p ON p.arxiv_id = s.paper_id "
            "WHERE p.published BETWEEN %s AND %s ORDER BY a.name LIMIT 500",
            [day - timedelta(days=10), day],
        )
        authors = [row[0] for row in cursor.fetchall()]
        # What readers upvoted: the papers of the 90 days before the digest's window.
        cursor.execute(
            "SELECT arxiv_id FROM papers_paper WHERE published BETWEEN %s AND %s",
            [day - timedelta(days=97), day - timedelta(days=8)],
        )
        upvotable = [row[0] for row in cursor.fetchall()]
    rng = random.Random(seed)
    with_account = [rng.random() < accounts for _ in range(subscribers)]
    users = iter(
        User.objects.bulk_create(
            [User(username=f"reader{n}") for n in range(subscribers) if with_account[n]],
            batch_size=2000,
        )
    )
    lists = iter(FollowList.objects.bulk_create([FollowList() for a in with_account if not a]))
    rows, follows, upvotes = [], [], []
    for n in range(subscribers):
        weekly = rng.random() < 0.2
        user = next(users) if with_account[n] else None
        rows.append(
            Subscription(
                email=f"reader{n}@bench.example.org",
                frequency="weekly" if weekly else "daily",
                paper_count=rng.choice((3, 5, 10, 20)),
                confirmed_at=cutoff - timedelta(days=30),
                covered_until=cutoff - timedelta(days=7 if weekly else 1),
                user=user,
                follow_list=None if user else next(lists),
            )
        )
        chosen = (
            [("category", c) for c in rng.sample(categories, rng.randint(0, 3))]
            + [("author", a) for a in rng.sample(authors, rng.randint(0, 2))]
            + [("query", q) for q in rng.sample(QUERIES, rng.randint(0, 2))]
        )
        owner = {"user": user} if user else {"follow_list": rows[-1].follow_list}
        follows += [Follow(**owner, kind=kind, value=value) for kind, value in chosen]
        if user:
            # From a handful to more than the digest reads (its newest FOR_YOU_LIKED).
            count = min(500, len(upvotable), int(rng.paretovariate(1) * 10))
            liked = rng.sample(upvotable, count)
            upvotes += [Upvote(user=user, paper_id=arxiv_id) for arxiv_id in liked]
    Subscription.objects.bulk_create(rows, batch_size=2000)
    Follow.objects.bulk_create(follows, batch_size=5000)
    Upvote.objects.bulk_create(upvotes, batch_size=5000)
    print(
        f"{sum(with_account)} of {subscribers} subscribers are accounts, with "
        f"{len(upvotes)} upvotes ({len(upvotes) / max(sum(with_account), 1):.0f} each on average)"
    )
    return day, cutoff


def transport_only(count: int, size: int) -> float:
    """Seconds to push ``count`` messages of ``size`` bytes over one SMTP connection."""
    from django.core.mail import EmailMessage, get_connection

    sink, port = start_sink()
    backend = get_connection(port=port)
    backend.open()
    body = "x" * 76 + "\n"
    message = EmailMessage("s", body * (size // 77), "a@example.org", ["b@example.org"])
    start = time.perf_counter()
    for _ in range(count):
        backend.send_messages([message])
    elapsed = time.perf_counter() - start
    backend.close()
    stop_sink(sink)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_copy_arguments(parser)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--accounts", type=float, default=1.0, help="the share of subscribers with an account"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="digest send --workers"
    )
    args = parser.parse_args()
    environment = {"DAILYPAPERS_BASE_URL": "https://papers.example.org", "EMAIL_HOST": "127.0.0.1"}
    with harness.copied_data_dir(args, "dailypapers-bench-digest-", **environment):
        from django.conf import settings

        day, cutoff = prepare(args.subscribers, args.accounts)
        from dailypapers.digests.models import Digest
        from dailypapers.digests.sending import send_due

        start = time.perf_counter()
        dry = send_due(today=day, now=cutoff, dry_run=True)
        compose_only = time.perf_counter() - start

        sink, settings.EMAIL_PORT = start_sink()
        os.environ["EMAIL_PORT"] = str(settings.EMAIL_PORT)  # for the workers
        start = time.perf_counter()
        report = send_due(today=day, now=cutoff, workers=args.workers)
        elapsed = time.perf_counter() - start
        received, octets = stop_sink(sink)
        assert received == report.sent == dry.sent, (received, report, dry)

        sink, settings.EMAIL_PORT = start_sink()
        start = time.perf_counter()
        again = send_due(today=day, now=cutoff)
        rerun = time.perf_counter() - start
        assert stop_sink(sink)[0] == again.sent == 0

        transport = transport_only(report.sent, octets // max(report.sent, 1))
        papers = sum(len(ids.split()) for ids in Digest.objects.values_list("paper_ids", flat=True))
        print(
            f"digests {day}: {args.subscribers} subscribers -> {report.sent} sent, "
            f"{report.empty} empty, {papers} paper entries, {octets / 2**20:.0f} MB"
        )
        print(
            f"send all      {elapsed:6.1f} s = {report.sent / elapsed:5.0f} digests/s "
            f"with {args.workers} worker(s) (target <= 60 s)"
        )
        print(f"compose only  {compose_only:6.1f} s (dry run)")
        print(f"SMTP only     {transport:6.1f} s ({report.sent} messages of the same size)")
        print(
            f"send all / (compose + SMTP) = {elapsed / (compose_only + transport):.2f}; "
            f"re-run sends nothing in {rerun:.1f} s"
        )


if __name__ == "__main__":
    main()
