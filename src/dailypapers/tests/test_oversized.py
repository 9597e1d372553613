"""Oversized bodies and parameters: a clean 4xx, JSON under /api and a page for people.

Never a 500, and never Django's own wording (which names its settings).
"""

import http.client
import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from dailypapers.community.models import ApiToken
from dailypapers.conftest import ExternalDatabase

LIMIT = 1024 * 1024  # settings.DATA_UPLOAD_MAX_MEMORY_SIZE, as nginx's client_max_body_size
INTERNALS = ("DATA_UPLOAD", "settings", "Traceback", "MAX_NUMBER_FIELDS", "File ")


@pytest.fixture
def token(db) -> str:
    return ApiToken.objects.issue(User.objects.create_user("writer"))[1]


def assert_api_error(response, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    message = response.json()["error"]
    assert message and not any(word in message for word in INTERNALS), message
    return message


def assert_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page or f"<title>{heading}" in page, page[:500]
    assert not any(word in page for word in INTERNALS)
    return page


def test_the_body_limit_is_nginx_one():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == LIMIT


@pytest.mark.django_db
def test_an_api_body_over_the_limit_is_a_413_in_json(client, token):
    body = json.dumps({"arxivId": "2403.01779", "padding": "x" * LIMIT})
    for auth in ({"HTTP_AUTHORIZATION": f"Bearer {token}"}, {}):
        response = client.post("/api/daily_papers", body, content_type="application/json", **auth)
        assert "larger than 1024 KB" in assert_api_error(response, 413)


@pytest.mark.django_db
def test_a_form_over_the_limit_is_a_413_page(client):
    response = client.post("/accounts/login/", {"username": "x" * LIMIT, "password": "y"})
    assert "larger than 1024 KB" in assert_page(response, 413, "Request too large")


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_before_it_is_read(client):
    """Django keeps uploaded files out of its body limit: the form read them all first."""
    upload = io.BytesIO(b"x" * (2 * LIMIT))
    upload.name = "big.bin"
    response = client.post("/accounts/login/", {"username": "a", "password": "b", "f": upload})
    assert_page(response, 413, "Request too large")
    upload.seek(0)
    assert_api_error(client.post("/api/daily_papers", {"f": upload}), 413)


@pytest.mark.django_db
def test_too_many_parameters_are_a_400_that_says_so(client):
    query = "&".join(f"x{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    assert "too many parameters" in assert_api_error(client.get(f"/api/daily_papers?{query}"), 400)
    page = assert_page(client.get(f"/papers?{query}"), 400, "Bad request")
    assert "too many parameters" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/daily_papers?limit=" + "9" * 5000,
        "/api/daily_papers?limit=1" + "0" * 30,
        "/api/daily_papers?p=" + "9" * 50,
        "/api/daily_papers?date=" + "2024-03-05" * 300,
        "/api/daily_papers?submitter=" + "u" * 5000,
        "/api/papers/search?q=" + "diffusion " * 400,
        "/api/papers/search?limit=" + "9" * 5000,
        "/api/papers/" + "2403.01779" * 300,
    ],
)
def test_huge_api_parameters_are_a_400_in_json(client, path):
    assert_api_error(client.get(path), 400)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"arxivId": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"arxivId": ' + "{" * 30_000,
        json.dumps({"arxivId": ["2403.01779"] * 50_000}),
        json.dumps({"arxivId": "2403.01779" * 50_000}),
        json.dumps({"arxivId": "not an id", **{f"k{n}": n for n in range(50_000)}}),
    ],
    ids=["deep-list", "deep-value", "deep-unclosed", "long-list", "long-string", "many-keys"],
)
def test_deep_or_long_json_is_a_400_in_json(client, token, body):
    response = client.post(
        "/api/daily_papers",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert len(body) < LIMIT
    assert_api_error(response, 400)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, status, heading",
    [
        ("/papers?q=" + "x" * 3000, 400, "Search"),
        ("/papers?q=diffusion&category=" + "c" * 3000, 400, "Search"),
        ("/papers?q=diffusion&p=" + "9" * 3000, 404, "Page not found"),
        ("/papers/trending?p=" + "9" * 3000, 404, "Page not found"),
        ("/papers/new/" + "c" * 3000, 404, "Page not found"),
        ("/papers/new?date=" + "2024-03-05" * 300, 404, "Page not found"),
        ("/papers/date/" + "2024-03-05" * 300, 404, "Page not found"),
        ("/papers/date?date=" + "x" * 3000, 400, "Bad request"),
        ("/organizations?p=" + "9" * 3000, 404, "Page not found"),
        ("/authors/" + "a" * 3000, 404, "Page not found"),
        ("/papers/" + "2403.01779" * 300 + ".bib", 400, "Bad request"),
        ("/export/daily.bib?date=" + "2024-03-05" * 300, 400, "Bad request"),
    ],
)
def test_huge_site_parameters_are_a_readable_page(client, path, status, heading):
    assert_page(client.get(path), status, heading)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/papers/<b>x</b>.bib", "/export/daily.bib?date=<b>x</b>", "/papers?q=<b>x</b>"]
)
def test_a_refused_parameter_is_quoted_escaped(client, path):
    """The BibTeX downloads answered a bad id with the id, unescaped, as text/html."""
    page = client.get(path).content.decode()
    assert "<b>x</b>" not in page


def raw_request(port: int, request: bytes) -> tuple[int, bytes]:
    """``request`` as sent, byte for byte: the status and body of the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    connection.sock.sendall(request)
    response = http.client.HTTPResponse(connection.sock)
    response.begin()
    try:
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_live_server_refuses_oversized_requests_cleanly(tmp_path):
    """Through gunicorn: what it refuses itself, and what reaches the application."""
    db = ExternalDatabase(tmp_path)
    with db.serving("--workers", "1", "--no-indexer") as site:
        port = site.port
        # Refused from its Content-Length alone: the body is not even sent.
        status, answer = raw_request(
            port,
            b"POST /api/daily_papers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (2 * LIMIT),
        )
        assert status == 413 and "larger than 1024 KB" in json.loads(answer)["error"]
        # A request line over gunicorn's limit (4094 bytes) is refused before the
        # application sees it: its own short page, which names no internals either.
        for path in ("/api/papers/search?q=", "/papers?q="):
            status, answer = raw_request(
                port,
                f"GET {path}{'x' * 5000} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Connection: close\r\n\r\n".encode(),
            )
            assert status == 414 and b"Traceback" not in answer
        status, answer = raw_request(
            port,
            b"GET /api/daily_papers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"X-Padding: " + b"x" * 10_000 + b"\r\n\r\n",
        )
        assert 400 <= status < 500 and b"Traceback" not in answer
    assert "Traceback" not in "".join(site.output)
