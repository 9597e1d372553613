"""How far the embeddings have got: recorded as papers are embedded, logged beside the server."""

import re
from io import StringIO

import pytest
from rich.console import Console

from dailypapers.search import indexing, progress
from dailypapers.search.indexing import after_catalog_change, embed_pending
from dailypapers.search.management.commands.index import Command as Index
from dailypapers.search.progress import Progress

from .conftest import make_corpus

pytestmark = pytest.mark.django_db


def test_each_batch_records_the_count_and_the_rate_and_the_end_drops_the_rate():
    make_corpus()
    seen = []
    embed_pending(batch_size=4, on_batch=lambda n, recorded: seen.append(progress.current()))
    assert [(p.embedded, p.total) for p in seen] == [(4, 10), (8, 10), (10, 10)]
    assert all(p.per_second > 0 for p in seen)
    assert progress.current() == Progress(10, 10, None)
    assert progress.current().complete


def test_an_import_too_large_to_embed_inline_records_the_coverage_it_leaves(monkeypatch):
    make_corpus()
    monkeypatch.setattr(indexing, "EMBED_INLINE_UP_TO", 5)
    after_catalog_change()
    assert progress.current() == Progress(0, 10, None)
    assert progress.current().page_notice() == (
        "Semantic search covers 0 of 10 papers (0%) so far. The others are found by their keywords."
    )


@pytest.mark.parametrize(
    "embedded, per_second, left",
    [
        (99_000, 1.5, "about 11 min left"),
        (99_999, 10.0, "less than a minute left"),
        (88_000, 2.0, "about 1 h 40 min left"),
        (35_000, 10.0, "about 1 h 50 min left"),
        (28_000, 10.0, "about 2 h left"),
        (0, 0.5, "about 2 days left"),
        (50_000, None, ""),
        (100_000, 10.0, ""),
    ],
)
def test_time_left_is_said_roughly(embedded, per_second, left):
    assert Progress(embedded, 100_000, per_second).time_left() == left


def test_percent_never_rounds_up_to_done():
    assert Progress(99_999, 100_000).counts() == "99,999 of 100,000 papers (99%)"


def test_beside_a_web_server_the_indexer_logs_progress_lines_with_the_time_left():
    """Under --watch (what serve runs) the output is the server's log: lines, not a bar."""
    make_corpus()
    out = StringIO()
    Index(stdout=out, stderr=StringIO()).catch_up(
        Console(file=StringIO()), False, False, batch_size=4, log_lines=True
    )
    lines = out.getvalue().splitlines()
    # The first batch at once; the next lines a minute apart (LOG_EVERY).
    assert re.fullmatch(
        r"Embeddings: 4 of 10 papers \(40%\), [\d.]+ papers/s, "
        r"(about \d+ min|less than a minute) left",
        lines[1],
    ), lines
    assert lines[2] == "Embeddings: 10 papers embedded"
