"""``dailypapers sync-hf`` against local stand-ins for Hugging Face and the arXiv API.

The daily lists are served in Hugging Face's real response shape
(stand_ins.daily_item) from hand-made rows, and from real rows of
../shared/data/hf-daily.jsonl.gz when that folder is there.
"""

import json
import signal
import subprocess
import time
from datetime import date, timedelta
from email.utils import format_datetime
from io import StringIO
from itertools import pairwise

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rich.console import Console

from dailypapers.conftest import ExternalDatabase, arxiv_row
from dailypapers.ingest.hf_daily import DailyPapersSync, SyncPlan, hf_today, retry_after
from dailypapers.ingest.models import HFSyncCheckpoint, SourceStatus
from dailypapers.ingest.tests.stand_ins import (
    JSON,
    closed_port_url,
    daily_item,
    hf_row,
    real_rows,
    stand_in_environment,
)
from dailypapers.papers.models import DailyListing, Paper
from dailypapers.papers.services import add_upvote
from dailypapers.search import backends
from dailypapers.search.indexing import pending_embeddings

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY, TUESDAY, WEDNESDAY = "2024-03-04", "2024-03-05", "2024-03-06"


@pytest.fixture(autouse=True)
def arxiv(arxiv_stand_in):
    """Every sync completes listings from arXiv: here, from a local stand-in."""
    return arxiv_stand_in


def sync(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("sync-hf", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def known_to_arxiv(arxiv_stand_in, *ids: str) -> None:
    for arxiv_id in ids:
        arxiv_stand_in.papers[arxiv_id] = arxiv_row(
            arxiv_id,
            title=f"arXiv's title of {arxiv_id}",
            abstract=f"arXiv's abstract of {arxiv_id}.",
            categories=["cs.CL", "cs.LG"],
            primary_category="cs.CL",
            published="2024-03-01",
        )


def test_sync_mirrors_listings_with_upvotes_organization_submitter_links_and_papers(
    hf_api, arxiv_stand_in
):
    hf_api.add(
        [
            hf_row(
                "2403.00001",
                MONDAY,
                upvotes=42,
                organization="qwen",
                submitter="akhaliq",
                github="https://github.com/qwen/model",
                project="https://qwen.example.org",
            ),
            hf_row("2403.00002", MONDAY, upvotes=3),
            hf_row("2403.00003", TUESDAY, upvotes=None, submitter="someone"),
        ]
    )
    known_to_arxiv(arxiv_stand_in, "2403.00001", "2403.00002", "2403.00003")

    out, _ = sync("--from", MONDAY, "--until", TUESDAY)

    assert f"from {MONDAY} until {TUESDAY} (2 days, listings): 3 new" in out
    assert "Listed papers completed from arXiv: 3 new" in out
    listing = DailyListing.objects.select_related("paper__organization").get(paper="2403.00001")
    assert listing.date == date(2024, 3, 4)
    assert listing.source == "hf-api"
    assert listing.submitter_name == "akhaliq"
    paper = listing.paper
    assert (paper.imported_upvotes, paper.upvotes) == (42, 42)
    assert (paper.organization.slug, paper.organization.name) == ("qwen", "Qwen")
    assert paper.organization.avatar_url == "https://huggingface.co/avatars/qwen.png"
    assert paper.github_repo == "https://github.com/qwen/model"
    assert paper.project_page == "https://qwen.example.org"
    # The paper itself is arXiv's record: complete, with categories the listing lacks.
    assert paper.version == 1 and paper.title == "arXiv's title of 2403.00001"
    assert paper.categories == "cs.CL cs.LG"
    assert DailyListing.objects.get(paper="2403.00003").date == date(2024, 3, 5)
    assert Paper.objects.get(pk="2403.00003").upvotes == 0
    assert SourceStatus.failing() == []


def test_a_day_is_followed_over_pages_until_one_brings_nothing_new(hf_api, arxiv_stand_in):
    hf_api.max_limit = 2  # the server caps `limit` below what the client asks
    hf_api.add([hf_row(f"2403.0000{n}", MONDAY) for n in range(1, 6)])

    out, _ = sync("--from", MONDAY, "--until", MONDAY)

    assert hf_api.requests == [(MONDAY, 0), (MONDAY, 1), (MONDAY, 2), (MONDAY, 3)]
    assert DailyListing.objects.filter(date=date(2024, 3, 4)).count() == 5
    assert "5 new" in out


def test_link_headers_lead_to_the_next_page_and_their_absence_ends_the_day(hf_api):
    hf_api.max_limit, hf_api.link_headers = 2, True
    hf_api.add([hf_row(f"2403.0000{n}", MONDAY) for n in range(1, 6)])

    sync("--from", MONDAY, "--until", MONDAY)

    assert hf_api.requests == [(MONDAY, 0), (MONDAY, 1), (MONDAY, 2)]
    assert DailyListing.objects.count() == 5


def test_a_server_that_ignores_the_page_number_does_not_loop(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY), hf_row("2403.00002", MONDAY)])
    same_again = json.dumps(hf_api.days[MONDAY]).encode()
    hf_api.faults[(MONDAY, 1)] = [(200, same_again, JSON)]

    sync("--from", MONDAY, "--until", MONDAY)

    assert hf_api.requests == [(MONDAY, 0), (MONDAY, 1)]
    assert DailyListing.objects.count() == 2


