"""The vector graph shared by serve's workers: memory, latency and recall at 1M+ papers.

    .venv/bin/python bench/shared_vectors.py --papers 1000000 --data /tmp/dpvec \\
        [--before-src /tmp/before/src] [--workers 5]

Builds (once: every stage is skipped when ``--data`` has it already, so an
interrupted run resumes) a SQLite catalog of ``--papers`` papers whose texts
are the real corpus's titles, cycled, and whose vectors are synthetic:
clustered unit vectors (20,000 random centres in 48 dimensions, mapped to
384, plus noise), so that neighbours exist and recall means something, as it
would not on uniform random vectors. Embedding the real corpus takes 20+ minutes of both cores.
Then, with the keyword index synced and the graph built by ``dailypapers
index``'s own path (``update_vector_index``):

- the worker's start: a fresh process opening the vector index (``refresh``);
- recall@10 of the worker's index against the exact scan, and its top-10
  latency, on 200 queries drawn like the vectors;
- ``dailypapers serve`` with ``--workers`` workers: hybrid API search p50/p99
  over HTTP (200 queries from the corpus, one at a time, after a warm-up that
  reaches every worker), then the memory of the whole process tree, RSS and
  PSS summed (RSS counts a shared page in every process mapping it, PSS
  divides it between them).

``--before-src``: the same measures with that source tree (``git archive`` of
an earlier commit), whose workers load their own copy of the graph; its
description is written beside this version's, naming the same graph file.
"""

import argparse
import functools
import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402
from search_latency import copy_id, make_queries, percentile  # noqa: E402

CORPUS = harness.SHARED / "arxiv-cs.jsonl.gz"
CENTRES, LATENT, SPREAD, NOISE, SEED = 20_000, 48, 0.5, 0.01, 15
CHUNK = 10_000
SRC = Path(__file__).resolve().parents[1] / "src"


