"""Load a running `dailypapers serve` (gunicorn, the documented production server) with wrk.

Shared by api_load.py and web_load.py: start the server on a free port over an
existing data dir, warm every worker, then run wrk (2 threads, 16
connections) on each path and print requests/s and latency percentiles, each
endpoint's rate also as a ratio to the first one's, measured in the same run.

An endpoint is one path, requested over and over, or a list of paths that
wrk walks through without repeating any (as long as the list lasts): distinct
searches, which no cache answers.
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


THREADS = 2
CONNECTIONS = 16
# wrk calls request() for every request; each of its threads takes every
# THREADS-th path from ``start`` on, so no path is asked twice in a run.
WALK_PATHS = """
paths = {%s}
start = %d
threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  sent = 0
end
function request()
  local i = (start + sent * %d + id) %% #paths + 1
  sent = sent + 1
  return wrk.format(nil, paths[i])
end
"""


def first_path(path: str | list[str]) -> str:
    return path[0] if isinstance(path, list) else path


def wrk(
    base: str, path: str | list[str], seconds: int, rate: int | None = None, start: int = 0
) -> dict[str, float]:
    """Load ``path`` (or each of a list of paths in turn from ``start`` on) as fast as
    the server answers, or at about ``rate`` requests/s in all.

    At a fixed rate each connection pauses between requests (wrk's ``delay()``
    hook), so the latencies are those a server shows at that load rather than
    at saturation, where they are mostly time spent queueing.
    """
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command.append(base + first_path(path))
    lua = ""
    if isinstance(path, list):
        quoted = ",".join(f'"{p}"' for p in path)  # URL-encoded: no quote or backslash
        lua += WALK_PATHS % (quoted, start, THREADS)
    if rate:
        # Random waits, so that the connections do not fall into lockstep and
        # send bursts. A connection offers 1 / (wait + latency) requests/s: the
        # achieved rate is below ``rate`` by the latency, and is what is printed.
        lua += f"function delay() return math.random(0, {2 * 1000 * CONNECTIONS // rate}) end\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if lua:
            script.write(lua)
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}
    figures["requests"] = int(re.search(r"(\d+) requests in", out)[1])
    for percent in ("50", "99"):
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", out).groups()
        figures[f"p{percent}"] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = int(errors[1]) if errors else 0
    return figures


def measure(
    endpoints: list[tuple[str, str | list[str]]], seconds: int, rate: int | None = None
) -> dict[str, dict[str, float]]:
    """Serve the data dir in $DAILYPAPERS_DATA_DIR and load each (name, path or paths)
    in turn: at full speed, then (with ``rate``) the same at that offered rate.

    A list of paths is walked on from where the previous run stopped, warm-up
    included, so each run asks fresh ones.
    """
    if not shutil.which("wrk"):
        sys.exit("skipped: wrk not installed (apt-get install wrk)")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--no-indexer"],
        env=os.environ,
        stdout=subprocess.DEVNULL,
    )
    results = {}
    walked = dict.fromkeys((name for name, _ in endpoints), 0)

    def run(name: str, path: str | list[str], seconds: int, rate: int | None = None) -> dict:
        figures = wrk(base, path, seconds, rate, start=walked[name])
        # Requests still in flight when wrk stopped were drawn too.
        walked[name] += figures["requests"] + CONNECTIONS
        if isinstance(path, list) and walked[name] > len(path):
            print(f"warning: {name} ran out of distinct paths and repeated some", flush=True)
        return figures

    try:
        base = f"http://127.0.0.1:{port}"
        for name, path in endpoints:
            wait_for(base + first_path(path))
            # Every worker loads its indexes on first use: let them all, before measuring.
            run(name, path, 5)
        baseline = None
        for name, path in endpoints:
            figures = results[name] = run(name, path, seconds)
            baseline = baseline or figures["rps"]
            print(
                f"{name:<22} {figures['rps']:7.0f} req/s ({figures['rps'] / baseline:4.2f}× "
                f"baseline)  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
                f"non-2xx {figures['errors']}",
                flush=True,
            )
        for name, path in endpoints if rate else []:
            figures = results[f"{name} at {rate}/s"] = run(name, path, seconds, rate)
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
