"""The "For you" page and API through `dailypapers serve` (gunicorn), at 100k papers.

    .venv/bin/python bench/for_you_serve.py [--data /tmp/dpbench] [--readers 100]

Reads a data dir where `dailypapers import` (arxiv-cs + hf-daily) and `index` ran
(the papers' embeddings stored): its catalog and keyword index are copied to a
temporary dir first (the source is never written). ``--readers`` accounts are
added, each with 500 upvotes on papers published before the window (drawn at
random, seeded), a followed category, an API token and a signed-in session. The
window is the corpus's densest 7 days, as in bench/recommend.py's in-process
figures, asked for with ``since`` and ``until``.

`serve` runs with its default workers; every worker prepares the window first
(a warm-up reader's requests, many at once). Then each reader, on a connection
of their own (kept alive, so the same worker answers), asks twice for
`GET /api/me/for-you` and then on a new connection twice for `/papers/for-you`:
the first time a worker ranks a reader it analyses the words of their 500
papers; the second, it has them. The baselines, on the same connections and
measured in the same run: `GET /api/papers/{id}` (one row), and for the page
`/papers/new` signed in (30 cards, as the page shows: what rendering a signed-in
reader's cards costs on any list).
"""

import argparse
import http.client
import math
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import harness
from http_load import free_port, wait_for

LIKED = 500
WINDOW_DAYS = 7
BASELINE = "/api/papers/2403.01779"
# A list page of as many cards, for the same signed-in reader: what rendering cards costs.
CARDS_BASELINE = "/papers/new"


def densest_window() -> tuple[date, date]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT published, COUNT(*) FROM papers_paper "
            "WHERE published IS NOT NULL GROUP BY published"
        )
        per_day = {date.fromisoformat(str(day)): count for day, count in cursor.fetchall()}
    first, last = min(per_day), max(per_day)
    starts = [first + timedelta(days=n) for n in range((last - first).days - WINDOW_DAYS)]
    start = max(
        starts, key=lambda s: sum(per_day.get(s + timedelta(days=n), 0) for n in range(WINDOW_DAYS))
    )
    return start, start + timedelta(days=WINDOW_DAYS - 1)


def add_readers(count: int, before: date, seed: int = 17) -> list[tuple[str, str]]:
    """``count`` readers with their upvotes and follow; each one's (API token, session key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from dailypapers.community.models import ApiToken
    from dailypapers.library.models import Follow
    from dailypapers.papers.models import Paper, Upvote

    older = list(
        Paper.objects.filter(published__lt=before).values_list("arxiv_id", "primary_category")
    )
    rng = random.Random(seed)
    now = timezone.now()
    credentials = []
    for n in range(count):
        user = User.objects.create_user(f"bench-reader-{n}", f"reader{n}@bench.example.org")
        liked = rng.sample(older, LIKED)
        Upvote.objects.bulk_create(
            Upvote(user=user, paper_id=arxiv_id, created_at=now - timedelta(hours=i))
            for i, (arxiv_id, _) in enumerate(liked)
        )
        Follow.objects.create(user=user, kind="category", value=liked[0][1] or "cs.LG")
        _, token = ApiToken.objects.issue(user, "bench")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        credentials.append((token, session.session_key))
    return credentials


def timed_get(connection: http.client.HTTPConnection, path: str, headers: dict) -> float:
    """Milliseconds to get ``path``'s whole answer, which must be a 200."""
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
    return elapsed


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[math.ceil(0.95 * len(times)) - 1]
    return f"p50 {statistics.median(times):5.1f} ms, p95 {p95:5.1f} ms, max {times[-1]:6.1f} ms"


def measure(port: int, credentials: list[tuple[str, str]], window: tuple[date, date]) -> None:
    since, until = (day.isoformat() for day in window)
    api = f"/api/me/for-you?since={since}&until={until}"
    page = f"/papers/for-you?since={since}&until={until}"
    (warm_token, warm_session), *readers = credentials

    def warm(_: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        timed_get(connection, api, {"Authorization": f"Bearer {warm_token}"})
        timed_get(connection, page, {"Cookie": f"sessionid={warm_session}"})
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(warm, range(48)))
    print(f"warm-up (every worker prepares the window): {time.perf_counter() - started:.1f} s")

    figures: dict[str, list[float]] = {
        name: []
        for name in ("api first", "api again", "one row", "page first", "page again", "30 cards")
    }
    for token, session in readers:
        for kind, path, headers in (
            ("api", api, {"Authorization": f"Bearer {token}"}),
            ("page", page, {"Cookie": f"sessionid={session}"}),
        ):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            figures[f"{kind} first"].append(timed_get(connection, path, headers))
            figures[f"{kind} again"].append(timed_get(connection, path, headers))
            if kind == "api":
                figures["one row"].append(timed_get(connection, BASELINE, {}))
            else:
                figures["30 cards"].append(timed_get(connection, CARDS_BASELINE, headers))
            connection.close()
    print(
        f"{len(readers)} readers, {LIKED} upvoted papers each, window {since} to {until} "
        f"(load average {os.getloadavg()[0]:.1f}):"
    )
    compared = {"api": "one row", "page": "30 cards"}
    for name, times in figures.items():
        line = f"  {name:<11} {percentiles(times)}"
        baseline = compared.get(name.split()[0])
        if baseline:
            ratio = statistics.median(times) / statistics.median(figures[baseline])
            line += f"  (p50 {ratio:4.1f}× {baseline})"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_copy_arguments(parser)
    parser.add_argument("--readers", type=int, default=100)
    args = parser.parse_args()
    with harness.copied_data_dir(args, "dailypapers-bench-for-you-"):
        window = densest_window()
        started = time.perf_counter()
        credentials = add_readers(args.readers + 1, before=window[0])
        print(
            f"{args.readers + 1} readers added in {time.perf_counter() - started:.0f} s "
            f"({datetime.now():%Y-%m-%d %H:%M})"
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--no-indexer"],
            env=os.environ,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}{BASELINE}")
            measure(port, credentials, window)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
