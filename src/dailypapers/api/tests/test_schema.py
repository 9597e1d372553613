"""Every kind of answer the API gives matches the schema its OpenAPI document declares.

The answers are built as plain dicts (api/shapes.py) and not validated on the
way out (views._answer), so these tests are what holds them to the typed
schemas (api/schemas.py): real answers from a populated catalog, checked by
schemathesis against /api/openapi.json, and the proof that a renamed field
fails that check.
"""

import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from werkzeug.test import Client, TestResponse

from .conftest import LISTED_ON, Catalog

pytestmark = pytest.mark.django_db


def call(wsgi: Client, method: str, url: str, token: str = "", body=None) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return wsgi.open(
        url,
        method=method,
        headers=headers,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def answers(catalog: Catalog) -> list[tuple[str, str, str, str, dict | None, int]]:
    """(method, path in the schema, URL, token, body, expected status): one of every kind."""
    listed, recent, write = catalog.listed, catalog.submittable, catalog.token
    day = LISTED_ON.isoformat()
    daily, search, paper = "/api/daily_papers", "/api/papers/search", "/api/papers/{arxiv_id}"
    upvote = "/api/papers/{arxiv_id}/upvote"
    return [
        ("GET", daily, daily, "", None, 200),
        ("GET", daily, f"{daily}?date={day}", "", None, 200),
        ("GET", daily, f"{daily}?week=2024-W10&sort=trending&limit=3&p=1", "", None, 200),
        ("GET", daily, f"{daily}?month=2024-03&submitter=akhaliq", "", None, 200),
        ("GET", daily, f"{daily}?submitter=reader", "", None, 200),
        ("GET", daily, f"{daily}?date=2001-01-01", "", None, 200),
        ("GET", daily, f"{daily}?date={day}&week=2024-W10", "", None, 400),
        ("GET", search, f"{search}?q=diffusion&limit=120", "", None, 200),
        ("GET", search, f"{search}?q=recent%20quantization", "", None, 200),
        ("GET", search, f"{search}?q=listing", "", None, 200),
        ("GET", search, f"{search}?q=", "", None, 200),
        ("GET", search, f"{search}?q=author:%22Shared%20Author%22%20cat:cs.LG", "", None, 200),
        ("GET", search, f"{search}?q=diffusion%20after:2025-13", "", None, 400),
        ("GET", search, f"{search}?limit=0", "", None, 400),
        *[("GET", paper, f"/api/papers/{pid}", "", None, 200) for pid in listed + recent[:1]],
        ("GET", paper, f"/api/papers/{catalog.hidden}", "", None, 404),
        ("GET", paper, "/api/papers/2403.99999", "", None, 404),
        ("GET", paper, "/api/papers/2403.99", "", None, 400),
        ("POST", upvote, f"/api/papers/{listed[0]}/upvote", write, None, 200),
        ("DELETE", upvote, f"/api/papers/{listed[0]}/upvote", write, None, 200),
        ("POST", upvote, f"/api/papers/{listed[1]}/upvote", "", None, 401),
        ("POST", upvote, f"/api/papers/{listed[1]}/upvote", catalog.read_only_token, None, 403),
        ("POST", upvote, f"/api/papers/{catalog.hidden}/upvote", write, None, 404),
        ("POST", daily, daily, write, {"arxivId": recent[0]}, 201),
        ("POST", daily, daily, write, {"arxivId": listed[0]}, 409),
        ("POST", daily, daily, write, {"arxivId": "not an id"}, 400),
        ("POST", daily, daily, write, {"arxivId": catalog.hidden}, 404),
        ("POST", daily, daily, "", {"arxivId": recent[1]}, 401),
    ]


def test_every_kind_of_answer_matches_its_schema(catalog, wsgi, openapi):
    items = []
    for method, path, url, token, body, status in answers(catalog):
        response = call(wsgi, method, url, token, body)
        assert response.status_code == status, (method, url, response.text)
        openapi[path][method].validate_response(response)
        if status < 300 and path != "/api/papers/{arxiv_id}/upvote":
            answer = response.json
            items += answer if isinstance(answer, list) else [answer]
    # The answers held every variant the schemas allow: listed and never listed,
    # local and mirrored submitters, with and without organization, arXiv date,
    # authors and comments.
    papers = [item.get("paper", item) for item in items]
    submitters = [item.get("submittedBy", item.get("submittedOnDailyBy")) for item in items]
    assert {s and s["user"] for s in submitters} >= {None, "reader", "akhaliq"}
    assert {item["organization"] is None for item in items} == {True, False}
    assert {item["submittedOnDailyAt"] is None for item in items} == {True, False}
    assert {paper["publishedAt"] is None for paper in papers} == {True, False}
    assert {not paper["authors"] for paper in papers} == {True, False}
    assert {item["numComments"] > 0 for item in items} == {True, False}


def renamed(answer, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    """``answer`` with one key renamed, for each key at every depth, and that key's path."""
    if isinstance(answer, list) and answer:
        for changed_path, changed in renamed(answer[0], (*path, 0)):
            yield changed_path, [changed, *answer[1:]]
    elif isinstance(answer, dict):
        for key, value in answer.items():
            others = {k: v for k, v in answer.items() if k != key}
            yield (*path, key), {**others, f"{key}Renamed": value}
            for changed_path, changed in renamed(value, (*path, key)):
                yield changed_path, {**answer, key: changed}


def as_answer(response: TestResponse, body) -> TestResponse:
    return TestResponse(
        [json.dumps(body).encode()], response.status, response.headers, response.request
    )


@pytest.mark.parametrize(
    "url, path, method",
    [
        (f"/api/daily_papers?date={LISTED_ON}", "/api/daily_papers", "GET"),
        ("/api/papers/search?q=diffusion", "/api/papers/search", "GET"),
        ("/api/papers/2403.00001", "/api/papers/{arxiv_id}", "GET"),
        ("/api/papers/2403.99999", "/api/papers/{arxiv_id}", "GET"),
    ],
)
def test_a_renamed_field_fails_the_schema(catalog, wsgi, openapi, url, path, method):
    response = call(wsgi, method, url)
    operation = openapi[path][method]
    assert operation.is_valid_response(response)
    tried = 0
    for key_path, body in renamed(response.json):
        assert not operation.is_valid_response(as_answer(response, body)), key_path
        tried += 1
    assert tried >= (3 if response.status_code == 200 else 1)


def test_the_documented_shapes_use_hugging_faces_names(openapi):
    """The schema a client reads spells every field as huggingface_hub does."""
    components = openapi.raw_schema["components"]["schemas"]
    item, paper = components["DailyItem"], components["PaperInfo"]
    assert {"paper", "publishedAt", "title", "summary", "numComments", "submittedBy"} <= set(
        item["required"]
    )
    assert {"organization", "isAuthorParticipating", "thumbnail"} <= set(item["required"])
    assert {"id", "authors", "publishedAt", "upvotes", "discussionId"} <= set(
        components["DailyPaper"]["required"]
    )
    assert {"numComments", "submittedOnDailyAt", "submittedOnDailyBy"} <= set(paper["required"])
    assert components["Author"]["required"] == ["_id", "name", "hidden"]
    assert set(components["User"]["required"]) == {"user", "fullname", "avatarUrl"}
    assert set(components["Organization"]["required"]) == {"name", "fullname", "avatarUrl"}
    requests = {
        "DailyParams",
        "ForYouParams",
        "Submission",
        "NewCollection",
        "PaperForCollection",
        "NewFollow",
    }
    answers = set(components) - requests
    assert {name for name in answers if components[name]["additionalProperties"] is False} == {
        "DailyItem",
        "DailyPaper",
        "PaperInfo",
        "Author",
        "User",
        "Organization",
        "Upvoted",
        "FetchStatus",
        "Message",
        "Collection",
        "CollectionPaper",
        "Follow",
        "Dismissed",
        "ForYouItem",
        "Reason",
    }


schema = schemathesis.pytest.from_fixture("populated_api")


@pytest.fixture
def populated_api(catalog, arxiv_stand_in, openapi):
    return openapi


@schema.parametrize()
@settings(
    max_examples=50,
    derandomize=True,  # the same examples every run: CI must not flake
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, catalog):
    # Every check but "a schema-valid request is accepted": the schema cannot say
    # that date, week and month exclude each other, or that 2024-W53 does not exist.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {catalog.token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
