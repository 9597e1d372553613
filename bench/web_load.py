"""Website throughput with the production server (gunicorn via `dailypapers serve`) and wrk.

    DAILYPAPERS_DATA_DIR=/tmp/dpbench .venv/bin/python bench/web_load.py [--seconds 20]

Needs a data dir holding the 100k corpus, the 10k real listings and the search
indexes (docs/benchmarks.md), and Debian's `wrk`. Measures the daily page and
the paper page as an anonymous reader sees them; the static stylesheet (no
Django view) is the baseline the pages are compared to.
"""

import argparse
import os

from http_load import measure

ENDPOINTS = [
    ("static file (baseline)", "/static/web/site.css"),
    ("daily page", "/papers/date/2024-03-05"),
    ("busiest day", "/papers/date/{busiest}"),
    ("week page", "/papers/week/2025-W20"),
    ("trending page", "/papers/trending"),
    ("paper page", "/papers/2403.01779"),
]


def busiest_day() -> str:
    """The day with the most listings in the data dir (the worst case for a day page)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    django.setup()
    from django.db.models import Count

    from dailypapers.papers.models import DailyListing

    row = DailyListing.objects.values("date").annotate(n=Count("id")).order_by("-n").first()
    print(f"busiest day: {row['date']} with {row['n']} listings")
    return row["date"].isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    busiest = busiest_day()
    measure([(name, path.format(busiest=busiest)) for name, path in ENDPOINTS], args.seconds)


if __name__ == "__main__":
    main()
