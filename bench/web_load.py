"""Website throughput with the production server (gunicorn via `dailypapers serve`) and wrk.

    DAILYPAPERS_DATA_DIR=/tmp/dpbench .venv/bin/python bench/web_load.py [--seconds 20]

Needs a data dir holding the 100k corpus, the 10k real listings and the search
indexes (docs/benchmarks.md), and Debian's `wrk`. Two parts:

1. Load: the daily page and the paper page as anonymous readers see them,
   under wrk; the static stylesheet (no Django view) is the baseline.
2. Latency without the page cache (a signed-in reader, or the first anonymous
   reader after a change), in-process, median and worst of 20 requests: the
   daily page, a paper page, and a day holding 500 listings (added inside a
   transaction that is rolled back, so the data dir is left as it was).
"""

import argparse
import os
import statistics
import time

from http_load import measure

ENDPOINTS = [
    ("static file (baseline)", "/static/web/site.css"),
    ("daily page", "/papers/date/2024-03-05"),
    ("busiest day", "/papers/date/{busiest}"),
    ("week page", "/papers/week/2025-W20"),
    ("trending page", "/papers/trending"),
    ("paper page", "/papers/2403.01779"),
]
BIG_DAY = "1999-12-31"


def busiest_day() -> str:
    """The day with the most listings in the data dir (the worst real case for a day page)."""
    from django.db.models import Count

    from dailypapers.papers.models import DailyListing

    row = DailyListing.objects.values("date").annotate(n=Count("id")).order_by("-n").first()
    print(f"busiest day: {row['date']} with {row['n']} listings")
    return row["date"].isoformat()


def timed(client, path: str, runs: int = 20) -> tuple[float, float]:
    from django.core.cache import cache

    times = []
    for _ in range(runs):
        cache.clear()
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times)


def uncached_latency(busiest: str) -> None:
    from datetime import date

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client

    from dailypapers.papers.models import DailyListing, Paper

    client = Client()
    with transaction.atomic():
        client.force_login(User.objects.create_user("bench-reader"))
        unlisted = Paper.objects.filter(listing__isnull=True, version__gt=0)[:500]
        DailyListing.objects.bulk_create(
            DailyListing(paper=paper, date=date.fromisoformat(BIG_DAY)) for paper in unlisted
        )
        for name, path in [
            ("daily page", "/papers/date/2024-03-05"),
            ("busiest day", f"/papers/date/{busiest}"),
            ("day of 500 listings", f"/papers/date/{BIG_DAY}"),
            ("paper page", "/papers/2403.01779"),
        ]:
            median, worst = timed(client, path)
            print(f"{name:<22} uncached, signed in: median {median:6.1f} ms  worst {worst:6.1f} ms")
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--rate", type=int, default=300, help="then each path at this offered rate (0: skip)"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)  # as `serve` would, before the in-process part
    busiest = busiest_day()
    uncached_latency(busiest)
    measure(
        [(name, path.format(busiest=busiest)) for name, path in ENDPOINTS], args.seconds, args.rate
    )


if __name__ == "__main__":
    main()
