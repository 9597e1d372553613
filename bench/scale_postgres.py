"""Issue 14 at 1M papers on PostgreSQL: import, search, one node against two, memory, a new node.

    .venv/bin/python bench/scale_postgres.py --postgres postgres://postgres@127.0.0.1:5432 \\
        --papers 1000000 --data /tmp/dpscale [--seconds 20] [--workers 5]

Needs Debian's `wrk`, and Redis on 127.0.0.1:6379 (its database 9 is emptied: the
nodes' shared cache). The database `dailypapers_scale` and ``--data`` are kept
between runs: each stage below is skipped when a file in ``--data`` says it was done,
so an interrupted run resumes where it stopped (`--fresh` starts again).

1. corpus: ../shared/data/arxiv-cs.jsonl.gz replicated under new ids
   (``search_latency.copy_id``) to ``--papers`` records, in one JSON-lines file.
2. import: `dailypapers import` of that file and the real daily listings into an
   empty database, with node A's data dir: papers/s end to end, node A's keyword
   index included.
3. vectors: a synthetic clustered vector per paper (``shared_vectors``; the
   model would take three hours of both cores for 1M papers), stored as
   embeddings, then the graph `dailypapers index` builds and saves on node A.
4. a new node B: its keyword index built from the database (`dailypapers index
   --keyword-only` on an empty data dir), or node A's index dir copied; each
   timed up to B's first answer through `serve`.
5. keyword search on node A's index, in-process: p50/p99 of
   ``search_latency.py``'s 200 queries (the figure issue 14's target names).
6. `serve` on node A alone, then on A and B at once: hybrid search through the
   API (200 queries, one at a time), then wrk on the daily page and the API's
   daily list (each node, and the total), and the memory of each node's process
   tree (PSS, and RSS, which counts a shared page in every process).
"""

import argparse
import gzip
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402
from http_load import wrk  # noqa: E402
from search_latency import copy_id, make_queries, percentile, time_mode  # noqa: E402
from shared_vectors import free_port, memory, process_tree, synthetic_vectors  # noqa: E402

CORPUS = harness.SHARED / "arxiv-cs.jsonl.gz"
LISTINGS = harness.SHARED / "hf-daily.jsonl.gz"
DATABASE = "dailypapers_scale"
REDIS = "redis://127.0.0.1:6379/9"
LOADED = [
    ("daily page", "/papers/date/2024-03-05"),
    ("API daily list", "/api/daily_papers?date=2024-03-05"),
]


def stage(data: Path, name: str, step) -> None:
    """Run ``step`` unless ``data`` records it as done; record it afterwards."""
    done = data / f"{name}.done"
    if done.exists():
        print(f"{name}: done before ({done.read_text().strip()})")
        return
    started = time.perf_counter()
    note = step() or ""
    done.write_text(f"{time.perf_counter() - started:.0f} s {note}".strip())
    print(f"{name}: {done.read_text()}", flush=True)


def write_corpus(rows: list[dict], papers: int, path: Path) -> str:
    with open(path.with_suffix(".partial"), "w") as out, Progress() as progress:
        task = progress.add_task("corpus", total=papers)
        for n in range(papers):
            row = rows[n % len(rows)]
            copy = n // len(rows)
            if copy:
                row = dict(row, id=copy_id(copy, n % len(rows)))
            out.write(json.dumps(row) + "\n")
            if n % 10_000 == 0:
                progress.update(task, completed=n)
    path.with_suffix(".partial").rename(path)
    return f"{papers} records"


def run_import(corpus: Path, env: dict, papers: int, log: Path) -> str:
    with open(log, "w") as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dailypapers", "import", str(corpus), str(LISTINGS)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    elapsed = time.perf_counter() - started
    return f"= {papers / elapsed:,.0f} papers/s end to end, keyword index included"


