"""Import throughput, re-import speed-up and peak memory on the real 100k corpus.

    .venv/bin/python bench/import_speed.py [--postgres postgres://postgres@127.0.0.1:5432/]

Each run is a fresh ``dailypapers import`` process into an empty database
(SQLite in a temporary data dir; with --postgres, a new database on that
server), timed end to end, the keyword-index sync it ends with included, then the
same file again: the re-import must change nothing, and its speed-up is the ratio
of the two times measured in this run. Run it two or three times: the machine is
shared, and the spread between runs is part of the figure.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    """Run a command; return (seconds, peak resident MB, stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def run(label: str, env: dict, data: Path) -> None:
    cli = [sys.executable, "-m", "dailypapers"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True)
    first, first_mb, out = timed([*cli, "import", str(data / "arxiv-cs.jsonl.gz")], env)
    papers = int(out.split(": ")[1].split(" new")[0])
    print(
        f"{label}: first import   {papers} papers in {first:6.1f} s = "
        f"{papers / first:7.0f} papers/s, peak {first_mb:5.0f} MB"
    )
    again, again_mb, out = timed([*cli, "import", str(data / "arxiv-cs.jsonl.gz")], env)
    assert "nothing changed" in out, out
    print(
        f"{label}: re-import      unchanged in {again:6.1f} s = {first / again:.1f}× faster, "
        f"peak {again_mb:5.0f} MB"
    )
    listed, listed_mb, out = timed([*cli, "import", str(data / "hf-daily.jsonl.gz")], env)
    print(
        f"{label}: daily listings {out.split(': ', 1)[1]} in {listed:.1f} s, "
        f"peak {listed_mb:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="server URL ending in '/'; a database is created")
    # A git worktree sits deeper than the checkout next to shared/: it names the folder.
    parser.add_argument("--data", type=Path, default=SHARED, help=f"default {SHARED}")
    args = parser.parse_args()
    if not (args.data / "arxiv-cs.jsonl.gz").exists():
        sys.exit(f"skipped: no arxiv-cs.jsonl.gz in {args.data} (benchmarks read ../shared/data)")
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "DAILYPAPERS_DATA_DIR": data_dir}
        env.pop("DATABASE_URL", None)
        run("sqlite    ", env, args.data)
        if args.postgres:
            name = f"dailypapers_bench_{os.getpid()}"
            admin = f"{args.postgres}postgres"
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
            try:
                run("postgresql", {**env, "DATABASE_URL": f"{args.postgres}{name}"}, args.data)
            finally:
                subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {name}"], check=True)


if __name__ == "__main__":
    main()
