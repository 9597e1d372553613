"""Staff link a new organization to its papers in bulk: by arXiv ids, by authors, in the admin."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from dailypapers.papers.models import Organization, Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.services import link_papers_to_organization
from dailypapers.papers.upserts import upsert_papers

pytestmark = pytest.mark.django_db


def paper(arxiv_id: str, authors: list[str], published: date) -> PaperRecord:
    return PaperRecord.build(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        abstract="We study it.",
        authors=authors,
        published=published,
    )


@pytest.fixture
def lab(db) -> Organization:
    upsert_papers(
        [
            paper("2401.00001", ["Ada Lovelace", "Alan Turing"], date(2024, 1, 5)),
            paper("2402.00002", ["Ada Lovelace"], date(2024, 2, 5)),
            paper("2403.00003", ["Grace Hopper"], date(2024, 3, 5)),
            paper("2404.00004", ["Alan Turing"], date(2024, 4, 5)),
            paper("2405.00005", ["Edsger Dijkstra"], date(2024, 5, 5)),
        ]
    )
    other = Organization.objects.create(slug="rival", name="Rival Lab")
    Paper.objects.filter(pk="2404.00004").update(organization=other)
    return Organization.objects.create(slug="acme", name="Acme AI")


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "a passphrase"))
    return client


def linked_to(organization: Organization) -> list[str]:
    return sorted(organization.papers.values_list("pk", flat=True))


def test_by_ids_links_known_papers_and_reports_the_rest(lab):
    report = link_papers_to_organization(
        lab,
        arxiv_ids=["2401.00001v2", "https://arxiv.org/abs/2403.00003", "2409.99999", "nonsense"],
    )
    assert report.linked == ["2401.00001", "2403.00003"]
    assert report.unknown_ids == ["2409.99999"]
    assert report.invalid_ids == ["nonsense"]
    assert linked_to(lab) == ["2401.00001", "2403.00003"]
    again = link_papers_to_organization(lab, arxiv_ids=["2401.00001"])
    assert (again.linked, again.already) == ([], ["2401.00001"])


def test_by_authors_within_dates_and_never_taking_another_organizations_papers(lab):
    report = link_papers_to_organization(
        lab,
        author_names=["ada lovelace", "Alan  Turing", "Nobody Known"],
        published_from=date(2024, 1, 1),
        published_until=date(2024, 4, 30),
    )
    assert report.linked == ["2401.00001", "2402.00002"]
    assert report.elsewhere == ["2404.00004"]  # Rival Lab's: left there
    assert report.unknown_authors == ["Nobody Known"]
    assert linked_to(lab) == ["2401.00001", "2402.00002"]
    taken = link_papers_to_organization(lab, author_names=["Alan Turing"], take_from_others=True)
    assert taken.linked == ["2404.00004"]
    assert Paper.objects.get(pk="2404.00004").organization == lab


def test_a_preview_changes_nothing(lab):
    report = link_papers_to_organization(lab, author_names=["Grace Hopper"], preview=True)
    assert report.linked == ["2403.00003"]
    assert linked_to(lab) == []


def test_linking_marks_the_papers_changed_for_the_search_index(lab):
    before = Paper.objects.get(pk="2405.00005").changed_at
    link_papers_to_organization(lab, arxiv_ids=["2405.00005"])
    assert Paper.objects.get(pk="2405.00005").changed_at > before


def test_creating_an_organization_in_the_admin_leads_to_linking_its_papers(admin_client, lab):
    response = admin_client.post(
        "/admin/papers/organization/add/",
        {"slug": "new-lab", "name": "New Lab", "avatar_url": "", "_save": "Save"},
    )
    new_lab = Organization.objects.get(slug="new-lab")
    link_page = f"/admin/papers/organization/{new_lab.pk}/link-papers/"
    assert response.status_code == 302 and response["Location"] == link_page
    page = admin_client.get(link_page)
    assert page.status_code == 200 and "Link papers to New Lab" in page.content.decode()


def test_the_admin_form_previews_then_links_and_reports_unknown_ids(admin_client, lab):
    link_page = f"/admin/papers/organization/{lab.pk}/link-papers/"
    form = {
        "arxiv_ids": "2401.00001, 2409.99999\n2403.00003 not-an-id",
        "authors": "Edsger Dijkstra\nAlan Turing\nNobody Known",
    }
    preview = admin_client.post(link_page, form | {"_preview": "Preview"})
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "Would link 3 papers: 2401.00001, 2403.00003, 2405.00005" in text
    assert "Not in the catalog: 2409.99999" in text and "Not arXiv ids: not-an-id" in text
    assert "No such author: Nobody Known" in text and "2404.00004" in text
    assert linked_to(lab) == []

    response = admin_client.post(link_page, form | {"_link": "Link papers"})
    assert response.status_code == 302
    assert linked_to(lab) == ["2401.00001", "2403.00003", "2405.00005"]
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert "3 papers linked to Acme AI." in said
    assert "Not in the catalog: 2409.99999" in said
    assert "Linked to another organization, left there: 2404.00004" in said
    listing = admin_client.get("/admin/papers/organization/").content.decode()
    assert "Link papers in bulk…" in listing


def test_the_admin_form_asks_for_ids_or_authors(admin_client, lab):
    response = admin_client.post(
        f"/admin/papers/organization/{lab.pk}/link-papers/", {"_link": "Link papers"}
    )
    assert response.status_code == 200
    assert "Give arXiv ids, author names, or both." in response.content.decode()


def test_only_staff_reach_the_link_page(client, lab):
    response = client.get(f"/admin/papers/organization/{lab.pk}/link-papers/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