def test_requests_are_spaced_by_the_hugging_face_request_delay(hf_api, settings):
    settings.HF_REQUEST_DELAY = 0.3
    hf_api.add([hf_row("2403.00001", MONDAY), hf_row("2403.00002", TUESDAY)])

    sync("--from", MONDAY, "--until", TUESDAY)

    assert len(hf_api.times) == 4  # two pages a day: the second one empty
    gaps = [later - earlier for earlier, later in pairwise(hf_api.times)]
    assert min(gaps) >= 0.3


def test_429_with_retry_after_is_waited_out_and_retried(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY)])
    hf_api.faults[(MONDAY, 0)] = [(429, b'{"error": "slow down"}', {"Retry-After": "1"})]
    started = time.monotonic()

    _, err = sync("--from", MONDAY, "--until", MONDAY)

    assert time.monotonic() - started >= 1
    assert hf_api.requests[:2] == [(MONDAY, 0), (MONDAY, 0)]
    assert "HTTP 429, trying again in 1 s" in err
    assert DailyListing.objects.count() == 1


def test_500_is_retried_with_back_off(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY)])
    hf_api.faults[(MONDAY, 0)] = [(500, b"Internal Server Error", {})]

    _, err = sync("--from", MONDAY, "--until", MONDAY)

    assert "HTTP 500, trying again in 1 s" in err
    assert DailyListing.objects.count() == 1


def test_a_503_that_never_ends_fails_and_the_next_run_continues_from_that_day(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY), hf_row("2403.00002", TUESDAY)])
    busy = (503, b"busy", {"Retry-After": "0"})
    hf_api.faults[(TUESDAY, 0)] = [busy] * 6

    with pytest.raises(CommandError) as failure:
        sync("--from", MONDAY, "--until", TUESDAY)

    assert "answered HTTP 503 6 times" in str(failure.value)
    assert "run the same command again to continue" in str(failure.value)
    assert list(DailyListing.objects.values_list("paper_id", flat=True)) == ["2403.00001"]
    assert SourceStatus.objects.get(source="hf").is_failing
    hf_api.requests.clear()

    out, err = sync("--from", MONDAY, "--until", TUESDAY)

    assert f"Resuming the unfinished sync after {MONDAY}" in err
    assert hf_api.requests[0] == (TUESDAY, 0)
    assert "(1 days, listings): 1 new" in out
    assert not SourceStatus.objects.get(source="hf").is_failing


def test_an_http_error_that_is_not_worth_retrying_stops_the_sync_at_once(hf_api):
    hf_api.faults[(MONDAY, 0)] = [(404, b'{"error": "not found"}', JSON)]

    with pytest.raises(CommandError, match="answered HTTP 404"):
        sync("--from", MONDAY, "--until", MONDAY)
    assert hf_api.requests == [(MONDAY, 0)]


def test_a_page_cut_off_in_transit_is_an_error_not_an_empty_day(hf_api):
    hf_api.faults[(MONDAY, 0)] = [(200, b'[{"paper": {"id": "2403.0', JSON)]

    with pytest.raises(CommandError, match="malformed JSON"):
        sync("--from", MONDAY, "--until", MONDAY)
    assert not HFSyncCheckpoint.objects.filter(last_day__isnull=False).exists()


def test_malformed_items_are_reported_with_their_position_and_skipped(hf_api):
    good = [daily_item(hf_row(f"2403.0000{n}", MONDAY)) for n in (1, 2)]
    without_date = daily_item(hf_row("2403.00009", MONDAY))
    del without_date["publishedAt"]
    hf_api.days[MONDAY] = [
        good[0],
        "not an object",
        {"paper": {"id": "not-an-arxiv-id"}, "publishedAt": "2024-03-04T00:00:00.000Z"},
        without_date,
        good[1],
    ]

    out, err = sync("--from", MONDAY, "--until", MONDAY)

    assert f"{MONDAY}, item 2: rejected: a JSON str, not an object" in err
    assert f"{MONDAY}, item 3: rejected:" in err and "not-an-arxiv-id" in err
    assert f"{MONDAY}, item 4: rejected: missing field 'publishedAt'" in err
    assert "2 new, 0 updated, 0 unchanged, 3 rejected" in out
    assert sorted(DailyListing.objects.values_list("paper_id", flat=True)) == [
        "2403.00001",
        "2403.00002",
    ]


