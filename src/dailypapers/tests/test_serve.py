"""``dailypapers serve``: migrates, serves, and helps when the catalog is empty."""

import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from urllib.parse import urlencode

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dailypapers.conftest import ExternalDatabase
from dailypapers.management.commands import serve
from dailypapers.management.commands.serve import Command as Serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(db: ExternalDatabase, *options: str) -> Iterator[tuple[int, list[str]]]:
    """`dailypapers serve` on a free port, once it answers; then the port and its output."""
    port = free_port()
    server = subprocess.Popen(
        db.command("serve", "--port", port, "--workers", 1, *options),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
        yield port, output
    finally:
        server.terminate()
        output.append(server.communicate(timeout=30)[0])


@pytest.mark.django_db(transaction=True)
def test_serve_migrates_and_answers_on_the_given_port(tmp_path):
    db = ExternalDatabase(tmp_path, migrate=False)
    with (
        serving(db) as (port, output),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response,
    ):
        page = response.read().decode()
    assert response.status == 200
    assert "dailypapers import" in page  # the empty catalog says how to fill it
    assert "The catalog is empty" in output[0] and "dailypapers harvest --from" in output[0]


@pytest.mark.django_db(transaction=True)
def test_without_a_mail_server_emails_are_files_in_the_data_dir_and_serve_says_so(tmp_path):
    db = ExternalDatabase(tmp_path)
    for name in ["EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_FILE_PATH"]:
        db.env.pop(name, None)
    mail_dir = tmp_path / "data" / "mail"
    with serving(db, "--no-indexer") as (port, output):
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        form = browser.open(f"http://127.0.0.1:{port}/digests/", timeout=5).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        body = urlencode({"csrfmiddlewaretoken": csrf, "email": "ada@example.org"}).encode()
        with browser.open(f"http://127.0.0.1:{port}/digests/", body, timeout=30) as answer:
            assert answer.status == 200  # after the redirect to the form, with a message
            assert "we sent a confirmation link to ada@example.org" in answer.read().decode()
    assert f"emails are written to files in {mail_dir}" in output[0]
    [written] = mail_dir.iterdir()
    message = written.read_text()
    assert "To: ada@example.org" in message and "/digests/confirm/" in message


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
