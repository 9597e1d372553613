"""``dailypapers harvest`` against a local OAI-PMH server serving the pages in ``oai/``.

The pages form one list of six records in three pages (tokens ``tok-2``,
``tok-3``): four papers, one without a title and one deleted upstream.
"""

import socket
from collections.abc import Callable, Iterator
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from rich.console import Console

from dailypapers.conftest import CannedServer, Reply, canned_http_server
from dailypapers.ingest.models import HarvestCheckpoint
from dailypapers.ingest.oai import ArxivOAIClient, Harvester, HarvestPlan
from dailypapers.papers.models import Paper
from dailypapers.search import backends
from dailypapers.search.indexing import pending_embeddings

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = Path(__file__).parent / "oai"


def page(name: str) -> Reply:
    return 200, (PAGES / name).read_bytes(), XML


def three_pages(query: dict[str, str]) -> Reply:
    token = query.get("resumptionToken")
    return page(
        {None: "list_records_1.xml", "tok-2": "list_records_2.xml", "tok-3": "list_records_3.xml"}[
            token
        ]
    )


XML = {"Content-Type": "text/xml; charset=utf-8"}


@pytest.fixture
def oai(settings) -> Iterator[CannedServer]:
    with canned_http_server(three_pages) as server:
        server.url = settings.ARXIV_OAI_URL = f"{server.url}/oai"
        settings.ARXIV_REQUEST_DELAY = 0
        yield server


