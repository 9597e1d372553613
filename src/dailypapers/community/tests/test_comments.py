"""Comments: Markdown rendered and sanitised, edited by their author, removed by moderators,
counted on the paper, rate-limited; htmx fragments and plain-form fallbacks."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dailypapers.community import services
from dailypapers.community.markdown import render_markdown
from dailypapers.community.models import Comment
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/papers/2403.01779"}


def count(paper: Paper) -> int:
    paper.refresh_from_db(fields=["comment_count"])
    return paper.comment_count


def post(client, body: str, **extra):
    return client.post("/papers/2403.01779/comments", {"body": body}, **extra)


@pytest.mark.parametrize(
    ("source", "present", "absent"),
    [
        (
            "*em* **strong** `code`",
            ["<em>em</em>", "<strong>strong</strong>", "<code>code</code>"],
            [],
        ),
        (
            "> quoted\n\n- one\n- two\n\n1. first",
            ["<blockquote>", "<ul>", "<li>one</li>", "<ol>"],
            [],
        ),
        ("```\nx < y\n```", ["<pre><code>x &lt; y\n</code></pre>"], []),
        (
            "[site](https://example.org)",
            ['<a href="https://example.org" rel="nofollow noopener">site</a>'],
            [],
        ),
        ("<script>alert(1)</script>", ["&lt;script&gt;"], ["<script"]),
        ('<img src=x onerror="alert(1)">', ["&lt;img"], ["<img"]),
        ("[click](javascript:alert(1))", [], ['href="javascript', "<a "]),
        ("[click](JaVaScRiPt:alert(1))", [], ["<a "]),
        ("<a href='javascript:alert(1)'>x</a>", [], ["<a "]),
        (
            "![tracker](https://example.org/pixel.png)",
            ['<a href="https://example.org/pixel.png"'],
            ["<img"],
        ),
        ("# Title\n\n---", ["# Title", "---"], ["<h1", "<hr"]),
        ("<https://example.org/a?b=1&c=2>", ['href="https://example.org/a?b=1&amp;c=2"'], []),
    ],
)
def test_markdown_subset_is_sanitised(source, present, absent):
    html = render_markdown(source)
    for fragment in present:
        assert fragment in html
    for fragment in absent:
        assert fragment not in html


@pytest.mark.parametrize(
    "source, rendered",
    [
        (r"The norm $\|x\|_2$ is *small*", r"<p>The norm $\|x\|_2$ is <em>small</em></p>"),
        (r"\(a_1 * b_2 * c\) and \[\sum_i x_i\]", r"<p>\(a_1 * b_2 * c\) and \[\sum_i x_i\]</p>"),
        ("$$\n\\|x\\|_* = 1\n$$", "<p>$$\n\\|x\\|_* = 1\n$$</p>"),
        (r"$x < y$ <b>", r"<p>$x &lt; y$ &lt;b&gt;</p>"),
        # Money is not math: Markdown still reads the rest.
        (r"from $5 to $10, *cheap*", r"<p>from $5 to $10, <em>cheap</em></p>"),
        (r"\$ and `$x_1$`", r"<p>$ and <code>$x_1$</code></p>"),
    ],
)
def test_math_keeps_its_latex_for_katex(source, rendered):
    assert render_markdown(source).strip() == rendered


def test_anonymous_visitors_read_and_are_invited_to_log_in(client, paper, alice):
    services.post_comment(alice, paper, "Nice *paper*")
    page = client.get("/papers/2403.01779")
    assert b"<em>paper</em>" in page.content
    assert b"/accounts/login/?next=/papers/2403.01779%23discussion" in page.content
    assert b'id="comment-form"' not in page.content
    assert post(client, "hi")["Location"].startswith("/accounts/login/")
    assert not Comment.objects.filter(body="hi").exists()


def test_htmx_post_from_an_expired_session_redirects_the_page(client, paper):
    response = post(client, "hi", **HTMX)
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/papers/2403.01779"


def test_post_a_comment_with_a_plain_form(as_alice, paper):
    response = post(as_alice, "Hello <script>alert(1)</script> [x](javascript:alert(1))")
    comment = Comment.objects.get()
    assert response["Location"] == f"/papers/2403.01779#comment-{comment.pk}"
    assert count(paper) == 1
    page = as_alice.get("/papers/2403.01779").content.decode()
    assert f'id="comment-{comment.pk}"' in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page
    assert '<span id="comment-count">1</span>' in page


def test_post_a_comment_with_htmx(as_alice, paper):
    response = post(as_alice, "First!", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    comment = Comment.objects.get()
    assert html.startswith('<form id="comment-form"')
    assert 'hx-swap-oob="beforeend:#comments"' in html and f'id="comment-{comment.pk}"' in html
    assert '<span id="comment-count" hx-swap-oob="true">1</span>' in html
    assert "First!" in html


def test_empty_or_huge_comments_are_refused(as_alice, paper):
    assert post(as_alice, "   ").status_code == 400
    refused = post(as_alice, "x" * 10_001)
    assert refused.status_code == 400
    assert b"errorlist" in refused.content
    htmx = post(as_alice, "", **HTMX)
    assert htmx.status_code == 200 and b"errorlist" in htmx.content
    assert b"hx-swap-oob" not in htmx.content
    assert count(paper) == 0 and not Comment.objects.exists()


def test_hidden_and_unknown_papers_take_no_comments(as_alice, paper):
    Paper.objects.filter(pk=paper.pk).update(is_hidden=True)
    assert post(as_alice, "hi").status_code == 404
    assert as_alice.post("/papers/2501.99999/comments", {"body": "hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_deactivated_user_cannot_comment(client, alice, paper):
    client.force_login(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert post(client, "still here?")["Location"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


def test_comments_are_limited_per_account(as_alice, alice, paper, bob, settings):
    settings.RATE_COMMENT_PER_ACCOUNT = "3/hour"
    for n in range(3):
        assert post(as_alice, f"comment {n}").status_code == 302
    refused = post(as_alice, "one too many")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 20 * 60
    assert b"Too many comments for this account. Try again in 20 minutes." in refused.content
    htmx = post(as_alice, "one too many", **HTMX)
    assert htmx.status_code == 200 and b"Try again in" in htmx.content
    assert not Comment.objects.filter(body="one too many").exists()
    assert count(paper) == 3
    # Another account is not limited by alice's comments.
    bob_client = Client()
    bob_client.force_login(bob)
    assert post(bob_client, "mine").status_code == 302


def test_author_edits_their_comment(as_alice, alice, paper):
    comment = services.post_comment(alice, paper, "tpyo")
    page = as_alice.get(f"/comments/{comment.pk}/edit")
    assert page.status_code == 200 and b"tpyo" in page.content
    response = as_alice.post(f"/comments/{comment.pk}/edit", {"body": "typo **fixed**"})
    assert response["Location"] == f"/papers/2403.01779#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.body == "typo **fixed**" and comment.edited_at is not None
    assert count(paper) == 1
    assert b"edited" in as_alice.get("/papers/2403.01779").content
    assert as_alice.post(f"/comments/{comment.pk}/edit", {"body": ""}).status_code == 400


def test_author_edits_with_htmx(as_alice, alice, paper):
    comment = services.post_comment(alice, paper, "draft")
    form = as_alice.get(f"/comments/{comment.pk}/edit", **HTMX)
    assert form.content.startswith(f'<form class="comment form" id="comment-{comment.pk}"'.encode())
    saved = as_alice.post(f"/comments/{comment.pk}/edit", {"body": "*final*"}, **HTMX)
    assert b"<em>final</em>" in saved.content and saved.content.startswith(b"<article")
    cancel = as_alice.get(f"/comments/{comment.pk}", **HTMX)
    assert b"<em>final</em>" in cancel.content
    assert as_alice.get(f"/comments/{comment.pk}")["Location"].endswith(f"#comment-{comment.pk}")


def test_only_the_author_edits(client, alice, bob, staff, paper):
    comment = services.post_comment(alice, paper, "mine")
    for other in (bob, staff):
        client.force_login(other)
        assert client.get(f"/comments/{comment.pk}/edit").status_code == 403
        assert client.post(f"/comments/{comment.pk}/edit", {"body": "yours"}).status_code == 403
    client.logout()
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "x"}).status_code == 302
    comment.refresh_from_db()
    assert comment.body == "mine"
    page = client.get("/papers/2403.01779").content
    assert f"/comments/{comment.pk}/edit".encode() not in page


@pytest.mark.parametrize("remover", ["moderator", "staff"])
def test_moderators_remove_comments(client, alice, paper, remover, request):
    keep = services.post_comment(alice, paper, "fine")
    comment = services.post_comment(alice, paper, "spam spam")
    moderator = request.getfixturevalue(remover)
    client.force_login(moderator)
    page = client.get("/papers/2403.01779").content
    assert f"/comments/{comment.pk}/remove".encode() in page
    response = client.post(f"/comments/{comment.pk}/remove")
    assert response["Location"] == f"/papers/2403.01779#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.is_removed and comment.removed_by == moderator
    assert count(paper) == 1
    # Removing twice counts once.
    client.post(f"/comments/{comment.pk}/remove")
    assert count(paper) == 1
    page = client.get("/papers/2403.01779").content
    assert b"comment removed" in page and b"spam spam" not in page and b"fine" in page
    assert keep.pk
    # A removed comment can no longer be edited by its author.
    client.force_login(alice)
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "back"}).status_code == 403


def test_remove_with_htmx(client, moderator, alice, paper):
    comment = services.post_comment(alice, paper, "spam")
    client.force_login(moderator)
    response = client.post(f"/comments/{comment.pk}/remove", **HTMX)
    assert response.status_code == 200
    assert b"comment removed" in response.content and b"spam" not in response.content


def test_others_cannot_remove(client, alice, bob, paper):
    comment = services.post_comment(alice, paper, "mine")
    for user in (alice, bob):
        client.force_login(user)
        assert client.post(f"/comments/{comment.pk}/remove").status_code == 403
        assert (
            f"/comments/{comment.pk}/remove".encode()
            not in client.get("/papers/2403.01779").content
        )
    comment.refresh_from_db()
    assert not comment.is_removed and count(paper) == 1


def test_deleting_an_account_keeps_the_count(alice, bob, moderator, paper):
    services.post_comment(alice, paper, "one")
    removed = services.post_comment(alice, paper, "two")
    services.post_comment(bob, paper, "three")
    services.remove_comments(moderator, Comment.objects.filter(pk=removed.pk))
    assert count(paper) == 2
    alice.delete()
    assert count(paper) == 1


def test_comments_in_the_data_export(as_alice, alice, bob, paper):
    comment = services.post_comment(alice, paper, "*mine*")
    services.edit_comment(alice, comment, "*mine*, edited")
    services.post_comment(bob, paper, "not mine")
    data = as_alice.get("/export/me.json").json()
    [exported] = data["comments"]
    assert exported["paper"] == "2403.01779"
    assert exported["body"] == "*mine*, edited"
    assert exported["created_at"].endswith("Z") and exported["edited_at"].endswith("Z")
    assert exported["removed"] is False
