"""The library's endpoints: collections, follows and dismissals with an API token, each
answer held to the schema its OpenAPI document declares."""

import bibtexparser
import pytest
from django.contrib.auth.models import User

from dailypapers.community.models import ApiToken
from dailypapers.library.models import Collection, Follow, Mark

from .conftest import ORGANIZATION, Catalog
from .test_schema import call

pytestmark = pytest.mark.django_db

COLLECTIONS = "/api/collections"
PAPERS = "/api/collections/{collection_id}/papers"
PAPER = "/api/collections/{collection_id}/papers/{arxiv_id}"
BIBTEX = "/api/collections/{collection_id}.bib"
FOLLOWS, FOLLOW = "/api/me/follows", "/api/me/follows/{follow_id}"
DISMISS = "/api/papers/{arxiv_id}/dismiss"


@pytest.fixture
def other_token(catalog) -> str:
    return ApiToken.objects.issue(User.objects.get(username="other"))[1]


@pytest.fixture
def checked(wsgi, openapi):
    """A call whose answer must have the status given and match the documented schema."""

    def check(method: str, path: str, url: str, token: str, status: int, body=None):
        response = call(wsgi, method, url, token, body)
        assert response.status_code == status, (method, url, response.text)
        openapi[path][method].validate_response(response)
        return response

    return check


def test_a_collection_is_made_filled_emptied_and_exported(catalog: Catalog, checked):
    token, listed = catalog.token, catalog.listed
    made = checked("POST", COLLECTIONS, COLLECTIONS, token, 201, {"name": "To read"}).json
    assert (made["name"], made["public"], made["numPapers"]) == ("To read", False, 0)
    key = made["id"]
    papers = f"{COLLECTIONS}/{key}/papers"

    added = checked("POST", PAPERS, papers, token, 201, {"arxivId": listed[0], "note": "§3"}).json
    assert (added["arxivId"], added["note"]) == (listed[0], "§3")
    again = checked("POST", PAPERS, papers, token, 200, {"arxivId": f"arXiv:{listed[0]}v2"})
    assert again.json["note"] == ""
    checked("POST", PAPERS, papers, token, 201, {"arxivId": listed[1], "note": "then this"})
    waiting = checked("POST", PAPERS, papers, token, 202, {"arxivId": "2405.00001"}).json
    assert (waiting["status"], waiting["statusUrl"]) == ("queued", "/api/papers/2405.00001/fetch")
    [listed_collection] = checked("GET", COLLECTIONS, COLLECTIONS, token, 200).json
    assert (listed_collection["numPapers"], listed_collection["numPending"]) == (2, 1)

    checked("DELETE", PAPER, f"{papers}/{listed[0]}", token, 204)
    checked("DELETE", PAPER, f"{papers}/{listed[0]}", token, 404)
    bib = checked("GET", BIBTEX, f"{COLLECTIONS}/{key}.bib", token, 200)
    assert bib.headers["Content-Type"].startswith("application/x-bibtex")
    [entry] = bibtexparser.parse_string(bib.text).entries
    assert (entry["eprint"], entry["annote"]) == (listed[1], "then this")


def test_bad_collection_requests_get_the_reason(catalog: Catalog, checked):
    token = catalog.token
    checked("POST", COLLECTIONS, COLLECTIONS, token, 201, {"name": "Reading", "public": True})
    taken = checked("POST", COLLECTIONS, COLLECTIONS, token, 409, {"name": "reading"}).json
    assert taken["error"] == "You already have a collection named 'reading'."
    checked("POST", COLLECTIONS, COLLECTIONS, token, 400, {"name": ""})
    checked("POST", COLLECTIONS, COLLECTIONS, catalog.read_only_token, 403, {"name": "Other"})
    checked("POST", COLLECTIONS, COLLECTIONS, "", 401, {"name": "Other"})
    key = Collection.objects.get().key
    papers = f"{COLLECTIONS}/{key}/papers"
    bad_id = checked("POST", PAPERS, papers, token, 400, {"arxivId": "not an id"}).json
    assert bad_id["error"].startswith("not an arXiv id")
    checked("POST", PAPERS, papers, token, 404, {"arxivId": catalog.hidden})


def test_another_readers_private_collection_is_refused_as_not_found(
    catalog: Catalog, checked, other_token
):
    token = catalog.token
    private = checked("POST", COLLECTIONS, COLLECTIONS, token, 201, {"name": "Mine"}).json["id"]
    public = checked(
        "POST", COLLECTIONS, COLLECTIONS, token, 201, {"name": "Shared", "public": True}
    ).json["id"]
    checked(
        "POST",
        PAPERS,
        f"{COLLECTIONS}/{private}/papers",
        token,
        201,
        {"arxivId": catalog.listed[0]},
    )

    for caller in (other_token, ""):
        refused = checked("GET", BIBTEX, f"{COLLECTIONS}/{private}.bib", caller, 404).json
        missing = checked("GET", BIBTEX, f"{COLLECTIONS}/nosuchkey000.bib", caller, 404).json
        assert refused["error"].replace(private, "K") == missing["error"].replace(
            "nosuchkey000", "K"
        )
        checked("GET", BIBTEX, f"{COLLECTIONS}/{public}.bib", caller, 200)
    for key in (private, public):  # public is for reading: only its owner changes it
        papers = f"{COLLECTIONS}/{key}/papers"
        checked("POST", PAPERS, papers, other_token, 404, {"arxivId": catalog.listed[1]})
        checked("DELETE", PAPER, f"{papers}/{catalog.listed[0]}", other_token, 404)
    assert checked("GET", COLLECTIONS, COLLECTIONS, other_token, 200).json == []


