"""``dailypapers import``: every file format, good and bad input, interruption."""

import gzip
import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dailypapers.conftest import arxiv_row
from dailypapers.papers.models import DailyListing, Organization, Paper

pytestmark = pytest.mark.django_db


def run_import(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_jsonl_gz_import_stores_every_field(write_jsonl):
    path = write_jsonl(
        "papers.jsonl.gz", [arxiv_row(comment="ICML 2024. Project page: https://acme.github.io/m")]
    )
    out, _ = run_import(path)
    assert "1 new, 0 updated, 0 unchanged, 0 rejected" in out
    paper = Paper.objects.get()
    assert paper.title == "A study of 2403.01779"
    assert paper.categories == "cs.LG cs.CL"
    assert paper.published == date(2024, 3, 4)
    assert paper.comment.startswith("ICML 2024")
    assert paper.github_repo == "https://github.com/acme/method"
    assert paper.project_page == "https://acme.github.io/m"
    assert list(paper.authors.order_by("authorships__position").values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
    ]


def test_importing_the_same_file_twice_changes_nothing_and_says_so(write_jsonl):
    path = write_jsonl("papers.jsonl", [arxiv_row(), arxiv_row("2403.00002")])
    run_import(path)
    out, _ = run_import(path)
    assert "0 new, 0 updated, 2 unchanged, 0 rejected — nothing changed" in out


def test_bad_lines_are_reported_with_line_number_and_skipped(write_jsonl):
    path = write_jsonl(
        "mixed.jsonl",
        [
            arxiv_row("2403.00001"),
            '{"id": "2403.00002", "title": ',  # line 2: invalid JSON
            arxiv_row("2403.00003", title=""),  # line 3: missing title
            arxiv_row("24-03.0004"),  # line 4: invalid id
            "[1, 2]",  # line 5: not an object
            arxiv_row("2403.00006", published="yesterday"),  # line 6: bad date
            arxiv_row("2403.00007", authors="Ada"),  # line 7: authors not a list
            arxiv_row("2403.00008"),
        ],
    )
    out, err = run_import(path)
    assert "2 new, 0 updated, 0 unchanged, 6 rejected" in out
    for line, reason in [
        (2, "invalid JSON"),
        (3, "missing title"),
        (4, "not an arXiv id"),
        (5, "not a JSON object"),
        (6, "published is not a date"),
        (7, "authors must be a list"),
    ]:
        assert f"line {line}: rejected: " in err and reason in err
    assert set(Paper.objects.values_list("pk", flat=True)) == {"2403.00001", "2403.00008"}


def test_truncated_gzip_keeps_what_was_read_and_fails_clearly(write_jsonl, tmp_path):
    full = gzip.compress(
        "".join(json.dumps(arxiv_row(f"2403.{n:05d}")) + "\n" for n in range(1, 3001)).encode()
    )
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(CommandError, match="could not be read to the end"):
        run_import(path, "--batch-size", "500")
    stored = Paper.objects.count()
    assert 0 < stored < 3000
    # No paper is half-written: each has its authors.
    assert not Paper.objects.filter(authorships__isnull=True).exists()


def test_duplicate_ids_and_older_version_after_newer(write_jsonl):
    path = write_jsonl(
        "dups.jsonl",
        [
            arxiv_row(version=2, title="Second version"),
            arxiv_row(version=1, title="First version"),
            arxiv_row(version=2, title="Second version"),
        ],
    )
    out, _ = run_import(path)
    assert "1 new, 0 updated, 2 unchanged (1 older versions ignored)" in out
    assert Paper.objects.get().title == "Second version"


def test_format_is_detected_and_can_be_forced(write_jsonl):
    path = write_jsonl("x.jsonl", [arxiv_row()])
    out, _ = run_import(path, "--format", "arxiv-jsonl")
    assert "(arxiv-jsonl)" in out
    unknown = write_jsonl("unknown.jsonl", [{"foo": 1}])
    with pytest.raises(CommandError, match="cannot tell the format"):
        run_import(unknown)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nope.jsonl")


KAGGLE_ROW = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": (
        "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    ),
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph cs.LG",
    "license": None,
    "abstract": (
        "  A fully differential calculation in perturbative quantum chromodynamics is\npresented.\n"
    ),
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", ""],
        ["Yuan", "C. -P.", ""],
    ],
}


def test_kaggle_dump_rows_map_versions_dates_and_authors(write_jsonl):
    old_style = dict(
        KAGGLE_ROW,
        id="hep-th/9901001",
        authors_parsed=[],
        authors="A. One, B. Two and C. Three",
        versions=[{"version": "v1", "created": "Fri, 1 Jan 1999 00:00:00 GMT"}],
    )
    path = write_jsonl("arxiv-metadata-oai-snapshot.json", [KAGGLE_ROW, old_style])
    out, _ = run_import(path)
    assert "(kaggle)" in out and "2 new" in out
    paper = Paper.objects.get(pk="0704.0001")
    assert (paper.version, paper.published, paper.updated) == (
        2,
        date(2007, 4, 2),
        date(2007, 7, 24),
    )
    assert paper.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert paper.abstract.startswith("A fully differential")
    assert (paper.categories, paper.primary_category) == ("hep-ph cs.LG", "hep-ph")
    assert (paper.journal_ref, paper.doi) == (
        "Phys.Rev.D76:013009,2007",
        "10.1103/PhysRevD.76.013009",
    )
    assert [a.author.name for a in paper.authorships.all()] == [
        "C. Balázs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C. -P. Yuan",
    ]
    old = Paper.objects.get(pk="hep-th/9901001")
    assert [a.author.name for a in old.authorships.all()] == ["A. One", "B. Two", "C. Three"]


