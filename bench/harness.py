"""Shared set-up for benchmarks: a throw-away dailypapers database and data dir.

Import this module before Django: it points the settings at a temporary data
dir (and, with a PostgreSQL URL, a new database that is dropped at exit).
"""

import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
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


def copy_catalog(source: Path, target: Path) -> None:
    """A consistent copy of a data dir's SQLite catalog (the source may be in use) and its
    keyword index, for a benchmark that writes: the source is never changed."""
    src = sqlite3.connect(f"file:{source / 'dailypapers.sqlite3'}?mode=ro", uri=True)
    dst = sqlite3.connect(target / "dailypapers.sqlite3")
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(source / "index" / "keyword", target / "index" / "keyword")