def test_follows_are_made_listed_and_removed(catalog: Catalog, checked, other_token):
    token = catalog.token
    made = checked("POST", FOLLOWS, FOLLOWS, token, 201, {"kind": "category", "value": "cs.lg"})
    assert (made.json["kind"], made.json["value"]) == ("category", "cs.LG")
    checked("POST", FOLLOWS, FOLLOWS, token, 200, {"kind": "category", "value": "cs.LG"})
    checked(
        "POST", FOLLOWS, FOLLOWS, token, 201, {"kind": "organization", "value": ORGANIZATION.slug}
    )
    checked("POST", FOLLOWS, FOLLOWS, token, 201, {"kind": "author", "value": "shared author"})
    checked("POST", FOLLOWS, FOLLOWS, token, 201, {"kind": "query", "value": "diffusion"})
    listed = checked("GET", FOLLOWS, FOLLOWS, token, 200).json
    assert [(f["kind"], f["value"]) for f in listed] == [
        ("category", "cs.LG"),
        ("organization", ORGANIZATION.slug),
        ("author", "Shared Author"),
        ("query", "diffusion"),
    ]
    first = f"{FOLLOWS}/{listed[0]['id']}"
    checked("DELETE", FOLLOW, first, other_token, 404)
    checked("DELETE", FOLLOW, first, token, 204)
    checked("DELETE", FOLLOW, first, token, 404)
    checked("DELETE", FOLLOW, f"{FOLLOWS}/{2**70}", token, 404)  # beyond any id column
    assert Follow.objects.count() == 3


@pytest.mark.parametrize(
    "body, message",
    [
        ({"kind": "author", "value": "Nobody Known"}, "There is no author named 'Nobody Known'"),
        ({"kind": "organization", "value": "no-lab"}, "There is no organization 'no-lab'"),
        ({"kind": "category", "value": "Computer Science"}, "is not an arXiv category"),
        ({"kind": "venue", "value": "NeurIPS"}, "follow.kind: Input should be"),
        ({"kind": "query", "value": ""}, "follow.value: String should have at least 1 character"),
    ],
)
def test_a_follow_that_names_nothing_is_a_400_with_the_reason(
    catalog: Catalog, checked, body, message
):
    refused = checked("POST", FOLLOWS, FOLLOWS, catalog.token, 400, body).json
    assert message in refused["error"]
    assert not Follow.objects.exists()


def test_dismissing_a_paper_and_taking_it_back(catalog: Catalog, checked):
    token, paper = catalog.token, catalog.listed[0]
    url = f"/api/papers/{paper}/dismiss"
    assert checked("POST", DISMISS, url, token, 200).json == {"id": paper, "dismissed": True}
    checked("POST", DISMISS, url, token, 200)
    assert Mark.objects.filter(kind="dismissed").count() == 1
    assert checked("DELETE", DISMISS, url, token, 200).json == {"id": paper, "dismissed": False}
    assert not Mark.objects.exists()
    checked("POST", DISMISS, f"/api/papers/{catalog.hidden}/dismiss", token, 404)
    checked("POST", DISMISS, "/api/papers/2405.99999/dismiss", token, 404)
    checked("POST", DISMISS, url, catalog.read_only_token, 403)
    checked("POST", DISMISS, url, "", 401)


FOR_YOU = "/api/me/for-you"
MARCH = f"{FOR_YOU}?since=2024-03-01&until=2024-03-07"


def test_for_you_learns_from_an_upvote_made_through_the_api(catalog: Catalog, checked):
    token, listed = catalog.token, catalog.listed
    before = checked("GET", FOR_YOU, MARCH, token, 200).json
    assert {item["reason"]["kind"] for item in before} <= {"new", "popular"}

    checked("POST", "/api/papers/{arxiv_id}/upvote", f"/api/papers/{listed[0]}/upvote", token, 200)
    after = checked("GET", FOR_YOU, MARCH, token, 200).json

    ids = [item["paper"]["id"] for item in after]
    assert listed[0] not in ids
    # listed[0] is "On diffusion models, part 0": so is listed[5], and nothing else.
    assert ids[0] == listed[5]
    assert after[0]["reason"] == {"kind": "words", "text": after[0]["reason"]["text"]}
    assert "diffusion" in after[0]["reason"]["text"]
    assert after[0]["score"] >= after[-1]["score"]


def test_for_you_defaults_to_the_last_week_and_takes_a_limit(catalog: Catalog, checked):
    token = catalog.token
    recent = checked("GET", FOR_YOU, FOR_YOU, token, 200).json
    assert {item["paper"]["id"] for item in recent} == set(catalog.submittable)

    three = checked("GET", FOR_YOU, f"{MARCH}&limit=3", token, 200).json

    assert len(three) == 3
    assert all(item["paper"]["id"] in catalog.listed for item in three)


def test_for_you_leaves_out_what_the_reader_dismissed(catalog: Catalog, checked):
    token, listed = catalog.token, catalog.listed
    checked("POST", DISMISS, f"/api/papers/{listed[2]}/dismiss", token, 200)

    ids = [item["paper"]["id"] for item in checked("GET", FOR_YOU, MARCH, token, 200).json]

    assert listed[2] not in ids and listed[3] in ids


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("since=2024-03-07&until=2024-03-01", "before"),
        ("since=2023-01-01&until=2024-03-01", "days"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("community=2", "community"),
        ("since=yesterday", "since"),
        ("limt=10", "limt"),
    ],
)
def test_a_bad_for_you_request_is_a_400_with_the_reason(catalog: Catalog, checked, query, reason):
    answer = checked("GET", FOR_YOU, f"{FOR_YOU}?{query}", catalog.token, 400)
    assert reason in answer.json["error"]


def test_for_you_wants_a_token(catalog: Catalog, checked):
    checked("GET", FOR_YOU, FOR_YOU, "", 401)