def test_kaggle_v1_after_stored_v2_is_ignored(write_jsonl):
    run_import(write_jsonl("new.json", [KAGGLE_ROW]))
    older = dict(KAGGLE_ROW, title="Old title", versions=KAGGLE_ROW["versions"][:1])
    out, _ = run_import(write_jsonl("old.json", [older]))
    assert "1 older versions ignored" in out
    assert Paper.objects.get().version == 2


def test_kaggle_row_with_broken_versions_is_rejected(write_jsonl):
    out, err = run_import(
        write_jsonl("bad.json", [dict(KAGGLE_ROW, versions="v1")]), "--format", "kaggle"
    )
    assert "1 rejected" in out and "line 1: rejected: versions must be a list" in err


HF_ITEM = {
    "paper": {
        "id": "2403.01779",
        "authors": [
            {"_id": "65e6", "name": "Yuhao Xu", "hidden": False},
            {"_id": "65e7", "name": "Tao Gu", "hidden": False},
        ],
        "publishedAt": "2024-03-04T06:12:00.000Z",
        "title": "OOTDiffusion: Outfitting Fusion based Latent Diffusion",
        "summary": "Image-based virtual try-on (VTON) ...",
        "upvotes": 28,
        "githubRepo": "https://github.com/levihsu/OOTDiffusion",
    },
    "publishedAt": "2024-03-05T00:00:00.000Z",
    "title": "OOTDiffusion: Outfitting Fusion based Latent Diffusion",
    "numComments": 3,
    "submittedBy": {"user": "akhaliq", "fullname": "AK", "avatarUrl": "/avatars/ak.svg"},
    "organization": {"name": "qwen", "fullname": "Qwen", "avatarUrl": "/avatars/qwen.png"},
}


def test_hf_daily_api_response_creates_listing_paper_and_organization(tmp_path):
    path = tmp_path / "daily_papers.json"
    path.write_text(
        json.dumps([HF_ITEM, {"paper": {"id": "bad id"}, "publishedAt": "2024-03-05"}], indent=2)
    )
    out, err = run_import(path)
    assert "(hf-daily-api)" in out and "1 new" in out and "1 rejected" in out
    assert "record 2: rejected: not an arXiv id" in err
    listing = DailyListing.objects.select_related("paper").get()
    assert (listing.date, listing.submitter_name, listing.source) == (
        date(2024, 3, 5),
        "akhaliq",
        "hf-api",
    )
    paper = listing.paper
    assert (paper.version, paper.published, paper.upvotes) == (0, date(2024, 3, 4), 28)
    assert paper.github_repo == "https://github.com/levihsu/OOTDiffusion"
    assert Organization.objects.get().avatar_url == "https://huggingface.co/avatars/qwen.png"
    assert paper.organization.slug == "qwen"


def test_hf_archive_rows_with_and_without_abstract(write_jsonl):
    path = write_jsonl(
        "hf-daily.jsonl.gz",
        [
            {
                "date": "2024-01-01",
                "id": "2312.17276",
                "upvotes": 15,
                "title": "PanGu-$π$",
                "abstract": "The recent trend of large language models.",
                "authors": ["Yunhe Wang"],
                "source": "x",
            },
            {
                "date": "2024-01-02",
                "id": "2312.17653",
                "upvotes": None,
                "title": "LARP",
                "abstract": None,
                "authors": [],
                "source": "x",
            },
            {
                "date": "2024-01-02",
                "id": "2312.17654",
                "upvotes": "many",
                "title": "T",
                "abstract": None,
                "authors": [],
                "source": "x",
            },
        ],
    )
    out, err = run_import(path)
    assert "2 new" in out and "line 3: rejected: upvotes is not a number" in err
    full, pending = Paper.objects.get(pk="2312.17276"), Paper.objects.get(pk="2312.17653")
    assert (full.abstract, full.upvotes, full.version) == (
        "The recent trend of large language models.",
        15,
        0,
    )
    assert (pending.title, pending.abstract, pending.is_complete) == ("LARP", "", False)
    # arXiv metadata imported later completes both and keeps the listings.
    run_import(write_jsonl("arxiv.jsonl", [arxiv_row("2312.17276"), arxiv_row("2312.17653")]))
    assert Paper.objects.filter(version=1).count() == 2
    assert DailyListing.objects.count() == 2
    assert Paper.objects.get(pk="2312.17276").upvotes == 15


def test_a_large_import_keeps_postgresql_statistics_level_with_the_catalog(
    write_jsonl, monkeypatch
):
    from django.db import connection

    from dailypapers.papers.upserts import CatalogStatistics

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plans by statistics that ANALYZE gathers; SQLite has none here")
    # As if the import were large: the tables are analysed from this many new papers on.
    monkeypatch.setattr(CatalogStatistics, "FIRST_AFTER", 20)
    path = write_jsonl("papers.jsonl", [arxiv_row(f"2403.{n:05d}") for n in range(1, 61)])
    call_command("import", str(path), "--batch-size", "10", stdout=StringIO(), stderr=StringIO())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN "
            "('papers_paper', 'papers_authorship')"
        )
        estimated = dict(cursor.fetchall())
    # Analysed at 20 and 40 papers (each time the added papers reach the catalog's size).
    assert estimated["papers_paper"] == 40
    assert estimated["papers_authorship"] == 80
