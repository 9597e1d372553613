"""Shared set-up for benchmarks: a throw-away dailypapers database and data dir.

Import this module before Django: it points the settings at a temporary data
dir (and, with a PostgreSQL URL, a new database that is dropped at exit).
"""

import argparse
import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
# Embeddings are slow to compute and the same every run: keep them between runs.
EMBEDDING_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "dailypapers/embedding-cache.sqlite3"
)


def require(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"skipped: {path} not found (benchmarks read ../shared/data)")
    return path


def setup(postgres: str | None = None) -> str:
    """Configure and start Django on a fresh database; return its label."""
    data_dir = tempfile.mkdtemp(prefix="dailypapers-bench-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["DAILYPAPERS_DATA_DIR"] = data_dir
    os.environ.setdefault("DAILYPAPERS_EMBEDDING_CACHE", str(EMBEDDING_CACHE))
    os.environ.pop("DATABASE_URL", None)
    label = "sqlite"
    if postgres:
        name = f"dailypapers_bench_{os.getpid()}"
        admin = f"{postgres.rstrip('/')}/postgres"
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
        drop = ["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"]
        atexit.register(subprocess.run, drop)
        os.environ["DATABASE_URL"] = f"{postgres.rstrip('/')}/{name}"
        label = "postgresql"
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return label


def analyze() -> None:
    """On PostgreSQL, gather the planner's statistics of the freshly loaded tables, as
    autovacuum does in a deployment (the benchmark server here runs without it): a table
    never analysed gets plans made for an empty one (a 400 ms author prefetch)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def copy_catalog(source: Path, target: Path) -> None:
    """A consistent copy of a data dir's SQLite catalog (the source may be in use) and its
    keyword index, for a benchmark that writes: the source is never changed."""
    src = sqlite3.connect(f"file:{source / 'dailypapers.sqlite3'}?mode=ro", uri=True)
    dst = sqlite3.connect(target / "dailypapers.sqlite3")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(source / "index" / "keyword", target / "index" / "keyword")


def embed_missing_at_random(seed: int = 5) -> int:
    """Store a random unit vector for every paper the copied catalog has no embedding
    of, and every embedded paper's terms as `dailypapers index` stores them; return how
    many vectors. For speed figures only: a ranking costs the same whatever the
    vectors hold, and embedding the whole corpus takes 20 minutes on an idle machine
    (`dailypapers index` stores the model's, which this leaves as they are)."""
    import numpy as np
    from django.db import transaction

    from dailypapers.papers.models import Paper
    from dailypapers.search.backends import embedder
    from dailypapers.search.embeddings import paper_text, text_hash
    from dailypapers.search.indexing import store_missing_terms
    from dailypapers.search.models import PaperEmbedding

    model = embedder()
    missing = list(
        Paper.objects.filter(embedding__isnull=True).values_list("arxiv_id", "title", "abstract")
    )
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(missing), model.dim)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with transaction.atomic():
        PaperEmbedding.objects.bulk_create(
            (
                PaperEmbedding(
                    paper_id=arxiv_id,
                    model=model.name,
                    text_hash=text_hash(paper_text(title, abstract)),
                    vector=vector.tobytes(),
                )
                for (arxiv_id, title, abstract), vector in zip(missing, vectors, strict=True)
            ),
            batch_size=5000,
        )
    store_missing_terms()
    return len(missing)


def add_copy_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data`` (a data dir where `import` and `index` ran) and ``--random-vectors``."""
    parser.add_argument("--data", type=Path, default=Path("/tmp/dpbench"))
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="papers not embedded yet get a random vector (speed only: `index` takes 20 min)",
    )


@contextmanager
def copied_data_dir(args: argparse.Namespace, prefix: str, **environment: str) -> Iterator[Path]:
    """Django set up on a copy of ``args.data`` (SQLite, removed afterwards), with
    ``environment`` set; papers without an embedding get a random one with
    ``--random-vectors``."""
    if not (args.data / "dailypapers.sqlite3").exists():
        raise SystemExit(f"skipped: no catalog in {args.data} (run import and index there first)")
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        copy_catalog(args.data, data_dir)
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(
            DAILYPAPERS_DATA_DIR=str(data_dir),
            DJANGO_SETTINGS_MODULE="dailypapers.settings",
            **environment,
        )
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        if args.random_vectors:
            print(f"{embed_missing_at_random()} papers not embedded got a random vector")
        yield data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
