"""/api/papers/search with filters typed in ``q``: they narrow the results or list their
papers; a value one cannot take is a JSON 400, as other bad parameters are."""

import pytest

from .conftest import LISTED_ON

pytestmark = pytest.mark.django_db


def found(client, q: str) -> list[str]:
    response = client.get("/api/papers/search", {"q": q})
    assert response.status_code == 200
    return [item["paper"]["id"] for item in response.json()]


def test_a_category_alone_lists_its_papers(client, catalog):
    assert sorted(found(client, "cat:cs.CL")) == sorted(catalog.submittable)


def test_an_author_and_a_date_list_the_papers_passing_both(client, catalog):
    # Listed papers n = 0, 3, 6, 9 are published on LISTED_ON, the others one or two days before.
    papers = found(client, f'author:"Shared Author" after:{LISTED_ON.isoformat()}')
    assert sorted(papers) == [catalog.listed[n] for n in (0, 3, 6, 9)]


def test_words_with_an_author_find_the_papers_by_that_author_about_them(client, catalog):
    # "Author 1" is a whole name and the end of "Recent Author 1", not of "Coauthor 1".
    papers = found(client, 'quantization author:"Author 1"')
    assert sorted(papers) == [catalog.listed[1], catalog.submittable[1]]


def test_a_word_colon_token_that_is_no_operator_is_searched_as_text(client, catalog):
    assert catalog.listed[0] in found(client, "Re: diffusion models")


@pytest.mark.parametrize("q", ["diffusion after:2025-13", "cat:", "before:2024-02-30 agents"])
def test_a_value_an_operator_cannot_take_is_a_json_400(client, catalog, q):
    response = client.get("/api/papers/search", {"q": q})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "is not understood" in response.json()["error"]


def test_the_openapi_document_describes_the_operators(client):
    schema = client.get("/api/openapi.json").json()
    (q,) = [
        p for p in schema["paths"]["/api/papers/search"]["get"]["parameters"] if p["name"] == "q"
    ]
    assert "author:" in q["description"] and "after:" in q["description"]
