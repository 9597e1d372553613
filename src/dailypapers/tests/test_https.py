"""Behind HTTPS: what an https DAILYPAPERS_BASE_URL turns on, `check --deploy`,
trusted proxies, links in emails, and the site through nginx with TLS in Chromium."""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dailypapers.community.tests.test_browser import fill_sign_up_form
from dailypapers.conftest import ExternalDatabase, free_port
from dailypapers.digests.tests.conftest import Inbox

REPO = Path(__file__).resolve().parents[3]
NGINX_SITE = REPO / "deploy" / "nginx" / "dailypapers.conf"
NGINX = Path(os.environ.get("DAILYPAPERS_NGINX", "/usr/sbin/nginx"))
PASSWORD = "a long enough passphrase 42"
PUBLIC = "https://papers.example.org"


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This process's environment with a data dir of its own and ``variables`` set."""
    env = {**os.environ, "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"), "DEBUG": "false"}
    # The browser fixture's, which `check --deploy` rightly warns about.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env | variables


def settings_under(env: dict[str, str], *names: str) -> dict:
    """The values of settings ``names`` in a fresh process started with ``env``."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env | {"DJANGO_SETTINGS_MODULE": "dailypapers.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def dailypapers(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SECURITY = [
    "BASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_SSL_HOST",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXIES",
]


def test_an_https_base_url_turns_on_hosts_origins_secure_cookies_hsts_and_redirect(tmp_path):
    env = environment(
        tmp_path, DAILYPAPERS_BASE_URL=PUBLIC + "/", ALLOWED_HOSTS="10.0.0.5,localhost"
    )
    env.pop("DAILYPAPERS_HSTS_SECONDS", None)
    env.pop("DAILYPAPERS_TRUSTED_PROXIES", None)
    assert settings_under(env, *SECURITY) == {
        "BASE_URL": PUBLIC,
        "ALLOWED_HOSTS": ["10.0.0.5", "localhost", "papers.example.org"],
        "CSRF_TRUSTED_ORIGINS": [PUBLIC],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_SSL_HOST": "papers.example.org",
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        # gunicorn decides the scheme, from trusted proxies only (below).
        "SECURE_PROXY_SSL_HEADER": None,
        "TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    }


def test_a_plain_http_base_url_keeps_cookies_plain_and_sends_no_hsts(tmp_path):
    env = environment(tmp_path, DAILYPAPERS_BASE_URL="http://papers.lan:8000")
    env.pop("ALLOWED_HOSTS", None)
    env.pop("DAILYPAPERS_HSTS_SECONDS", None)
    values = settings_under(env, *SECURITY)
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]", "papers.lan"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["http://papers.lan:8000"]
    assert not values["SESSION_COOKIE_SECURE"] and not values["CSRF_COOKIE_SECURE"]
    assert not values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_hsts_lifetime_and_trusted_proxies_come_from_the_environment(tmp_path):
    env = environment(
        tmp_path,
        DAILYPAPERS_BASE_URL=PUBLIC,
        DAILYPAPERS_HSTS_SECONDS="600",
        DAILYPAPERS_TRUSTED_PROXIES="10.0.0.0/8, 2001:db8::7",
    )
    values = settings_under(env, "SECURE_HSTS_SECONDS", "TRUSTED_PROXIES")
    assert values == {"SECURE_HSTS_SECONDS": 600, "TRUSTED_PROXIES": ["10.0.0.0/8", "2001:db8::7"]}


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("DAILYPAPERS_TRUSTED_PROXIES", "127.0.0.1,proxy.lan", "'proxy.lan' is not an IP address"),
        ("DAILYPAPERS_TRUSTED_PROXIES", "10.0.0.1/8", "'10.0.0.1/8' is not an IP address"),
        ("DAILYPAPERS_BASE_URL", "papers.example.org", "is not an address like https://"),
    ],
)
def test_a_malformed_address_setting_is_refused_with_a_clear_error(
    tmp_path, variable, value, message
):
    result = dailypapers(environment(tmp_path, **{variable: value}), "check")
    assert result.returncode != 0
    assert f"{variable}" in result.stderr and message in result.stderr


def test_check_deploy_prints_no_warning_with_an_https_base_url(tmp_path):
    env = environment(tmp_path, DAILYPAPERS_BASE_URL=PUBLIC)
    for name in ["DAILYPAPERS_HSTS_SECONDS", "SECRET_KEY"]:
        env.pop(name, None)
    clean = dailypapers(env, "check", "--deploy", "--fail-level", "WARNING")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == "System check identified no issues (0 silenced)."
    assert clean.stderr == ""
    # The same check on a plain-http address does warn: it is not vacuous.
    plain = dailypapers(env | {"DAILYPAPERS_BASE_URL": "http://papers.lan"}, "check", "--deploy")
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in plain.stderr


@contextmanager
def running(command: list, port: int, log: Path, env: dict[str, str]) -> Iterator[None]:
    """``command`` in a subprocess, from when it answers on loopback ``port`` until the end."""
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(part) for part in command], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process, log)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, f"{process.args[0]} stopped:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"nothing on port {port}:\n{log.read_text()}"
            time.sleep(0.2)


def get(port: int, path: str, headers: dict[str, str], source: str) -> http.client.HTTPResponse:
    """GET ``path`` from the loopback address ``source``, as a proxy there would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.django_db(transaction=True)
