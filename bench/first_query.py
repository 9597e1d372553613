"""How soon a starting `dailypapers serve` answers its first search (model loading included).

    .venv/bin/python bench/first_query.py [--papers 2000]

A temporary data dir gets the first N papers of ../shared/data/arxiv-cs.jsonl.gz
(`dailypapers import`) and their embeddings (`dailypapers index`, with the
benchmarks' embedding cache). Then `dailypapers serve --no-indexer` is started
twice and timed, from the command to its first page, its first search (the
worker loads the model and the vectors), and ten more distinct searches
(other workers load theirs):

- first start: the model's ONNX file removed, so it is built from the
  packaged weights, as on a fresh machine;
- restart: the ONNX file kept.
"""

import argparse
import gzip
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

CORPUS = harness.SHARED / "arxiv-cs.jsonl.gz"
QUERIES = [
    "diffusion models for video generation",
    "robot manipulation from human demonstrations",
    "quantization of large language models",
    "graph neural networks for molecules",
    "retrieval augmented generation evaluation",
    "speech recognition in noisy environments",
    "reinforcement learning from human feedback",
    "vision transformers for segmentation",
    "federated learning privacy",
    "code generation benchmarks",
    "protein structure prediction",
]


def dailypapers(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dailypapers", *args], env=env, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_ms(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
    return (time.perf_counter() - start) * 1000


def time_start(env: dict, label: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--no-indexer"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                get_ms(f"{base}/papers")
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"serve stopped with code {server.returncode}") from None
                time.sleep(0.05)
        up = time.perf_counter() - started
        first = get_ms(f"{base}/api/papers/search?q={quote(QUERIES[0])}")
        more = [get_ms(f"{base}/api/papers/search?q={quote(text)}") for text in QUERIES[1:]]
        print(
            f"{label}: first page after {up:.1f} s; first search {first:.0f} ms "
            f"(answered {up + first / 1000:.1f} s after the command); the next "
            f"{len(more)}: median {statistics.median(more):.0f} ms, slowest {max(more):.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000)
    args = parser.parse_args()
    harness.require(CORPUS)
    data_dir = Path(tempfile.mkdtemp(prefix="dailypapers-bench-"))
    try:
        sample = data_dir / "sample.jsonl.gz"
        with gzip.open(CORPUS, "rt") as lines, gzip.open(sample, "wt") as out:
            for line, _ in zip(lines, range(args.papers), strict=False):
                out.write(line)
        env = dict(os.environ, DAILYPAPERS_DATA_DIR=str(data_dir))
        env.pop("DATABASE_URL", None)
        env.setdefault("DAILYPAPERS_EMBEDDING_CACHE", str(harness.EMBEDDING_CACHE))
        dailypapers(env, "migrate", "--verbosity", "0")
        dailypapers(env, "import", str(sample))
        dailypapers(env, "index")
        shutil.rmtree(data_dir / "models")
        time_start(env, "first start (ONNX file built from the packaged weights)")
        time_start(env, "restart (ONNX file kept)")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
