"""Load a running `dailypapers serve` (gunicorn, the documented production server) with wrk.

Shared by api_load.py and web_load.py: start the server on a free port over an
existing data dir, warm every worker, then run wrk (2 threads, 16
connections) on each path and print requests/s and latency percentiles, each
endpoint's rate also as a ratio to the first one's, measured in the same run.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=30).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url}")


CONNECTIONS = 16


def wrk(url: str, seconds: int, rate: int | None = None) -> dict[str, float]:
    """Load ``url`` as fast as it answers, or at about ``rate`` requests/s in all.

    At a fixed rate each connection pauses between requests (wrk's ``delay()``
    hook), so the latencies are those a server shows at that load rather than
    at saturation, where they are mostly time spent queueing.
    """
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if rate:
            script.write(f"function delay() return {1000 * CONNECTIONS // rate} end\n")
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}
    for percent in ("50", "99"):
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", out).groups()
        figures[f"p{percent}"] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = int(errors[1]) if errors else 0
    return figures


def measure(
    endpoints: list[tuple[str, str]], seconds: int, rate: int | None = None
) -> dict[str, dict[str, float]]:
    """Serve the data dir in $DAILYPAPERS_DATA_DIR and load each (name, path) in turn:
    at full speed, then (with ``rate``) the same at that offered rate."""
    if not shutil.which("wrk"):
        sys.exit("skipped: wrk not installed (apt-get install wrk)")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--no-indexer"],
        env=os.environ,
        stdout=subprocess.DEVNULL,
    )
    results = {}
    try:
        base = f"http://127.0.0.1:{port}"
        for _, path in endpoints:
            wait_for(base + path)
            # Every worker loads its indexes on first use: let them all, before measuring.
            wrk(base + path, 5)
        baseline = None
        for name, path in endpoints:
            figures = results[name] = wrk(base + path, seconds)
            baseline = baseline or figures["rps"]
            print(
                f"{name:<22} {figures['rps']:7.0f} req/s ({figures['rps'] / baseline:4.2f}× "
                f"baseline)  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
                f"non-2xx {figures['errors']}",
                flush=True,
            )
        for name, path in endpoints if rate else []:
            figures = results[f"{name} at {rate}/s"] = wrk(base + path, seconds, rate)
            print(
                f"{name:<22} at {rate} req/s offered: {figures['rps']:5.0f} req/s  "
                f"p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
                f"non-2xx {figures['errors']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results