def test_serve_believes_x_forwarded_proto_only_from_a_trusted_proxy(tmp_path):
    """Both requests claim https; only the one from the listed proxy address is secure.

    The list is not gunicorn's default (127.0.0.1): serve passes it on."""
    db = ExternalDatabase(tmp_path, migrate=False)
    env = db.env | {
        "DAILYPAPERS_BASE_URL": PUBLIC,
        "DAILYPAPERS_TRUSTED_PROXIES": "127.0.0.2",
        "DAILYPAPERS_HSTS_SECONDS": "3600",
    }
    env.pop("DAILYPAPERS_DIGEST_TIME", None)
    claim = {"Host": "papers.example.org", "X-Forwarded-Proto": "https"}
    port = free_port()
    serve = db.command("serve", "--port", port, "--workers", 1, "--no-indexer")
    with running(serve, port, tmp_path / "serve.log", env):
        trusted = get(port, "/accounts/login/?next=/papers", claim, source="127.0.0.2")
        untrusted = get(port, "/accounts/login/?next=/papers", claim, source="127.0.0.1")
    assert trusted.status == 200
    assert trusted.getheader("Strict-Transport-Security") == (
        "max-age=3600; includeSubDomains; preload"
    )
    assert "; Secure" in trusted.getheader("Set-Cookie")
    # Treated as plain http: sent to the public https address, with no HSTS.
    assert untrusted.status == 301
    assert untrusted.getheader("Location") == f"{PUBLIC}/accounts/login/?next=/papers"
    assert untrusted.getheader("Strict-Transport-Security") is None


@pytest.fixture
def mail_server() -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd on a free loopback port: what it accepted, and the port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def links(inbox: Inbox, address: str, path: str) -> list[str]:
    """The links to ``path…`` in the mails ``address`` received."""
    return [
        link
        for mail in inbox.to(address)
        for link in re.findall(r"https?://\S+", mail.message.get_body(("plain",)).get_content())
        if path in link
    ]


@pytest.mark.django_db
def test_the_password_reset_link_leads_to_the_base_url_whatever_host_was_asked(
    client, settings, mail_server
):
    inbox, port = mail_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.BASE_URL = PUBLIC
    # A name the site answers to, as a proxy's internal address would be.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "backend.internal"]
    User.objects.create_user("alice", "alice@example.org", PASSWORD)
    response = client.post(
        "/accounts/password_reset/",
        {"email": "alice@example.org"},
        HTTP_HOST="backend.internal:8000",
    )
    assert response.status_code == 302
    (link,) = links(inbox, "alice@example.org", "/accounts/reset/")
    assert link.startswith(f"{PUBLIC}/accounts/reset/")
    (mail,) = inbox.to("alice@example.org")
    assert "backend.internal" not in mail.message.get_body(("plain",)).get_content()
    # The link works: it leads to the form for a new password.
    assert client.get(urlsplit(link).path, follow=True).context["validlink"]


