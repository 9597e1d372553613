"""An account's digest ends with its "For you" papers: ranked from what the reader liked,
never a paper sent before, read, dismissed or muted."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from dailypapers.community import verification
from dailypapers.digests.sending import send_due
from dailypapers.library import marks, mutes
from dailypapers.papers.services import add_upvote

from .conftest import DAY, make_paper, subscriber

pytestmark = pytest.mark.django_db

MONDAY = DAY + timedelta(days=3)


@pytest.fixture
def ada(catalog):
    """A reader who upvoted an older paper on quantization."""
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw")
    verification.mark_verified(user)
    liked = make_paper(
        "2609.00001",
        title="Quantization of language models",
        abstract="Low-bit quantization of weights.",
        published=DAY - timedelta(days=60),
    )
    add_upvote(user, liked)
    return user


def sections_of(text: str) -> dict[str, list[str]]:
    """Each heading of the plain-text digest with the paper ids it lists."""
    found: dict[str, list[str]] = {}
    lines = text.splitlines()
    heading = ""
    for line, underline in zip(lines, [*lines[1:], ""], strict=True):
        if underline and set(underline) == {"="}:
            heading = line
        elif paper := re.search(r"/papers/(\d{4}\.\d{5})", line):
            found.setdefault(heading, []).append(paper[1])
    return found


def test_an_accounts_digest_ends_with_its_for_you_papers(smtp, catalog, ada):
    subscriber("ada@example.org", user=ada, paper_count=2)

    assert send_due(today=DAY).sent == 1

    text, html = smtp.messages[0].part("plain"), smtp.messages[0].part("html")
    assert "For you" in text and "For you" in html
    assert "https://papers.example.org/papers/for-you" in html
    sections = sections_of(text)
    assert list(sections)[-1] == "For you"
    # Acme's quantization paper is the one that shares the liked paper's words.
    assert sections["For you"][0] == catalog["acme"].arxiv_id
    assert "/papers/2609.00001" not in text


def test_a_subscriber_without_an_account_gets_no_for_you_section(smtp, catalog):
    subscriber("bob@example.org", [("category", "cs.LG")])
    send_due(today=DAY)
    assert "For you" not in smtp.messages[0].part("plain")


def test_read_dismissed_and_muted_papers_are_in_no_section(smtp, catalog, ada):
    subscriber("ada@example.org", [("category", "cs.LG")], user=ada, paper_count=10)
    marks.mark_read(ada, catalog["hot"].arxiv_id)
    marks.dismiss(ada, catalog["acme"].arxiv_id)
    mutes.mute(ada, "word", "laundry")
    mutes.mute(ada, "author", "Grace Hopper")

    send_due(today=DAY)

    text = smtp.messages[0].part("plain")
    for left_out in ("hot", "acme", "robots", "grace"):
        assert f"/papers/{catalog[left_out].arxiv_id}" not in text, left_out
    assert f"/papers/{catalog['warm'].arxiv_id}" in text


def test_no_paper_is_sent_twice_across_digests(smtp, catalog, ada):
    subscriber("ada@example.org", [("category", "cs.LG")], user=ada, paper_count=2)
    assert send_due(today=DAY).sent == 1
    # Published with Friday's papers: Monday's "For you" ranks the same window again.
    make_paper("2611.00007", title="Quantization for phones", published=DAY - timedelta(days=1))

    assert send_due(today=MONDAY).sent == 1

    friday, monday = (sections_of(m.part("plain")) for m in smtp.messages)
    assert friday["For you"] and monday["For you"]
    first, second = sum(friday.values(), []), sum(monday.values(), [])
    assert not set(first) & set(second)
    assert len(second) == len(set(second))
    assert "2611.00007" in second
