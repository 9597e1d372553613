"""Pages shared by anonymous readers: served from the cache, each with its own CSRF token."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from dailypapers.papers.models import Paper
from dailypapers.shared_answers import cache_key

pytestmark = pytest.mark.django_db

# A blank shared_answers.py drew for a rendering, where the token goes: no reader sees one.
BLANK = re.compile(r"blank-[0-9a-f]{32}")


def form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


def test_anonymous_readers_get_the_page_rendered_before(client, catalog):
    client.get("/papers/2403.00001")
    Paper.objects.filter(pk="2403.00001").update(title="A new title")
    assert "Block-wise Quantization" in client.get("/papers/2403.00001").content.decode()


def test_signed_in_readers_always_get_a_fresh_page(client, catalog, reader):
    client.get("/papers/2403.00001")
    Paper.objects.filter(pk="2403.00001").update(title="A new title")
    client.force_login(reader)
    assert "A new title" in client.get("/papers/2403.00001").content.decode()


def test_each_reader_of_a_shared_page_gets_a_working_token_of_their_own(catalog):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [reader.get("/papers/date/2024-03-04").content.decode() for reader in (first, second)]
    assert not BLANK.search(pages[0] + pages[1])
    tokens = [form_token(page) for page in pages]
    assert tokens[0] != tokens[1]
    for reader, token in zip((first, second), tokens, strict=True):
        # Accepted by the CSRF check: the view itself then asks to log in.
        response = reader.post("/papers/2403.00001/upvote", {"csrfmiddlewaretoken": token})
        assert response.status_code == 302
    # Another reader's token is refused.
    refused = first.post("/papers/2403.00001/upvote", {"csrfmiddlewaretoken": "x" * 64})
    assert refused.status_code == 403


def test_error_pages_are_not_shared_and_carry_a_real_token(client, catalog):
    response = client.get("/papers/2401.12345")
    html = response.content.decode()
    assert response.status_code == 404 and not BLANK.search(html)


def test_htmx_fragments_are_kept_apart_from_whole_pages(client, catalog):
    whole = client.get("/papers", {"q": "diffusion"}).content.decode()
    fragment = client.get(
        "/papers", {"q": "diffusion"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    ).content.decode()
    assert "<html" in whole and "<html" not in fragment


def test_an_expired_page_is_rendered_again_by_one_request_while_others_get_the_old(client, catalog):
    key = cache_key("page:::/papers/2403.00001:")
    client.get("/papers/2403.00001")
    expired = cache.get(key)
    expired.fresh_until = 0
    cache.set(key, expired)
    Paper.objects.filter(pk="2403.00001").update(title="A new title")
    cache.add(f"{key}:renewing", True, 60)  # another thread is rendering it anew
    assert "Block-wise Quantization" in client.get("/papers/2403.00001").content.decode()
    cache.delete(f"{key}:renewing")
    assert "A new title" in client.get("/papers/2403.00001").content.decode()


def shared_entries() -> int:
    return sum(1 for key in cache._cache if ":shared:" in key)


def test_parameters_no_page_reads_are_not_stored(client, catalog):
    client.get("/papers/date/2024-03-04")
    before = shared_entries()
    for n in range(50):
        assert client.get(f"/papers/date/2024-03-04?x={n}").status_code == 200
        client.get(f"/api/daily_papers?date=2024-03-04&x={n}")
        client.get(f"/papers/date/2024-03-04?sort=date&sort={n}")
    assert shared_entries() == before


def test_parameters_in_any_order_share_one_page(client, catalog):
    client.get("/papers/date/2024-03-04?sort=date&p=1")
    Paper.objects.filter(pk="2403.00001").update(title="A new title")
    assert "Block-wise" in client.get("/papers/date/2024-03-04?p=1&sort=date").content.decode()