# The site through nginx with TLS, in Chromium.


@dataclass
class Site:
    url: str  # https://localhost:PORT, the public address
    http_url: str  # http://localhost:PORT, redirected to it
    https_port: int
    db: ExternalDatabase
    inbox: Inbox
    static_root: Path
    certificate: Path


def render_site(template: str, values: dict[str, str]) -> str:
    """``${NAME}`` replaced by each value, as ``envsubst`` does (deploy/nginx/README.md)."""
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    missing = set(re.findall(r"\$\{\w+\}", template))
    assert not missing, f"{NGINX_SITE} has placeholders the test does not fill: {missing}"
    return template


def nginx_config(root: Path, site_file: Path) -> str:
    """A whole nginx.conf around the site file, with every path of its own under ``root``."""
    return f"""
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {site_file};
}}
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "localhost.crt", directory / "localhost.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key)]
        + ["-out", str(certificate), "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return certificate, key


HF_ROWS = [
    {
        "date": "2024-03-04",
        "id": f"2403.0000{n}",
        "upvotes": upvotes,
        "title": title,
        "abstract": f"We study {title.lower()} and find that it works.",
        "authors": ["Ada Lovelace", "Alan Turing"],
    }
    for n, (upvotes, title) in enumerate(
        [(3, "Block-wise Quantization"), (9, "Sparse Attention"), (1, "Diffusion for Video")],
        start=1,
    )
]


@pytest.fixture
def site(settings, write_jsonl, mail_server) -> Iterator[Site]:
    """nginx with TLS (the deployed site file) in front of `dailypapers serve`, mail to aiosmtpd."""
    if not NGINX.exists() or not shutil.which("openssl"):
        pytest.fail(f"this test needs nginx at {NGINX} and openssl: apt-get install nginx openssl")
    inbox, smtp_port = mail_server
    # nginx's workers drop root's rights (to nobody): what they read must be
    # readable by everyone, which pytest's tmp_path is not.
    root = Path(tempfile.mkdtemp(prefix="dailypapers-nginx-"))
    root.chmod(0o755)
    upstream, http_port, https_port = free_port(), free_port(), free_port()
    public = f"https://localhost:{https_port}"
    db = ExternalDatabase(root, migrate=False)  # serve migrates
    # The import embeds its papers: with the session's model, exported once.
    db.env["DAILYPAPERS_MODEL_DIR"] = str(settings.MODEL_DIR)
    db.env["DAILYPAPERS_EMBEDDING_CACHE"] = str(settings.EMBEDDING_CACHE)
    env = db.env | {
        "DAILYPAPERS_BASE_URL": public,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": "papers@localhost",
    }
    for name in ["DAILYPAPERS_DIGEST_TIME", "DAILYPAPERS_TRUSTED_PROXIES", "ALLOWED_HOSTS"]:
        env.pop(name, None)
    certificate, key = self_signed_certificate(root)
    static_root = root / "data" / "static"
    site_file = root / "dailypapers.conf"
    site_file.write_text(
        render_site(
            NGINX_SITE.read_text(),
            {
                "SERVER_NAME": "localhost",
                "HTTP_PORT": str(http_port),
                "HTTPS_PORT": str(https_port),
                "TLS_CERTIFICATE": str(certificate),
                "TLS_CERTIFICATE_KEY": str(key),
                "UPSTREAM": f"127.0.0.1:{upstream}",
            },
        )
    )
    config = root / "nginx.conf"
    config.write_text(nginx_config(root, site_file))
    serve = db.command("serve", "--port", upstream, "--workers", 2, "--no-indexer")
    nginx = [NGINX, "-p", root, "-c", config]
    try:
        with (
            running(serve, upstream, root / "serve.log", env),
            running(nginx, https_port, root / "nginx.log", env),
        ):
            imported = db.run("import", write_jsonl("listings.jsonl", HF_ROWS))
            assert imported.returncode == 0, imported.stderr
            yield Site(
                public,
                f"http://localhost:{http_port}",
                https_port,
                db,
                inbox,
                static_root,
                certificate,
            )
    finally:
        shutil.rmtree(root)


def card(page: Page, arxiv_id: str):
    return page.locator(f"#card-{arxiv_id.replace('.', '')}")


def log_in(page: Page, site: Site, password: str, next_path: str) -> None:
    page.goto(f"{site.url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill("carol")
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(site.url + next_path)


@pytest.mark.django_db(transaction=True)
def test_nginx_redirects_to_https_and_serves_the_static_files(site: Site):
    connection = http.client.HTTPConnection("127.0.0.1", int(urlsplit(site.http_url).port))
    connection.request("GET", "/papers?sort=date", headers={"Host": "localhost"})
    redirect = connection.getresponse()
    connection.close()
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"{site.url}/papers?sort=date"
    stylesheet = next(site.static_root.rglob("*.css"))
    path = "/static/" + stylesheet.relative_to(site.static_root).as_posix()
    connection = http.client.HTTPSConnection(
        "localhost", site.https_port, context=ssl.create_default_context(cafile=site.certificate)
    )
    connection.request("GET", path)
    static = connection.getresponse()
    body = static.read()
    connection.close()
    assert static.status == 200 and body == stylesheet.read_bytes()
    assert "max-age" in static.getheader("Cache-Control")  # WhiteNoise's, through nginx


@pytest.mark.django_db(transaction=True)
def test_sign_up_log_in_upvote_comment_subscribe_and_reset_through_https(browser, site: Site):
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()

    landing = page.goto(f"{site.http_url}/papers")
    expect(page).to_have_url(f"{site.url}/papers")
    hsts = landing.headers["strict-transport-security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"

    page.goto(f"{site.url}/accounts/signup/")
    fill_sign_up_form(page, "carol", PASSWORD)
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    log_in(page, site, PASSWORD, "/papers/date/2024-03-04")

    count = card(page, "2403.00001").get_by_test_id("upvotes")
    expect(count).to_have_text("3")
    card(page, "2403.00001").get_by_role("button", name="Upvote").click()
    expect(count).to_have_text("4")

    page.goto(f"{site.url}/papers/2403.00001")
    page.get_by_label("Comment").fill("Does the **block size** matter?")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#comments article.comment strong")).to_have_text("block size")

    expect(page.locator("#subscribe-email")).to_have_value("carol@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("we sent a confirmation link to carol@example.org")).to_be_visible()
    (confirm,) = links(site.inbox, "carol@example.org", "/digests/confirm/")
    assert confirm.startswith(f"{site.url}/digests/confirm/")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You are subscribed to the digest.")).to_be_visible()

    # Asked for at another name of the same site; the link still leads to the base URL.
    page.get_by_role("button", name="Log out").click()
    page.goto(f"https://127.0.0.1:{site.https_port}/accounts/password_reset/")
    page.get_by_label("Email").fill("carol@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (reset,) = links(site.inbox, "carol@example.org", "/accounts/reset/")
    assert reset.startswith(f"{site.url}/accounts/reset/")
    page.goto(reset)
    page.locator("#id_new_password1").fill(PASSWORD + " renewed")
    page.locator("#id_new_password2").fill(PASSWORD + " renewed")
    page.get_by_role("button", name="Set password").click()
    log_in(page, site, PASSWORD + " renewed", "/papers/2403.00001")
    expect(page.get_by_role("navigation").get_by_role("link", name="carol")).to_be_visible()
    context.close()

    assert site.db.scalar("SELECT upvotes FROM papers_paper WHERE arxiv_id = '2403.00001'") == 4
    assert site.db.scalar("SELECT COUNT(*) FROM community_comment") == 1
    assert (
        site.db.scalar(
            "SELECT COUNT(*) FROM digests_subscription "
            "WHERE email = 'carol@example.org' AND status = 'active'"
        )
        == 1
    )
