"""``dailypapers add`` against a local stand-in for the arXiv API."""

import re
import socket
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dailypapers.conftest import PAPER_V1, PAPER_V2
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db(transaction=True)


def add(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("add", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_adding_a_paper_stores_all_its_arxiv_metadata(arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)

    out, _ = add("2403.01779")

    assert "arXiv: 1 new, 0 updated, 0 unchanged, 0 rejected" in out
    paper = Paper.objects.get(pk="2403.01779")
    assert paper.version == 2
    assert paper.title == "A Sample Paper Title Spanning Two Lines"
    assert paper.abstract == (
        "This is the abstract.\n  Code is at https://github.com/example/sample-paper."
    )
    assert [a.author.name for a in paper.authorships.select_related("author")] == [
        "Alice Example",
        "Bob Sample",
    ]
    assert paper.categories == "cs.CV cs.LG"
    assert paper.primary_category == "cs.CV"
    assert paper.published == date(2024, 3, 4)
    assert paper.updated == date(2024, 3, 8)
    assert paper.comment == "12 pages, 5 figures"
    assert paper.journal_ref == "J. Example 1 (2024) 1-12"
    assert paper.doi == "10.1234/example.5678"
    assert paper.github_repo == "https://github.com/example/sample-paper"


@pytest.mark.parametrize(
    "given",
    [
        "2403.01779v1",
        "arXiv:2403.01779",
        "https://arxiv.org/abs/2403.01779v2",
        "https://arxiv.org/pdf/2403.01779",
    ],
)
def test_urls_prefixes_and_versioned_ids_fetch_the_latest_version(arxiv_api, given):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)

    add(given)

    assert arxiv_api.requests == ["2403.01779"]
    assert Paper.objects.get(pk="2403.01779").version == 2


def test_the_same_paper_given_twice_is_fetched_once(arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)

    out, _ = add("2403.01779", "https://arxiv.org/abs/2403.01779v2")

    assert arxiv_api.requests == ["2403.01779"]
    assert "1 new" in out


def test_adding_an_unchanged_paper_again_changes_nothing(arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    add("2403.01779")

    out, _ = add("2403.01779")

    assert "0 new, 0 updated, 1 unchanged" in out
    assert "nothing changed" in out


def test_a_newer_version_replaces_the_stored_one(arxiv_api):
    arxiv_api.responses["2403.01779"] = (200, PAPER_V1)
    add("2403.01779")
    assert Paper.objects.get(pk="2403.01779").version == 1

    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)
    out, _ = add("2403.01779")

    assert "0 new, 1 updated" in out
    paper = Paper.objects.get(pk="2403.01779")
    assert (paper.version, paper.title) == (2, "A Sample Paper Title Spanning Two Lines")
    assert paper.authors.count() == 2


def test_an_id_unknown_to_arxiv_is_reported_and_fails_when_nothing_was_added(arxiv_api):
    stderr = StringIO()

    with pytest.raises(CommandError, match="nothing could be added"):
        call_command("add", "2403.99999", stdout=StringIO(), stderr=stderr)

    assert "2403.99999: not found on arXiv" in stderr.getvalue()
    assert not Paper.objects.exists()


def test_an_unknown_id_among_known_ones_is_reported_without_failing(arxiv_api):
    arxiv_api.responses["2403.01779,2403.99999"] = (200, PAPER_V2)

    out, err = add("2403.01779", "2403.99999")

    assert "1 new" in out
    assert "2403.99999: not found on arXiv" in err
    assert Paper.objects.filter(pk="2403.01779").exists()


def test_a_result_arxiv_returns_without_an_abstract_is_rejected(arxiv_api):
    without_abstract = re.sub(
        rb"<summary>.*</summary>", b"<summary></summary>", PAPER_V2, flags=re.DOTALL
    )
    arxiv_api.responses["2403.01779"] = (200, without_abstract)
    stdout, stderr = StringIO(), StringIO()

    with pytest.raises(CommandError, match="nothing could be added"):
        call_command("add", "2403.01779", stdout=stdout, stderr=stderr)

    assert "1 rejected" in stdout.getvalue()
    assert "rejected: 2403.01779: missing abstract" in stderr.getvalue()
    assert "not found" not in stderr.getvalue()


def test_a_malformed_id_is_refused_without_asking_arxiv(arxiv_api):
    with pytest.raises(CommandError, match="not an arXiv id: 'not-an-id'"):
        add("2403.01779", "not-an-id")

    assert arxiv_api.requests == []


def test_pending_completes_papers_known_only_from_a_daily_listing(arxiv_api):
    Paper.objects.create(arxiv_id="2403.01779", version=0, title="A Sample Paper", abstract="")
    Paper.objects.create(arxiv_id="2403.00001", version=1, title="Complete", abstract="Done.")
    arxiv_api.responses["2403.01779"] = (200, PAPER_V2)

    out, _ = add("--pending")

    assert arxiv_api.requests == ["2403.01779"]
    assert "0 new, 1 updated" in out
    paper = Paper.objects.get(pk="2403.01779")
    assert paper.version == 2
    assert paper.abstract.startswith("This is the abstract.")


def test_pending_asks_for_at_most_100_ids_per_request(arxiv_api):
    Paper.objects.bulk_create(
        Paper(arxiv_id=f"2403.{number:05d}", version=0, title="Listed", abstract="")
        for number in range(1, 151)
    )

    with pytest.raises(CommandError, match="nothing could be added"):
        add("--pending")

    assert [len(id_list.split(",")) for id_list in arxiv_api.requests] == [100, 50]


def test_pending_with_nothing_pending_makes_no_request(arxiv_api):
    out, _ = add("--pending")

    assert "No papers are waiting" in out
    assert arxiv_api.requests == []


def test_an_error_status_from_arxiv_is_a_command_error(arxiv_api):
    arxiv_api.responses["2403.01779"] = (503, b"busy")

    with pytest.raises(CommandError, match="answered HTTP 503.*dailypapers import"):
        add("2403.01779")


def test_an_unreachable_arxiv_is_a_command_error_suggesting_import(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port once the socket is closed.
    settings.ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"
    settings.ARXIV_REQUEST_DELAY = 0

    with pytest.raises(CommandError, match="cannot fetch from the arXiv API") as error:
        add("2403.01779")

    assert "dailypapers import" in str(error.value)
    assert not Paper.objects.exists()


def test_no_ids_and_no_pending_is_a_usage_error():
    with pytest.raises(CommandError, match="at least one arXiv id"):
        add()