def store_vectors() -> str:
    """A synthetic vector per paper, written with COPY (bulk_create would take longer
    than the graph)."""
    from django.db import connection
    from django.utils import timezone

    from dailypapers.search.backends import embedder
    from dailypapers.search.models import PaperEmbedding

    model = embedder()
    with connection.cursor() as cursor:
        cursor.execute("SELECT arxiv_id FROM papers_paper ORDER BY arxiv_id")
        ids = [pid for (pid,) in cursor.fetchall()]
    table = PaperEmbedding._meta.db_table
    # A timestamp each, as the batches `dailypapers index` stores have: workers re-read the
    # rows of the last timestamp they saw on every look for new ones.
    first = timezone.now() - timedelta(seconds=len(ids))
    with Progress() as progress:
        task = progress.add_task("vectors", total=len(ids))
        for start in range(0, len(ids), 50_000):
            chunk = ids[start : start + 50_000]
            vectors = synthetic_vectors(start, len(chunk), model.dim).astype("<f4")
            with connection.cursor() as cursor:
                columns = "paper_id, model, text_hash, vector, updated_at"
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for n, (pid, vector) in enumerate(zip(chunk, vectors, strict=True)):
                        stamp = first + timedelta(seconds=start + n)
                        copy.write_row((pid, model.name, "", vector.tobytes(), stamp))
            progress.update(task, completed=start + len(chunk))
    return f"{len(ids)} vectors"


def build_graph() -> str:
    from dailypapers.search import backends
    from dailypapers.search.indexing import update_vector_index

    update_vector_index()
    return backends.vector_index().description


