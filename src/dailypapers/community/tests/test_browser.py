"""In chromium: sign up, log in, and comment on a paper without a page reload."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from dailypapers.community.models import Comment

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page: Page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def fill_sign_up_form(page: Page, username: str, password: str) -> None:
    """On the sign-up page: an account for ``username`` at example.org, then its welcome."""
    page.get_by_label("Username").fill(username)
    page.locator("#id_email").fill(f"{username}@example.org")
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Welcome, {username}!")).to_be_visible()


def test_sign_up(page: Page, paper):
    page.goto("/papers/2403.01779")
    page.get_by_role("link", name="Sign up").click()
    fill_sign_up_form(page, "carol", PASSWORD)
    expect(page.get_by_role("link", name="carol")).to_be_visible()
    assert User.objects.filter(username="carol", email="carol@example.org").exists()


def test_sign_up_shows_what_is_wrong(page: Page, db):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("carol")
    page.locator("#id_email").fill("carol@example.org")
    page.locator("#id_password1").fill("12345678")
    page.locator("#id_password2").fill("12345678")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".errorlist")).to_contain_text("too common")
    assert not User.objects.filter(username="carol").exists()


def test_log_in_and_out(page: Page, alice, paper):
    log_in(page, "alice", "/papers/2403.01779")
    expect(page.get_by_role("link", name="alice")).to_be_visible()
    expect(page.locator("#comment-form")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_comment_appears_without_reload_and_can_be_edited(page: Page, alice, paper):
    log_in(page, "alice", "/papers/2403.01779")
    expect(page.locator("#comment-count")).to_have_text("0")
    # A reload would drop this marker.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Comment").fill("**Great** paper <script>window.pwned = true</script>")
    page.get_by_role("button", name="Comment").click()

    comment = page.locator("#comments article.comment")
    expect(comment).to_have_count(1)
    expect(comment.locator("strong")).to_have_text("Great")
    expect(comment).to_contain_text("<script>window.pwned = true</script>")
    expect(page.locator("#comment-count")).to_have_text("1")
    expect(page.locator("#no-comments")).to_have_count(0)
    expect(page.get_by_label("Comment")).to_have_value("")
    assert page.evaluate("window.sameDocument === true && window.pwned === undefined")
    assert Comment.objects.get().body.startswith("**Great**")

    comment.get_by_role("link", name="Edit").click()
    page.locator("form.comment textarea").fill("*Even better* on a second read")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#comments article.comment em")).to_have_text("Even better")
    expect(page.locator("#comments article.comment")).to_contain_text("edited")
    assert page.evaluate("window.sameDocument === true")


def test_math_in_a_comment_renders_with_katex(page: Page, alice, paper):
    log_in(page, "alice", "/papers/2403.01779")
    page.get_by_label("Comment").fill(r"The bound $\|x\|_2 \le \epsilon$ holds for *every* $x_i$.")
    page.get_by_role("button", name="Comment").click()
    comment = page.locator("#comments article.comment")
    expect(comment.locator(".katex")).to_have_count(2)  # rendered after the htmx swap
    page.reload()
    expect(comment.locator(".katex")).to_have_count(2)
    # KaTeX keeps the source in its MathML: the backslashes survived Markdown.
    expect(comment.locator("annotation").first).to_have_text(r"\|x\|_2 \le \epsilon")
    expect(comment.locator("em")).to_have_text("every")
