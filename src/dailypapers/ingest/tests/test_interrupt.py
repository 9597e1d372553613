"""An import killed half-way keeps its finished batches, and completes and brings search
level when run again."""

import signal
import subprocess
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rich.console import Console

from dailypapers.conftest import ExternalDatabase, arxiv_row
from dailypapers.ingest.importer import import_file
from dailypapers.papers.models import Paper
from dailypapers.search import backends
from dailypapers.search.indexing import pending_embeddings
from dailypapers.search.keyword_tantivy import TantivyIndex

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 20_000
HALF_WRITTEN = (
    "SELECT COUNT(*) FROM papers_paper p WHERE NOT EXISTS "
    "(SELECT 1 FROM papers_authorship a WHERE a.paper_id = p.arxiv_id)"
)


def hear_ctrl_c() -> None:
    # A test run started in the background by a shell without job control (`make test &`
    # in a script) ignores SIGINT, and so would the import it starts: Python raises
    # KeyboardInterrupt only where SIGINT was not ignored when it started.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_and_stop_import(db: ExternalDatabase, path: Path, stop_signal: int):
    process = subprocess.Popen(
        db.command("import", path, "--batch-size", "250"),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=hear_ctrl_c,
    )
    deadline = time.monotonic() + 120
    while db.papers() < 1000:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import committed nothing in time"
        time.sleep(0.05)
    process.send_signal(stop_signal)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


@pytest.mark.parametrize(
    "stop_signal", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["kill-9", "ctrl-c", "kill"]
)
def test_interrupted_import_loses_nothing_and_resumes(tmp_path, write_jsonl, stop_signal):
    path = write_jsonl("big.jsonl", [arxiv_row(f"2403.{n:05d}") for n in range(1, ROWS + 1)])
    db = ExternalDatabase(tmp_path)

    returncode, _, err = start_and_stop_import(db, path, stop_signal)
    kept = db.papers()
    assert 0 < kept < ROWS, "stop the import half-way"
    assert db.scalar(HALF_WRITTEN) == 0
    if stop_signal != signal.SIGKILL:
        assert returncode == 130
        assert "Interrupted: every finished batch is saved" in err

    rerun = db.run("import", path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{ROWS - kept} new, 0 updated, {kept} unchanged, 0 rejected" in rerun.stdout
    assert db.papers() == ROWS
    assert "nothing changed" in db.run("import", path).stdout
    # What the stopped run indexed and did not commit, the re-run indexed: each paper once.
    keyword = TantivyIndex(Path(db.env["DAILYPAPERS_DATA_DIR"]) / "index" / "keyword")
    assert sorted(keyword.ids()) == [f"2403.{n:05d}" for n in range(1, ROWS + 1)]


def catalog_ids() -> list[str]:
    return sorted(Paper.objects.values_list("pk", flat=True))


def test_an_import_killed_before_updating_search_is_searchable_after_the_rerun(write_jsonl):
    path = write_jsonl("papers.jsonl", [arxiv_row(f"2403.{n:05d}") for n in range(1, 6)])
    # What a kill after the last batch, before the search update, leaves behind.
    import_file(path, console=Console(file=StringIO()))

    out = StringIO()
    call_command("import", str(path), stdout=out, stderr=StringIO())

    assert "nothing changed" in out.getvalue()
    assert sorted(backends.keyword_index().ids()) == catalog_ids()
    assert not pending_embeddings().exists()
