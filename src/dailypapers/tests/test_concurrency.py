"""What many clients do at once, against a live ``dailypapers serve`` with several workers."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from dailypapers.conftest import ExternalDatabase, arxiv_row

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(url: str, body: dict, token: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def create_user_with_token(db: ExternalDatabase, username: str) -> str:
    created = db.run(
        "shell",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.create_user({username!r})",
    )
    assert created.returncode == 0, created.stderr
    issued = db.run("token", "create", username, "--name", "load")
    assert issued.returncode == 0, issued.stderr
    return next(word for word in issued.stdout.split() if word.startswith("dp_"))


def test_twenty_parallel_submissions_by_one_user_stop_at_the_daily_limit(
    tmp_path, write_jsonl, campaign
):
    db = ExternalDatabase(tmp_path)
    today = date.today().isoformat()
    ids = [f"2411.{n:05d}" for n in range(20)]
    imported = db.run(
        "import", write_jsonl("recent.jsonl", [arxiv_row(i, published=today) for i in ids])
    )
    assert imported.returncode == 0, imported.stderr
    token = create_user_with_token(db, "eager")

    with (
        db.serving("--workers", "3", "--threads", "4", "--no-indexer") as site,
        ThreadPoolExecutor(20) as pool,
    ):
        statuses = list(
            pool.map(
                lambda i: post_json(f"{site.url}/api/daily_papers", {"arxivId": i}, token), ids
            )
        )

    limit = 5  # DAILYPAPERS_SUBMISSIONS_PER_DAY's default
    campaign.record(
        "20 parallel submissions by one user, 3 workers",
        f"{statuses.count(201)} accepted (limit {limit}), {statuses.count(429)} refused",
    )
    assert sorted(statuses) == [201] * limit + [429] * (20 - limit)
    assert db.scalar("SELECT COUNT(*) FROM papers_dailylisting") == limit
