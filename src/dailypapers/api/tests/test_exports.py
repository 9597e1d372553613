"""BibTeX round-trips through a BibTeX parser; a user's data exports as JSON."""

from datetime import date

import bibtexparser
import pytest
from django.contrib.auth.models import User

from dailypapers.library.collections import add_paper, create_collection
from dailypapers.library.follows import follow
from dailypapers.library.marks import dismiss
from dailypapers.papers.models import Paper
from dailypapers.papers.records import ListingRecord, PaperRecord
from dailypapers.papers.services import add_upvote
from dailypapers.papers.upserts import upsert_listings, upsert_papers
from dailypapers.search.indexing import sync_keyword_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    upsert_papers(
        [
            PaperRecord.build(
                arxiv_id="2403.01779",
                title="OOTDiffusion: {Try-on} & 100% $O(n^2)$",
                abstract="Virtual try-on.",
                authors=["Yuhao Xu", "Tao Gu"],
                published=date(2024, 3, 4),
                categories=["cs.CV"],
                journal_ref="CVPR #3",
                doi="10.1/x",
            ),
            PaperRecord.build(
                arxiv_id="2403.01780",
                title="OOTDiffusion Again",
                abstract="Virtual try-on, again.",
                authors=["Yuhao Xu"],
                published=date(2024, 3, 4),
                categories=["cs.CV"],
            ),
            PaperRecord.build(
                arxiv_id="hep-th/9901001",
                title="Strings",
                abstract="Old.",
                authors=["Édouard Brézin"],
                published=date(1999, 1, 1),
            ),
        ]
    )
    upsert_listings(
        [
            ListingRecord(arxiv_id=pid, date=date(2024, 3, 5), source="hf-api")
            for pid in ("2403.01779", "2403.01780")
        ]
    )
    sync_keyword_index()


def parse(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    library = bibtexparser.parse_string(response.content.decode())
    assert not library.failed_blocks
    return {
        entry.key: {name: field.value for name, field in entry.fields_dict.items()}
        for entry in library.entries
    }


@pytest.mark.usefixtures("catalog")
def test_paper_bibtex_parses_back_to_its_fields(client):
    entries = parse(client.get("/papers/2403.01779.bib"))
    fields = entries["xu2024ootdiffusion"]
    assert fields["title"] == r"{OOTDiffusion: {Try-on} \& 100\% $O(n^2)$}"
    assert fields["author"] == "Xu, Yuhao and Gu, Tao"
    assert (fields["year"], fields["eprint"], fields["archivePrefix"]) == (
        "2024",
        "2403.01779",
        "arXiv",
    )
    assert (fields["primaryClass"], fields["doi"], fields["journal"]) == (
        "cs.CV",
        "10.1/x",
        r"CVPR \#3",
    )
    assert fields["url"] == "https://arxiv.org/abs/2403.01779"


@pytest.mark.usefixtures("catalog")
def test_old_style_ids_and_accented_names(client):
    entries = parse(client.get("/papers/hep-th/9901001.bib"))
    assert entries["brezin1999strings"]["author"] == "Brézin, Édouard"


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    "url",
    ["/export/daily.bib?date=2024-03-05", "/export/daily.bib", "/export/search.bib?q=ootdiffusion"],
)
def test_lists_export_unique_keys(client, url):
    entries = parse(client.get(url))
    assert set(entries) == {"xu2024ootdiffusion", "xu2024ootdiffusion-2"}


@pytest.mark.usefixtures("catalog")
def test_upvotes_bibtex_and_my_data_export(client):
    user = User.objects.create_user("reader", "reader@example.org", "pw")
    add_upvote(user, Paper.objects.get(pk="2403.01780"))
    reading = create_collection(user, "Reading")
    add_paper(user, reading.key, "2403.01779", "read §2", client="192.0.2.7/32")
    follow(user, "category", "cs.CV")
    dismiss(user, "hep-th/9901001")
    assert set(parse(client.get("/export/users/reader/upvotes.bib"))) == {"xu2024ootdiffusion"}
    assert client.get("/export/me.json").status_code == 302  # sign in first
    client.force_login(user)
    data = client.get("/export/me.json").json()
    assert data["username"] == "reader" and data["email"] == "reader@example.org"
    assert [vote["paper"] for vote in data["upvotes"]] == ["2403.01780"]
    assert data["submissions"] == []
    library = data["library"]
    assert [(c["id"], c["name"], c["public"]) for c in library["collections"]] == [
        (reading.key, "Reading", False)
    ]
    [item] = library["collections"][0]["papers"]
    assert (item["paper"], item["note"]) == ("2403.01779", "read §2")
    assert [(f["kind"], f["value"]) for f in library["follows"]] == [("category", "cs.CV")]
    assert [(m["paper"], m["mark"]) for m in library["marks"]] == [("hep-th/9901001", "dismissed")]


@pytest.mark.parametrize(
    "url, status",
    [
        ("/papers/2403.99999.bib", 404),
        ("/papers/bogus.bib", 400),
        ("/export/daily.bib?date=2024-02-30", 400),
        ("/export/users/ghost/upvotes.bib", 404),
    ],
)
def test_export_errors(client, db, url, status):
    assert client.get(url).status_code == status