@contextmanager
def serving(env: dict, workers: int) -> Iterator[tuple[str, int]]:
    """`dailypapers serve` on a free port; yields its base URL and process id once a
    search is answered."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)]
        + ["--workers", str(workers), "--no-indexer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1800):
            try:
                ask(base, "warm up")
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"serve stopped with code {server.returncode}") from None
                time.sleep(0.5)
        yield base, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)


def ask(base: str, text: str) -> float:
    query = urllib.parse.urlencode({"q": text, "limit": 20})
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}/api/papers/search?{query}", timeout=300) as answer:
        answer.read()
    return (time.perf_counter() - started) * 1000


def ready_time(env: dict, workers: int) -> float:
    started = time.perf_counter()
    with serving(env, workers):
        return time.perf_counter() - started


def new_node(node_a: dict, node_b: Path, workers: int) -> None:
    """Node B two ways: its keyword index built from the database, or A's index copied."""
    env = node_a | {"DAILYPAPERS_DATA_DIR": str(node_b)}
    shutil.rmtree(node_b, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dailypapers", "index", "--keyword-only"],
        env=env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    keyword = time.perf_counter() - started
    started = time.perf_counter()
    shutil.copytree(
        Path(node_a["DAILYPAPERS_DATA_DIR"]) / "index" / "vectors", node_b / "index" / "vectors"
    )
    vectors = time.perf_counter() - started
    served = ready_time(env, workers)
    print(
        f"new node, keyword index built: {keyword:.0f} s to build, {vectors:.0f} s to copy "
        f"the graph, {served:.0f} s from serve's start to its first answer "
        f"= {keyword + vectors + served:.0f} s"
    )
    shutil.rmtree(node_b)
    node_b.mkdir()
    started = time.perf_counter()
    shutil.copytree(Path(node_a["DAILYPAPERS_DATA_DIR"]) / "index", node_b / "index")
    copied = time.perf_counter() - started
    served = ready_time(env, workers)
    print(
        f"new node, node A's index dir copied: {copied:.0f} s to copy, {served:.0f} s from "
        f"serve's start to its first answer = {copied + served:.0f} s"
    )


def search_latency(base: str, queries: list[str], workers: int) -> None:
    with ThreadPoolExecutor(workers * 2) as pool:
        # Every worker answers a few, loading the model and mapping the graph.
        list(
            pool.map(lambda q: ask(base, q), [f"warm {n} {q}" for n, q in enumerate(queries[:100])])
        )
    times = [ask(base, text) for text in queries[100:]]
    print(
        f"  hybrid search through the API, one at a time: p50 {statistics.median(times):.0f} ms,"
        f" p99 {percentile(times, 99):.0f} ms"
    )


def load(bases: list[str], seconds: int) -> None:
    """wrk on each path, against every node in ``bases`` at once."""
    for name, path in LOADED:
        with ThreadPoolExecutor(len(bases)) as pool:
            for base in bases:
                wrk(base, path, 5)  # each worker's first request
            results = list(pool.map(wrk, bases, [path] * len(bases), [seconds] * len(bases)))
        total = sum(r["rps"] for r in results)
        each = ", ".join(
            f"{r['rps']:.0f} req/s p99 {r['p99']:.0f} ms (non-2xx {r['errors']})" for r in results
        )
        print(f"  {name}: {total:.0f} req/s in all; each node: {each}", flush=True)


def node_memory(pids: dict[str, int]) -> None:
    for name, pid in pids.items():
        tree = process_tree(pid)
        rss, pss = memory(tree)
        print(f"  node {name}: {len(tree)} processes, PSS {pss:.2f} GB, RSS {rss:.2f} GB")


def empty_shared_cache() -> None:
    database = REDIS.rsplit("/", 1)[1]
    subprocess.run(["redis-cli", "-n", database, "flushdb"], check=True, stdout=subprocess.DEVNULL)


def serve_nodes(envs: dict[str, dict], queries: list[str], workers: int, seconds: int) -> None:
    empty_shared_cache()
    with ExitStack() as nodes:
        served = {name: nodes.enter_context(serving(env, workers)) for name, env in envs.items()}
        print(f"{' and '.join(served)} serving:", flush=True)
        for name, (base, _) in served.items():
            print(f" node {name}:")
            # Each node's searches unanswered by the shared cache, as new queries are.
            empty_shared_cache()
            search_latency(base, queries, workers)
        load([base for base, _ in served.values()], seconds)
        node_memory({name: pid for name, (_, pid) in served.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="server URL (a database is created)")
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, required=True, help="kept between runs")
    parser.add_argument("--seconds", type=int, default=20, help="of each wrk run")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--fresh", action="store_true", help="drop what earlier runs made")
    args = parser.parse_args()
    harness.require(CORPUS)
    if not shutil.which("wrk"):
        raise SystemExit("skipped: wrk not installed (apt-get install wrk)")
    data = args.data.resolve()
    admin = f"{args.postgres.rstrip('/')}/postgres"
    if args.fresh:
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"])
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "database.done").exists():
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"])
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
        (data / "database.done").write_text("created")
    if not (data / "import.done").exists():
        # An interrupted import resumes into the database, with a keyword index built anew.
        shutil.rmtree(data / "node-a", ignore_errors=True)
    node_a = dict(
        os.environ,
        DATABASE_URL=f"{args.postgres.rstrip('/')}/{DATABASE}",
        DAILYPAPERS_DATA_DIR=str(data / "node-a"),
        DAILYPAPERS_CACHE_URL=REDIS,
        SECRET_KEY="scale-benchmark-nodes-share-one-key",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
        DAILYPAPERS_EMBEDDING_CACHE="",
    )
    os.environ.update(node_a)
    with gzip.open(CORPUS, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    corpus = data / "corpus.jsonl"
    stage(data, "corpus", lambda: write_corpus(rows, args.papers, corpus))
    stage(data, "import", lambda: run_import(corpus, node_a, args.papers, data / "import.log"))

    import django

    django.setup()
    harness.analyze()
    stage(data, "vectors", store_vectors)
    stage(data, "graph", build_graph)
    new_node(node_a, data / "node-b", args.workers)

    from django.conf import settings

    from dailypapers.search import service

    settings.KEYWORD_ENGINE = "tantivy"
    service.search("warm up", mode="keyword")
    time_mode(service, make_queries(rows), "keyword", "keyword search in-process, node A")

    queries = [text for _, text in make_queries(rows, 300)]
    node_b = node_a | {"DAILYPAPERS_DATA_DIR": str(data / "node-b")}
    serve_nodes({"A": node_a}, queries, args.workers, args.seconds)
    serve_nodes({"A": node_a, "B": node_b}, queries, args.workers, args.seconds)


if __name__ == "__main__":
    main()
