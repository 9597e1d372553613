"""``dailypapers serve``: migrates, serves, and helps when the catalog is empty."""

import re
import subprocess
import time
import urllib.request
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlencode

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dailypapers.cli import command_hint
from dailypapers.conftest import (
    ExternalDatabase,
    arxiv_row,
    canned_http_server,
    free_port,
    run_queued_tasks,
)
from dailypapers.ingest.hf_daily import hf_today
from dailypapers.ingest.tests.stand_ins import (
    closed_port_url,
    hf_row,
    stand_in_environment,
)
from dailypapers.management.commands import serve
from dailypapers.management.commands.serve import Command as Serve
from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord
from dailypapers.papers.upserts import upsert_listings


@pytest.mark.django_db(transaction=True)
def test_serve_migrates_and_answers_on_the_given_port(tmp_path):
    db = ExternalDatabase(tmp_path, migrate=False)
    with (
        db.serving("--workers", 1, timeout=60) as site,
        urllib.request.urlopen(f"{site.url}/", timeout=5) as response,
    ):
        page = response.read().decode()
    assert response.status == 200
    assert "dailypapers import" in page  # the empty catalog says how to fill it
    assert (
        "The catalog is empty" in site.output[0] and "dailypapers harvest --from" in site.output[0]
    )


@pytest.mark.django_db(transaction=True)
def test_without_a_mail_server_emails_are_files_in_the_data_dir_and_serve_says_so(tmp_path):
    db = ExternalDatabase(tmp_path)
    for name in ["EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_FILE_PATH"]:
        db.env.pop(name, None)
    mail_dir = tmp_path / "data" / "mail"
    with db.serving("--workers", 1, "--no-indexer", timeout=60) as site:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        form = browser.open(f"{site.url}/digests/", timeout=5).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        body = urlencode({"csrfmiddlewaretoken": csrf, "email": "ada@example.org"}).encode()
        with browser.open(f"{site.url}/digests/", body, timeout=30) as answer:
            assert answer.status == 200  # after the redirect to the form, with a message
            assert "we sent a confirmation link to ada@example.org" in answer.read().decode()
    assert f"emails are written to files in {mail_dir}" in site.output[0]
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
def test_offline_first_start_says_what_failed_and_how_to_import(settings, client, capsys):
    settings.HARVEST_ON_EMPTY = True
    settings.ARXIV_REQUEST_DELAY = 0
    settings.ARXIV_OAI_URL = f"{closed_port_url()}/oai"
    settings.HF_API_URL = closed_port_url()
    command = Serve(stdout=StringIO(), stderr=StringIO())
    command.offer_first_content()
    assert "the worker harvests arXiv" in command.stdout._out.getvalue()
    # The worker's task: its log (serve's, for the worker serve starts) says what failed.
    [harvest] = run_queued_tasks()
    assert harvest.status == "SUCCESSFUL" and len(harvest.return_value) == 2
    err = capsys.readouterr().err
    assert "Could not harvest arXiv" in err and settings.ARXIV_OAI_URL in err
    assert "Could not sync Hugging Face's daily papers" in err and settings.HF_API_URL in err
    assert "dailypapers import" in err
    assert "dailypapers harvest --from" in err and "dailypapers sync-hf --from" in err
    # The empty pages say the same to whoever opens the site.
    for page in ("/papers", "/papers/new"):
        html = client.get(page).content.decode()
        assert "Fetching from arXiv (OAI-PMH harvest) failed" in html
        assert "Fetching from Hugging Face Daily Papers failed" in html
        assert settings.HF_API_URL in html and "dailypapers harvest --from" in html


@pytest.mark.django_db
def test_first_start_harvests_arxiv_and_syncs_hugging_face_so_both_lists_have_content(
    settings, client, hf_api, arxiv_stand_in, capsys
):
    settings.HARVEST_ON_EMPTY = True
    yesterday = hf_today() - timedelta(days=1)
    hf_api.add([hf_row("2403.00001", str(yesterday), title="Listed Yesterday", upvotes=12)])
    arxiv_stand_in.papers["2403.00001"] = arxiv_row("2403.00001", title="Listed Yesterday")
    last_page = (Path(__file__).parents[1] / "ingest/tests/oai/list_records_3.xml").read_bytes()
    with canned_http_server(lambda query: (200, last_page, {"Content-Type": "text/xml"})) as oai:
        settings.ARXIV_OAI_URL = f"{oai.url}/oai"
        command = Serve(stdout=StringIO(), stderr=StringIO())
        command.offer_first_content()
        # A second node starting on the same empty catalog: the harvest is queued once.
        Serve(stdout=StringIO(), stderr=StringIO()).offer_first_content()
        [harvest] = run_queued_tasks()

    assert command.stderr._out.getvalue() == ""
    assert harvest.status == "SUCCESSFUL" and harvest.return_value == []
    assert "Could not" not in capsys.readouterr().err
    since = date.today() - timedelta(days=settings.HARVEST_DAYS)
    assert oai.requests[0]["from"] == str(since)
    assert hf_api.requests[0] == (str(since), 0)
    daily = client.get("/papers").content.decode()
    assert "Listed Yesterday" in daily
    new = client.get("/papers/new").content.decode()
    assert 'class="card"' in new
    assert Paper.objects.filter(pk__in=["2401.00005", "2401.00006", "2403.00001"]).count() == 3


@pytest.mark.django_db(transaction=True)
def test_serve_syncs_hugging_face_daily_and_completes_pending_papers_in_the_background(
    tmp_path, settings, hf_api, arxiv_stand_in
):
    yesterday = str(hf_today() - timedelta(days=1))
    hf_api.add([hf_row(f"2403.0000{n}", yesterday) for n in (1, 2)])
    arxiv_stand_in.down = True
    db = ExternalDatabase(tmp_path)
    db.env |= stand_in_environment(settings) | {
        "DAILYPAPERS_SYNC_HF": "1",
        "DAILYPAPERS_SYNC_HF_TIME": "00:00",  # passed today: the sync runs at start
        "DAILYPAPERS_COMPLETE_PENDING_MINUTES": "0.01",
    }
    server = subprocess.Popen(
        db.command("serve", "--port", free_port(), "--workers", 1, "--no-indexer"),
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listed = "SELECT COUNT(*) FROM papers_dailylisting"
    pending = "SELECT COUNT(*) FROM papers_paper WHERE version = 0"
    try:
        deadline = time.monotonic() + 180
        while db.scalar(listed) < 2:
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "the daily sync did not run"
            time.sleep(0.2)
        assert db.scalar(pending) == 2  # arXiv is down: listed, waiting for their metadata
        for n in (1, 2):
            arxiv_stand_in.papers[f"2403.0000{n}"] = arxiv_row(f"2403.0000{n}")
        arxiv_stand_in.down = False
        while db.scalar(pending):
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "the pending papers were not completed"
            time.sleep(0.2)
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "sync-hf: every day at 00:00 (UTC); today's run is due" in output
    assert "sync-hf: enqueued for" in output
    assert "2 pending papers completed from arXiv" in output


@pytest.mark.django_db
def test_web_workers_get_one_thread_for_the_embedding_model_and_blas(settings, monkeypatch):
    """gunicorn forks the workers from `serve`: what it holds when gunicorn starts
    is what they get. Idle ONNX Runtime threads spin, so two per worker doubled
    what a search costs."""
    settings.EMBEDDING_THREADS = 2
    settings.DIGEST_TIME = ""
    settings.SYNC_HF, settings.COMPLETE_PENDING_MINUTES = False, 0
    started = {}

    class Gunicorn:
        def __init__(self, options, background):
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