def test_an_empty_day_is_synced_and_stores_nothing(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY), hf_row("2403.00002", WEDNESDAY)])

    out, _ = sync("--from", MONDAY, "--until", WEDNESDAY)

    assert (TUESDAY, 0) in hf_api.requests
    assert "(3 days, listings): 2 new" in out
    checkpoint = HFSyncCheckpoint.objects.get()
    assert checkpoint.finished and checkpoint.last_day == date(2024, 3, 6)


def test_rerunning_a_sync_changes_nothing(hf_api, arxiv_stand_in):
    hf_api.add([hf_row("2403.00001", MONDAY, organization="acme"), hf_row("2403.00002", TUESDAY)])
    known_to_arxiv(arxiv_stand_in, "2403.00001")
    sync("--from", MONDAY, "--until", TUESDAY)
    before = list(Paper.objects.order_by("pk").values())

    out, _ = sync("--from", MONDAY, "--until", TUESDAY)

    assert "0 new, 0 updated, 2 unchanged, 0 rejected — nothing changed" in out
    assert list(Paper.objects.order_by("pk").values()) == before
    assert DailyListing.objects.count() == 2


def test_a_sync_killed_before_updating_search_is_searchable_after_the_rerun(hf_api, arxiv_stand_in):
    hf_api.add([hf_row("2403.00001", MONDAY), hf_row("2403.00002", TUESDAY)])
    known_to_arxiv(arxiv_stand_in, "2403.00001")
    # What a kill after the last day, before the search update, leaves behind.
    plan = SyncPlan(since=date.fromisoformat(MONDAY), until=date.fromisoformat(TUESDAY))
    DailyPapersSync(plan, console=Console(file=StringIO())).run()

    out, _ = sync("--from", MONDAY, "--until", TUESDAY)

    assert "nothing changed" in out
    papers = sorted(Paper.objects.values_list("pk", flat=True))
    assert sorted(backends.keyword_index().ids()) == papers == ["2403.00001", "2403.00002"]
    assert not pending_embeddings().exists()


def test_without_from_the_sync_continues_after_the_last_day_hugging_face_had_closed(hf_api):
    today = hf_today()
    days = [str(today - timedelta(days=n)) for n in (3, 2, 1, 0)]
    hf_api.add([hf_row(f"2403.0000{n}", day) for n, day in enumerate(days, start=1)])
    sync("--from", days[0], "--until", days[1])
    hf_api.requests.clear()

    sync()

    assert [day for day, _ in hf_api.requests] == [days[2], days[2], days[3], days[3]]
    assert DailyListing.objects.count() == 4
    hf_api.requests.clear()

    sync()  # today is still open on Hugging Face: fetched again, and only today

    assert {day for day, _ in hf_api.requests} == {days[3]}


def test_the_first_sync_without_from_takes_the_last_days(hf_api, settings):
    settings.HARVEST_DAYS = 2

    sync()

    today = hf_today()
    assert sorted({day for day, _ in hf_api.requests}) == [
        str(today - timedelta(days=n)) for n in (2, 1, 0)
    ]


def test_until_before_from_is_refused(hf_api):
    with pytest.raises(CommandError, match="before the first day"):
        sync("--from", TUESDAY, "--until", MONDAY)


def test_mirrored_upvotes_are_the_baseline_and_local_upvotes_add_to_them(hf_api):
    hf_api.add([hf_row("2403.00001", MONDAY, upvotes=5)])
    sync("--from", MONDAY, "--until", MONDAY)
    paper = Paper.objects.get(pk="2403.00001")
    add_upvote(User.objects.create_user("reader"), paper)
    paper.refresh_from_db()
    assert (paper.imported_upvotes, paper.upvotes) == (5, 6)

    hf_api.days[MONDAY][0]["paper"]["upvotes"] = 8
    sync("--from", MONDAY, "--until", MONDAY)
    paper.refresh_from_db()
    assert (paper.imported_upvotes, paper.upvotes) == (8, 9)

    # A lower count (a stale copy upstream) never takes upvotes away.
    hf_api.days[MONDAY][0]["paper"]["upvotes"] = 7
    sync("--from", MONDAY, "--until", MONDAY)
    paper.refresh_from_db()
    assert (paper.imported_upvotes, paper.upvotes) == (8, 9)


