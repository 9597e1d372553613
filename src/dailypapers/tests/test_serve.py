"""``dailypapers serve``: migrates, serves, and helps when the catalog is empty."""

import socket
import subprocess
import time
import urllib.request
from datetime import date
from io import StringIO

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dailypapers.cli import command_hint
from dailypapers.conftest import ExternalDatabase
from dailypapers.management.commands import serve
from dailypapers.management.commands.serve import Command as Serve
from dailypapers.papers.records import ListingRecord
from dailypapers.papers.services import upsert_listings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_serve_migrates_and_answers_on_the_given_port(tmp_path):
    db = ExternalDatabase(tmp_path, migrate=False)
    port = free_port()
    server = subprocess.Popen(
        db.command("serve", "--port", port, "--workers", 1),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert response.status == 200
    assert "dailypapers import" in page  # the empty catalog says how to fill it
    assert "The catalog is empty" in output and "dailypapers harvest --from" in output


@pytest.mark.django_db
def test_empty_catalog_offers_a_harvest_when_not_configured_to_run_it(settings):
    settings.HARVEST_ON_EMPTY = False
    command = Serve(stdout=StringIO(), stderr=StringIO())
    command.offer_first_content()
    out = command.stdout._out.getvalue()
    assert "dailypapers harvest --from" in out and "--set cs" in out
    assert "dailypapers import" in out


@pytest.mark.django_db
def test_offline_first_start_says_what_failed_and_how_to_import(settings):
    settings.HARVEST_ON_EMPTY = True
    settings.ARXIV_REQUEST_DELAY = 0
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        settings.ARXIV_OAI_URL = f"http://127.0.0.1:{sock.getsockname()[1]}/oai"
    command = Serve(stdout=StringIO(), stderr=StringIO())
    command.offer_first_content()
    err = command.stderr._out.getvalue()
    assert "Could not harvest arXiv" in err and "127.0.0.1" in err
    assert "dailypapers import" in err


@pytest.mark.django_db
def test_web_workers_get_one_thread_for_the_embedding_model_and_blas(settings, monkeypatch):
    """gunicorn forks the workers from `serve`: what it holds when gunicorn starts
    is what they get. Idle ONNX Runtime threads spin, so two per worker doubled
    what a search costs."""
    settings.EMBEDDING_THREADS = 2
    settings.DIGEST_TIME = ""
    started = {}

    class Gunicorn:
        def __init__(self, options):
            started["options"] = options

        def run(self):
            started["embedding threads"] = settings.EMBEDDING_THREADS
            started["blas threads"] = {
                pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
            }

    monkeypatch.setattr(serve, "GunicornServer", Gunicorn)
    with threadpool_limits(limits=2, user_api="blas"):  # restored afterwards
        Serve(stdout=StringIO(), stderr=StringIO()).handle(
            host="127.0.0.1", port=free_port(), workers=2, threads=2, no_indexer=True
        )
    assert started["embedding threads"] == 1
    assert started["blas threads"] == {1}
    assert started["options"]["workers"] == 2


@pytest.mark.django_db
def test_serve_says_how_many_papers_await_their_metadata_and_the_command_to_fetch_them():
    command = Serve(stdout=StringIO(), stderr=StringIO())
    command.report_pending_metadata()
    assert command.stdout._out.getvalue() == ""
    upsert_listings(
        [
            ListingRecord(arxiv_id=f"2403.0000{n}", date=date(2024, 3, 4), source="hf")
            for n in (1, 2)
        ]
    )
    command.report_pending_metadata()
    out = command.stdout._out.getvalue()
    assert "2 papers are known only from daily listings" in out
    assert f"  {command_hint('add --pending')}\n" in out