def harvest(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("harvest", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def fail_once(token: str, reply: Reply) -> Callable[[dict[str, str]], Reply]:
    """The three pages, except that the page for ``token`` gets ``reply`` the first time."""
    failed = []

    def respond(query: dict[str, str]) -> Reply:
        if query.get("resumptionToken") == token and not failed:
            failed.append(token)
            return reply
        return three_pages(query)

    return respond


def test_harvest_follows_resumption_tokens_and_stores_every_page(oai):
    out, _ = harvest("--from", "2024-01-01", "--set", "cs")

    assert oai.requests == [
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2024-01-01", "set": "cs"},
        {"verb": "ListRecords", "resumptionToken": "tok-2"},
        {"verb": "ListRecords", "resumptionToken": "tok-3"},
    ]
    assert "arXiv cs from 2024-01-01: 4 new, 0 updated, 0 unchanged, 1 rejected" in out
    assert "1 record(s) deleted upstream" in out
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {
        "2401.00001",
        "2401.00002",
        "2401.00005",
        "2401.00006",
    }
    checkpoint = HarvestCheckpoint.objects.get()
    assert checkpoint.finished and checkpoint.resumption_token == ""
    assert checkpoint.last_datestamp == date(2024, 1, 5)


def test_arxiv_raw_records_keep_their_version_history_and_authors(oai):
    harvest("--from", "2024-01-01")

    paper = Paper.objects.get(pk="2401.00001")
    assert paper.title == "Sparse Attention for Long Documents"
    assert paper.abstract == "We study sparse attention over long documents."
    assert (paper.version, paper.published, paper.updated) == (
        2,
        date(2024, 1, 1),
        date(2024, 1, 2),
    )
    assert [a.author.name for a in paper.authorships.all()] == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert (paper.categories, paper.primary_category) == ("cs.CL cs.LG", "cs.CL")
    assert (paper.journal_ref, paper.doi) == ("Proc. Imaginary Conf. 2024", "10.1234/example.1")
    assert paper.github_repo == "https://github.com/example/sparse-attention"
    single = Paper.objects.get(pk="2401.00002")
    assert (single.version, single.published, single.updated) == (1, date(2024, 1, 3), None)


def test_malformed_and_deleted_records_are_reported_by_number_and_skipped(oai):
    _, err = harvest("--from", "2024-01-01")

    assert "record 3 (oai:arXiv.org:2401.00003): rejected: 2401.00003: missing title" in err
    assert "record 4 (oai:arXiv.org:2401.00004): deleted upstream" in err
    assert not Paper.objects.filter(pk__in=["2401.00003", "2401.00004"]).exists()


def test_deleted_record_leaves_the_local_copy_alone(oai):
    Paper.objects.create(arxiv_id="2401.00004", title="Kept", abstract="Still here.")

    harvest("--from", "2024-01-01")

    assert Paper.objects.get(pk="2401.00004").title == "Kept"


def test_arxiv_metadata_prefix_reads_structured_authors_and_dates(oai):
    oai.respond = lambda query: page("list_records_arxiv.xml")

    out, _ = harvest("--from", "2024-01-01", "--metadata-prefix", "arXiv")

    assert oai.requests[0]["metadataPrefix"] == "arXiv"
    assert "1 new" in out
    paper = Paper.objects.get(pk="2401.00007")
    assert [a.author.name for a in paper.authorships.all()] == [
        "Grace M. Hopper",
        "Martin L. King Jr",
        "The Compiler Collaboration",
    ]
    assert (paper.version, paper.published, paper.updated) == (
        1,
        date(2024, 1, 2),
        date(2024, 1, 5),
    )
    assert paper.title == "Compilers for Everyone"
    assert paper.abstract == "Making compilers approachable."


def test_503_with_retry_after_is_waited_out_and_retried(oai):
    oai.respond = fail_once("tok-2", (503, b"busy", {"Retry-After": "1"}))

    out, _ = harvest("--from", "2024-01-01")

    assert [q.get("resumptionToken") for q in oai.requests] == [None, "tok-2", "tok-2", "tok-3"]
    assert oai.times[2] - oai.times[1] >= 1
    assert "4 new" in out


def test_requests_are_spaced_by_the_arxiv_request_delay(oai, settings):
    settings.ARXIV_REQUEST_DELAY = 0.3

    harvest("--from", "2024-01-01")

    gaps = [later - earlier for earlier, later in zip(oai.times, oai.times[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.3


def test_failed_harvest_resumes_with_the_stored_token_and_fetches_only_the_rest(oai):
    oai.respond = fail_once("tok-2", (500, b"internal error", {}))

    with pytest.raises(CommandError) as failure:
        harvest("--from", "2024-01-01")

    assert "500" in str(failure.value) and oai.url in str(failure.value)
    assert Paper.objects.count() == 2
    checkpoint = HarvestCheckpoint.objects.get()
    assert (checkpoint.resumption_token, checkpoint.finished) == ("tok-2", False)
    assert checkpoint.last_datestamp == date(2024, 1, 3)

    oai.requests.clear()
    out, err = harvest("--from", "2024-01-01")

    assert oai.requests == [
        {"verb": "ListRecords", "resumptionToken": "tok-2"},
        {"verb": "ListRecords", "resumptionToken": "tok-3"},
    ]
    assert "2 new" in out
    assert "Resuming the unfinished harvest" in err
    assert "record 3 (oai:arXiv.org:2401.00003): rejected" in err
    assert Paper.objects.count() == 4
    assert HarvestCheckpoint.objects.get().finished


def test_interrupt_keeps_finished_pages_and_rolls_back_the_current_one(oai, monkeypatch):
    from dailypapers.ingest import oai as harvester

    real_upsert = harvester.upsert_papers
    calls = []

    def interrupted_on_second_page(records):
        calls.append(records)
        counts = real_upsert(records)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return counts

    monkeypatch.setattr(harvester, "upsert_papers", interrupted_on_second_page)
    stderr = StringIO()
    with pytest.raises(SystemExit) as exit:
        call_command("harvest", "--from", "2024-01-01", stdout=StringIO(), stderr=stderr)

    assert exit.value.code == 130
    assert "run the same command again" in stderr.getvalue()
    assert Paper.objects.count() == 2
    assert HarvestCheckpoint.objects.get().resumption_token == "tok-2"


def test_rejected_stored_token_restarts_the_list_from_its_first_day(oai):
    oai.respond = fail_once("tok-2", (500, b"internal error", {}))
    with pytest.raises(CommandError):
        harvest("--from", "2024-01-01")
    oai.respond = fail_once("tok-2", page("error_badResumptionToken.xml"))
    oai.requests.clear()

    out, _ = harvest("--from", "2024-01-01")

    assert oai.requests[0] == {"verb": "ListRecords", "resumptionToken": "tok-2"}
    assert oai.requests[1] == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "from": "2024-01-01",
        "set": "cs",
    }
    assert Paper.objects.count() == 4
    assert HarvestCheckpoint.objects.get().finished


def test_next_harvest_without_from_continues_from_the_last_datestamp(oai):
    harvest("--from", "2024-01-01")
    oai.respond = lambda query: page("error_noRecordsMatch.xml")
    oai.requests.clear()

    out, _ = harvest()

    assert oai.requests == [
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2024-01-05", "set": "cs"}
    ]
    assert "nothing new" in out


def test_harvest_without_from_and_without_a_previous_harvest_says_what_to_do(oai):
    with pytest.raises(CommandError, match="no finished harvest of set 'cs'.*--from"):
        harvest()

    assert oai.requests == []


def test_no_records_match_is_nothing_new_not_an_error(oai):
    oai.respond = lambda query: page("error_noRecordsMatch.xml")

    out, _ = harvest("--from", "2024-01-01", "--until", "2024-01-02")

    assert oai.requests[0]["until"] == "2024-01-02"
    assert out.strip() == "arXiv cs from 2024-01-01 until 2024-01-02: nothing new"
    assert HarvestCheckpoint.objects.get().finished


def test_connection_refused_is_a_command_error_naming_the_url_and_the_file_alternative(
    oai, settings
):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.ARXIV_OAI_URL = f"http://127.0.0.1:{port}/oai"

    with pytest.raises(CommandError) as failure:
        harvest("--from", "2024-01-01")

    message = str(failure.value)
    assert f"could not fetch http://127.0.0.1:{port}/oai" in message
    assert "dailypapers import PATH" in message
    assert not HarvestCheckpoint.objects.exists()


def test_truncated_page_is_an_error_not_an_early_end(oai):
    body = page("list_records_2.xml")[1]
    oai.respond = fail_once("tok-2", (200, body[: len(body) // 2], {}))

    with pytest.raises(CommandError, match="malformed XML"):
        harvest("--from", "2024-01-01")

    assert Paper.objects.count() == 2
    checkpoint = HarvestCheckpoint.objects.get()
    assert (checkpoint.resumption_token, checkpoint.finished) == ("tok-2", False)


def test_other_oai_errors_are_command_errors(oai):
    oai.respond = lambda query: (
        200,
        page("error_noRecordsMatch.xml")[1].replace(b"noRecordsMatch", b"cannotDisseminateFormat"),
        {},
    )

    with pytest.raises(CommandError, match="refused the request: CannotDisseminateFormat"):
        harvest("--from", "2024-01-01")


def test_rerunning_a_finished_harvest_changes_nothing(oai):
    harvest("--from", "2024-01-01")
    before = list(Paper.objects.order_by("pk").values())

    out, _ = harvest("--from", "2024-01-01")

    assert "0 new, 0 updated, 4 unchanged, 1 rejected — nothing changed" in out
    assert list(Paper.objects.order_by("pk").values()) == before


def test_a_harvest_killed_before_updating_search_is_searchable_after_the_rerun(oai):
    # What a kill after the last page, before the search update, leaves behind.
    plan = HarvestPlan(set_spec="cs", metadata_prefix="arXivRaw", since=date(2024, 1, 1))
    Harvester(plan, console=Console(file=StringIO())).run()

    out, _ = harvest("--from", "2024-01-01")

    assert "nothing changed" in out
    papers = sorted(Paper.objects.values_list("pk", flat=True))
    assert sorted(backends.keyword_index().ids()) == papers
    assert not pending_embeddings().exists()


def test_retry_after_may_be_an_http_date():
    client = ArxivOAIClient("http://127.0.0.1/oai", delay=0)
    response = requests.Response()
    response.status_code = 503
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert client.get_retry_after(response) == 0
    response.headers["Retry-After"] = "7"
    assert client.get_retry_after(response) == 7
    del response.headers["Retry-After"]
    assert client.get_retry_after(response) == client.default_retry_after


def test_a_harvest_keeps_postgresql_statistics_level_with_the_catalog(oai, monkeypatch):
    from django.db import connection

    from dailypapers.papers.upserts import CatalogStatistics

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plans by statistics that ANALYZE gathers; SQLite has none here")
    # As if the harvest were large: the tables are analysed from this many new papers on.
    monkeypatch.setattr(CatalogStatistics, "FIRST_AFTER", 2)
    harvest("--from", "2024-01-01", "--set", "cs")

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'papers_paper'")
        # Never analysed, a table's estimate is -1.
        assert cursor.fetchone()[0] >= 2