def test_listed_papers_stay_pending_while_arxiv_is_unreachable_and_add_pending_completes_them(
    hf_api, settings, arxiv_stand_in
):
    hf_api.add(
        [
            hf_row("2403.00001", MONDAY),
            hf_row("2403.00002", MONDAY, abstract=None),  # no full metadata at all
            hf_row("2403.00003", TUESDAY),
        ]
    )
    stand_in_url = settings.ARXIV_API_URL
    settings.ARXIV_API_URL = f"{closed_port_url()}/api/query"

    out, err = sync("--from", MONDAY, "--until", TUESDAY)

    assert "cannot fetch from the arXiv API" in err
    assert "3 listed papers wait for their arXiv metadata" in out
    assert "dailypapers add --pending" in out
    listed = Paper.objects.get(pk="2403.00001")
    assert (
        listed.version == 0
        and listed.abstract == "What 2403.00001 found, as Hugging Face shows it."
    )
    placeholder = Paper.objects.get(pk="2403.00002")
    assert placeholder.version == 0 and placeholder.title == "Listed paper 2403.00002"
    assert [status.source for status in SourceStatus.failing()] == ["arxiv-api"]

    settings.ARXIV_API_URL = stand_in_url
    known_to_arxiv(arxiv_stand_in, "2403.00001", "2403.00002", "2403.00003")
    call_command("add", "--pending", stdout=StringIO(), stderr=StringIO())

    assert not Paper.objects.filter(version=0).exists()
    assert Paper.objects.get(pk="2403.00002").abstract == "arXiv's abstract of 2403.00002."
    assert SourceStatus.failing() == []


def test_hugging_face_unreachable_is_a_command_error_naming_the_url_and_the_file_alternative(
    settings,
):
    settings.HF_API_URL = closed_port_url()

    with pytest.raises(CommandError) as failure:
        sync("--from", MONDAY, "--until", MONDAY)

    message = str(failure.value)
    assert f"cannot reach {settings.HF_API_URL}/api/daily_papers" in message
    assert "dailypapers import hf-daily.jsonl.gz" in message
    assert SourceStatus.objects.get(source="hf").error in message


def test_retry_after_may_be_an_http_date():
    response = requests.Response()
    response.headers["Retry-After"] = format_datetime(
        timezone.now() + timedelta(seconds=90), usegmt=True
    )
    assert 85 <= retry_after(response) <= 90
    response.headers["Retry-After"] = "soon"
    assert retry_after(response) is None


def test_real_daily_lists_are_mirrored_whole(hf_api):
    rows = real_rows(days=3)
    hf_api.max_limit = 5
    hf_api.add(rows)
    first, last = rows[0]["date"], rows[-1]["date"]

    out, _ = sync("--from", first, "--until", last)

    assert f"(3 days, listings): {len(rows)} new" in out
    listed = {
        listing.paper_id: listing
        for listing in DailyListing.objects.select_related("paper").filter(source="hf-api")
    }
    assert set(listed) == {row["id"] for row in rows}
    for row in rows:
        listing = listed[row["id"]]
        assert str(listing.date) == row["date"]
        assert listing.paper.imported_upvotes == (row["upvotes"] or 0)
        if row["title"]:
            assert listing.paper.title == " ".join(row["title"].split())


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "kill"])
def test_a_sync_killed_mid_way_keeps_whole_days_and_completes_when_run_again(
    tmp_path, hf_api, stop_signal, settings
):
    days = [str(date(2024, 3, 4) + timedelta(days=n)) for n in range(4)]
    hf_api.add([hf_row(f"2403.{n:05}", day) for n, day in enumerate(days * 3, start=1)])
    hf_api.hold_day = days[2]
    db = ExternalDatabase(tmp_path)
    db.env |= stand_in_environment(settings)
    db.env["DAILYPAPERS_ARXIV_API_URL"] = f"{closed_port_url()}/api/query"
    arguments = ("sync-hf", "--from", days[0], "--until", days[-1])
    process = subprocess.Popen(
        db.command(*arguments), env=db.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert hf_api.held.wait(120), process.communicate()
        process.send_signal(stop_signal)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
        hf_api.release.set()
    listed = "SELECT COUNT(*) FROM papers_dailylisting"
    assert db.scalar(listed) == 6  # the two days before the one it was fetching
    if stop_signal == signal.SIGTERM:
        assert process.returncode == 130
        assert b"every finished day is saved" in err
    hf_api.requests.clear()

    rerun = db.run(*arguments)

    assert rerun.returncode == 0, rerun.stderr
    assert f"Resuming the unfinished sync after {days[1]}" in rerun.stderr
    assert hf_api.requests[0] == (days[2], 0)
    assert "(2 days, listings): 6 new" in rerun.stdout
    assert db.scalar(listed) == 12
    assert "nothing changed" in db.run(*arguments).stdout
