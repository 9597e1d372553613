"""Fixtures shared by every app's tests."""

import gzip
import json
from pathlib import Path

import pytest


def arxiv_row(arxiv_id: str = "2403.01779", **fields) -> dict:
    """A record in the format of ../shared/data/arxiv-cs.jsonl.gz."""
    row = {
        "id": arxiv_id,
        "title": f"A study of {arxiv_id}",
        "abstract": "We propose a method. Code is available at https://github.com/acme/method.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "cs.CL"],
        "primary_category": "cs.LG",
        "published": "2024-03-04",
        "comment": "12 pages",
    }
    row.update(fields)
    return row


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write rows (dicts, or raw strings for broken lines) as JSON Lines, optionally gzipped."""

    def write(name: str, rows: list, *, gz: bool | None = None) -> Path:
        path = tmp_path / name
        text = "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
        if gz if gz is not None else name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        return path

    return write
