"""Papers known only from a daily listing are completed from arXiv in the background (the
``complete_pending`` task, scheduled by ``dailypapers worker``, which ``serve`` runs),
quietly while arXiv is down."""

import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from dailypapers.conftest import ExternalDatabase, arxiv_row
from dailypapers.ingest.tests.stand_ins import stand_in_environment

pytestmark = pytest.mark.django_db(transaction=True)

PENDING = "SELECT COUNT(*) FROM papers_paper WHERE version = 0"


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_worker_completes_pending_papers_once_arxiv_answers_and_says_so_once_while_down(
    tmp_path, write_jsonl, arxiv_stand_in, settings
):
    listed = write_jsonl(
        "hf-daily.jsonl",
        [
            {"date": "2024-03-04", "id": f"2403.0000{n}", "upvotes": n, "title": f"Listed {n}"}
            for n in (1, 2)
        ],
    )
    db = ExternalDatabase(tmp_path)
    db.env |= stand_in_environment(settings) | {
        "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0.005",  # a run every 0.3 s at most
        "PYTHONUNBUFFERED": "1",
    }
    assert db.run("import", listed).returncode == 0
    assert db.scalar(PENDING) == 2
    arxiv_stand_in.down = True
    watch = subprocess.Popen(
        db.command("worker", "--queues", "default"),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Read as it comes: the papers are stored before the line saying so is printed.
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watch.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: len(arxiv_stand_in.requests) >= 6, watch, "rounds while arXiv is down")
        for n in (1, 2):
            arxiv_stand_in.papers[f"2403.0000{n}"] = arxiv_row(f"2403.0000{n}")
        arxiv_stand_in.down = False
        # Up to the search index's line: stopped while it loads the embedding model,
        # the worker would end with the model's ImportError rather than quietly.
        wait_for(lambda: any("Search:" in line for line in lines), watch, "the completion")
    finally:
        watch.terminate()
        err = watch.communicate(timeout=60)[1]
        reader.join(timeout=10)
    out = "".join(lines)

    assert watch.returncode == 0, err
    assert db.scalar(PENDING) == 0
    assert err.count("papers stay pending") == 1, err
    assert "2 pending papers completed from arXiv, 0 still pending" in out
    assert db.scalar("SELECT COUNT(*) FROM papers_paper WHERE title = 'A study of 2403.00001'")