@functools.cache
def latent_space(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The cluster centres, and the map from their space to the vectors'."""
    fixed = np.random.default_rng(SEED)
    centres = fixed.standard_normal((CENTRES, LATENT)).astype(np.float32)
    return centres, fixed.standard_normal((LATENT, dim)).astype(np.float32)


def synthetic_vectors(start: int, count: int, dim: int) -> np.ndarray:
    """Vectors ``start`` to ``start + count``: the same whichever run makes them.

    Clusters in a space of LATENT dimensions, mapped into ``dim`` ones, plus a
    little noise in all of them: like a model's embeddings, whose neighbourhoods
    span far fewer dimensions than the vectors have (isotropic noise in all 384
    would make every point's neighbours as hard to find as random vectors').
    """
    centres, basis = latent_space(dim)
    rng = np.random.default_rng([SEED, start])
    latent = centres[rng.integers(CENTRES, size=count)]
    latent += rng.normal(0, SPREAD, (count, LATENT)).astype(np.float32)
    vectors = latent @ basis
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors += rng.normal(0, NOISE, (count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_catalog(rows: list[dict], papers: int) -> None:
    from django.db import transaction

    from dailypapers.papers.models import Paper
    from dailypapers.search.backends import embedder
    from dailypapers.search.models import PaperEmbedding

    model = embedder()
    made = Paper.objects.count()
    with Progress() as progress:
        task = progress.add_task("catalog", total=papers, completed=made)
        for start in range(made - made % CHUNK, papers, CHUNK):
            count = min(CHUNK, papers - start)
            ids = [copy_id(k // 100_000 + 1, k % 100_000) for k in range(start, start + count)]
            titles = [rows[k % len(rows)]["title"] for k in range(start, start + count)]
            vectors = synthetic_vectors(start, count, model.dim).astype("<f4")
            with transaction.atomic():
                Paper.objects.filter(pk__in=ids).delete()
                Paper.objects.bulk_create(
                    Paper(arxiv_id=pid, title=title, abstract=title)
                    for pid, title in zip(ids, titles, strict=True)
                )
                PaperEmbedding.objects.bulk_create(
                    PaperEmbedding(paper_id=pid, model=model.name, vector=vector.tobytes())
                    for pid, vector in zip(ids, vectors, strict=True)
                )
            progress.update(task, completed=start + count)


def timed(label: str, step):
    started = time.perf_counter()
    result = step()
    print(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


def worker_start(src: Path, env: dict) -> None:
    """A fresh process opening the vector index as a web worker does on its first search."""
    code = (
        "import time, django; django.setup()\n"
        "from dailypapers.search import backends\n"
        "index = backends.vector_index(); backends.embedder()\n"
        "started = time.perf_counter(); index.refresh(force=True)\n"
        "rss = int(open('/proc/self/statm').read().split()[1]) * 4096 / 1e6\n"
        "print(f'{time.perf_counter() - started:.2f} s, {index.description}, RSS {rss:.0f} MB')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"  worker start (opening the vectors): {result.stdout.strip()}")


def recall_and_latency(papers: int) -> None:
    from django.conf import settings

    from dailypapers.search import backends
    from dailypapers.search.vectors import InProcessVectors

    model = backends.embedder()
    worker = InProcessVectors(model.name, model.dim, settings.SEARCH_INDEX_DIR / "vectors")
    worker.refresh(force=True)
    queries = synthetic_vectors(papers + 1_000_000, 200, model.dim)
    # The exact top 10, a slice of the graph's own vectors at a time.
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 10), dtype=np.int64)
    for start in range(0, len(worker.graph.ids), 100_000):
        keys = np.arange(start, min(start + 100_000, len(worker.graph.ids)), dtype=np.uint64)
        scores = queries @ worker.graph.index.get(keys).T
        both = np.hstack([best, scores])
        both_ids = np.hstack([best_ids, np.broadcast_to(keys.astype(np.int64), scores.shape)])
        top = np.argsort(-both, axis=1)[:, :10]
        best, best_ids = np.take_along_axis(both, top, 1), np.take_along_axis(both_ids, top, 1)
    times, hits = [], 0
    for query, truth in zip(queries, best_ids, strict=True):
        started = time.perf_counter()
        found = worker.search(query, 10)
        times.append((time.perf_counter() - started) * 1000)
        expected = {worker.graph.id_of(int(row)) for row in truth}
        hits += len(expected & {pid for pid, _ in found})
    print(
        f"  recall@10 {hits / (10 * len(queries)):.3f}; top-10 p50 "
        f"{statistics.median(times):.2f} ms, p99 {percentile(times, 99):.2f} ms"
    )


def old_description(index_dir: Path, before_dir: Path) -> None:
    """Describe this version's saved graph as the earlier version did (ids listed)."""
    (meta_file,) = (index_dir / "vectors").glob("*.json")
    meta = json.loads(meta_file.read_text())
    ids = [pid.decode() for pid in np.load(index_dir / "vectors" / meta["ids"])]
    (before_dir / "vectors").mkdir(parents=True, exist_ok=True)
    graph = before_dir / "vectors" / meta["graph"]
    if not graph.exists():
        os.link(index_dir / "vectors" / meta["graph"], graph)
    if not (before_dir / "keyword").exists():
        (before_dir / "keyword").symlink_to(index_dir / "keyword")
    old = {"graph": meta["graph"], "seen_until": meta["seen_until"], "ids": ids}
    (before_dir / "vectors" / meta_file.name).write_text(json.dumps(old))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def memory(pids: list[int]) -> tuple[float, float]:
    """RSS and PSS summed over the processes, in GB."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except FileNotFoundError:
            continue
    return rss / 1e6, pss / 1e6


def serve(src: Path, env: dict, workers: int, queries: list[str]) -> None:
    port = free_port()
    command = [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--no-indexer"],
        env=env | {"PYTHONPATH": str(src)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def ask(text: str) -> float:
        url = f"http://127.0.0.1:{port}/api/papers/search?" + urllib.parse.urlencode(
            {"q": text, "limit": 20}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=300) as answer:
            answer.read()
        return (time.perf_counter() - started) * 1000

    try:
        for _ in range(600):
            try:
                ask("warm up")
                break
            except OSError:
                time.sleep(1)
        # Several at once, so that every worker answers some and maps (or loads) the graph.
        started = time.perf_counter()
        with ThreadPoolExecutor(workers * 2) as pool:
            list(pool.map(ask, [f"warm up {n} {q}" for n, q in enumerate(queries[:100])]))
        print(f"  warm-up, {workers * 2} at a time: {time.perf_counter() - started:.0f} s")
        times = [ask(text) for text in queries[100:]]
        print(
            f"  hybrid API search, one at a time: p50 {statistics.median(times):.0f} ms, "
            f"p99 {percentile(times, 99):.0f} ms"
        )
        pids = process_tree(server.pid)
        rss, pss = memory(pids)
        print(f"  serve's {len(pids)} processes: RSS {rss:.2f} GB, PSS {pss:.2f} GB")
        for pid in pids:
            one_rss, one_pss = memory([pid])
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:60]
            print(f"    {pid}: RSS {one_rss:.2f} GB, PSS {one_pss:.2f} GB  {cmd.decode()}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, required=True, help="kept between runs")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--before-src", type=Path, help="an earlier version's src, to compare")
    args = parser.parse_args()
    harness.require(CORPUS)
    args.data.mkdir(parents=True, exist_ok=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DAILYPAPERS_DATA_DIR=str(args.data.resolve()),
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
        DAILYPAPERS_EMBEDDING_CACHE="",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.conf import settings

    from dailypapers.search.indexing import sync_keyword_index, update_vector_index

    with gzip.open(CORPUS, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    timed("catalog", lambda: make_catalog(rows, args.papers))
    timed("keyword index", sync_keyword_index)
    timed("vector graph (built or brought level, and saved)", update_vector_index)
    env = dict(os.environ)
    print(f"this version ({SRC}):")
    worker_start(SRC, env)
    recall_and_latency(args.papers)
    queries = [text for _, text in make_queries(rows, 300)]
    serve(SRC, env, args.workers, queries)
    if args.before_src:
        before_dir = args.data / "index-before"
        old_description(settings.SEARCH_INDEX_DIR, before_dir)
        before_env = env | {"DAILYPAPERS_INDEX_DIR": str(before_dir.resolve())}
        print(f"before ({args.before_src}):")
        worker_start(args.before_src, before_env)
        serve(args.before_src, before_env, args.workers, queries)


if __name__ == "__main__":
    main()
