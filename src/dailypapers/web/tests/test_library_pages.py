"""The library's pages: follow buttons, collections, imports, marks, mutes, the feed's secret."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from dailypapers.library.collections import add_paper, create_collection
from dailypapers.library.feed_tokens import feed_token
from dailypapers.library.models import Collection, CollectionItem, Follow, Mark, Mute

from .conftest import HOSTILE

CLIENT = "192.0.2.9/32"

BIBTEX = """@article{quant,
  title = {Block-wise Quantization},
  eprint = {2403.00001},
  archivePrefix = {arXiv},
}

@article{broken,
  title = {No closing brace
  eprint = {2403.00003

@misc{nopaper,
  title = {A book without an arXiv id},
}
"""


@pytest.fixture
def other(db) -> User:
    return User.objects.create_user("other", "other@example.org", "another long passphrase")


def htmx(client, url: str, data: dict | None = None):
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


@pytest.mark.parametrize(
    "page, kind, value",
    [
        ("/authors/Grace Hopper", "author", "Grace Hopper"),
        ("/organizations/acme", "organization", "acme"),
        ("/papers/new/cs.LG", "category", "cs.LG"),
        ("/papers?q=quantization", "query", "quantization"),
    ],
)
def test_follow_and_unfollow_from_the_page(logged_in, reader, catalog, page, kind, value):
    html = logged_in.get(page).content.decode()
    assert 'aria-pressed="false">Follow</button>' in html
    answer = htmx(logged_in, "/follows", {"kind": kind, "value": value, "next": page})
    assert answer.status_code == 200
    made = Follow.objects.get(user=reader)
    assert (made.kind, made.value) == (kind, value)
    assert "Unfollow" in answer.content.decode()
    assert "Unfollow" in logged_in.get(page).content.decode()
    answer = htmx(logged_in, f"/follows/{made.pk}/delete")
    assert ">Follow</button>" in answer.content.decode()
    assert not Follow.objects.filter(user=reader).exists()


def test_an_anonymous_reader_gets_a_login_link_on_a_shared_page(client, catalog, reader):
    Follow.objects.create(user=reader, kind="author", value="Grace Hopper")
    html = client.get("/authors/Grace Hopper").content.decode()
    assert 'title="Log in to follow"' in html and "Unfollow" not in html
    answer = client.post("/follows", {"kind": "author", "value": "Grace Hopper"})
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_followers_state_is_never_served_to_the_next_anonymous_reader(client, catalog, reader):
    client.get("/authors/Grace Hopper")  # the shared page is made
    client.force_login(reader)
    htmx(client, "/follows", {"kind": "author", "value": "Grace Hopper"})
    assert "Unfollow" in client.get("/authors/Grace Hopper").content.decode()
    client.logout()
    assert "Unfollow" not in client.get("/authors/Grace Hopper").content.decode()


def test_create_a_collection_and_add_a_paper_with_a_note(logged_in, reader, catalog):
    answer = logged_in.post("/collections", {"name": "Quantization"})
    made = Collection.objects.get(owner=reader)
    assert answer.status_code == 302 and answer["Location"] == f"/collections/{made.key}"
    form = logged_in.get("/papers/2403.00001/save", HTTP_HX_REQUEST="true").content.decode()
    assert "Quantization" in form
    answer = htmx(
        logged_in,
        "/papers/2403.00001/save",
        {"collection": made.key, "note": "read section 3"},
    )
    assert "Saved in" in answer.content.decode()
    page = logged_in.get(f"/collections/{made.key}").content.decode()
    assert "read section 3" in page and "Block-wise" in page


def test_add_to_a_new_collection_from_the_form(logged_in, reader, catalog):
    chosen = create_collection(reader, "Chosen by default")
    logged_in.post("/papers/2403.00003/save", {"collection": chosen.key, "new_name": "Video"})
    item = CollectionItem.objects.get(collection__owner=reader)
    assert (item.collection.name, item.paper_id) == ("Video", "2403.00003")


def test_a_refused_addition_says_why(logged_in, catalog):
    answer = htmx(logged_in, "/papers/2403.00001/save", {"collection": "", "new_name": ""})
    assert answer.status_code == 200 and "errorlist" in answer.content.decode()


def test_edit_and_remove_in_a_collection(logged_in, reader, catalog):
    made = create_collection(reader, "Old")
    add_paper(reader, made.key, "2403.00001", client=CLIENT)
    logged_in.post(f"/collections/{made.key}", {"name": "New", "public": "on"})
    made.refresh_from_db()
    assert (made.name, made.public) == ("New", True)
    logged_in.post(f"/collections/{made.key}/remove", {"arxiv_id": "2403.00001"})
    assert not CollectionItem.objects.exists()
    logged_in.post(f"/collections/{made.key}", {"action": "delete"})
    assert not Collection.objects.exists()


def test_other_peoples_private_collections_are_404(client, catalog, reader, other):
    private = create_collection(other, "Secret")
    public = create_collection(other, "Shared", public=True)
    add_paper(other, public.key, "2403.00001", "worth it", client=CLIENT)
    client.force_login(reader)
    for url in (f"/collections/{private.key}", f"/collections/{private.key}.bib"):
        assert client.get(url).status_code == 404
    assert client.post(f"/collections/{private.key}", {"name": "Mine"}).status_code == 404
    assert client.get(f"/collections/{private.key}/import").status_code == 404
    assert client.post(f"/collections/{public.key}", {"name": "Mine"}).status_code == 404
    client.logout()
    page = client.get(f"/collections/{public.key}").content.decode()
    assert "worth it" in page and f"/feeds/collections/{public.key}.rss" in page
    assert "Remove 2403.00001" not in page
    assert "eprint" in client.get(f"/collections/{public.key}.bib").content.decode()


def test_import_a_bibtex_file_reports_a_malformed_entry_by_line(logged_in, reader, catalog):
    made = create_collection(reader, "Imported")
    upload = SimpleUploadedFile("zotero.bib", BIBTEX.encode("utf-8-sig"))
    answer = logged_in.post(f"/collections/{made.key}/import", {"file": upload})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Added: 1 (2403.00001)" in html
    assert "line 7:" in html
    assert "line 11:" in html and "nopaper" in html
    assert CollectionItem.objects.filter(collection=made, paper_id="2403.00001").exists()


def test_import_pasted_ids(logged_in, reader, catalog):
    made = create_collection(reader, "Pasted")
    logged_in.post(
        f"/collections/{made.key}/import",
        {"text": "2403.00003\nhttps://arxiv.org/abs/2403.00004\n"},
    )
    assert set(made.items.values_list("paper_id", flat=True)) == {"2403.00003", "2403.00004"}


def test_search_within_your_collections(logged_in, reader, other, catalog):
    mine = create_collection(reader, "Mine")
    add_paper(reader, mine.key, "2403.00003", "frames matter", client=CLIENT)
    theirs = create_collection(other, "Theirs", public=True)
    add_paper(other, theirs.key, "2403.00004", "frames too", client=CLIENT)
    html = logged_in.get("/collections?q=frames").content.decode()
    assert "Diffusion for Video" in html and "Sparse Attention" not in html


def test_dismiss_and_mark_read_toggle_on_a_card(logged_in, reader, catalog):
    answer = htmx(logged_in, "/papers/2403.00001/dismiss")
    assert "Not interested · undo" in answer.content.decode()
    assert Mark.objects.filter(user=reader, kind="dismissed").exists()
    htmx(logged_in, "/papers/2403.00001/dismiss")
    assert not Mark.objects.exists()
    logged_in.post("/papers/2403.00001/read", {"next": "/papers/date/2024-03-04"})
    assert "Read · mark unread" in logged_in.get("/papers/date/2024-03-04").content.decode()


def test_anonymous_cards_have_no_library_controls(client, catalog):
    html = client.get("/papers/date/2024-03-04").content.decode()
    assert "Not interested" not in html and "Add to collection" not in html


def test_mute_and_unmute_a_word_and_an_author(logged_in, reader, catalog):
    logged_in.post("/settings/feed", {"kind": "word", "value": "Diffusion"})
    logged_in.post("/settings/feed", {"kind": "author", "value": "grace hopper"})
    assert set(Mute.objects.values_list("kind", "value")) == {
        ("word", "diffusion"),
        ("author", "Grace Hopper"),
    }
    answer = logged_in.post("/settings/feed", {"kind": "word", "value": "a(b"})
    assert answer.status_code == 400 and "a muted word has" in answer.content.decode()
    logged_in.post(f"/settings/feed/mutes/{Mute.objects.get(kind='word').pk}/delete")
    assert list(Mute.objects.values_list("value", flat=True)) == ["Grace Hopper"]


def test_reset_the_private_feed_secret(logged_in, reader):
    before = feed_token(reader)
    assert before in logged_in.get("/settings/feed").content.decode()
    logged_in.post("/settings/feed/token")
    assert feed_token(reader) != before


def test_the_library_pages_want_a_login(client, db):
    for url in ("/collections", "/settings/feed"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_user_supplied_names_notes_and_words_are_escaped(logged_in, reader, catalog):
    made = create_collection(reader, HOSTILE[:90], public=True)
    add_paper(reader, made.key, "2403.00001", HOSTILE, client=CLIENT)
    Mute.objects.create(user=reader, kind="word", value=HOSTILE)
    for url in (
        f"/collections/{made.key}",
        "/collections",
        "/collections?q=study",
        "/settings/feed",
    ):
        html = logged_in.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
