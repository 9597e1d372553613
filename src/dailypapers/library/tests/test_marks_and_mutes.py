"""Read, "not interested", muted words and authors: what a reader's feed and digest leave
out, the same in memory (the ranker) and in the database (a digest's query)."""

import pytest

from dailypapers.library.errors import Invalid, NotFound
from dailypapers.library.exclusions import exclusions
from dailypapers.library.marks import dismiss, mark_read, mark_unread, undismiss
from dailypapers.library.models import Mark, Mute
from dailypapers.library.mutes import mute, mutes, unmute
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.upserts import upsert_papers

pytestmark = pytest.mark.django_db


def test_dismissing_twice_is_one_mark_and_undismissing_removes_it(reader, catalog):
    assert dismiss(reader, "arXiv:2403.01779v1") == "2403.01779"
    dismiss(reader, "2403.01779")
    assert Mark.objects.filter(user=reader, kind="dismissed").count() == 1
    assert exclusions(reader).dismissed == {"2403.01779"}
    undismiss(reader, "2403.01779")
    assert exclusions(reader).dismissed == frozenset()


def test_marks_refuse_a_malformed_id_an_unknown_paper_and_a_hidden_one(reader, hidden):
    with pytest.raises(Invalid, match="not an arXiv id"):
        dismiss(reader, "2403")
    for arxiv_id in ("2405.00001", hidden):
        with pytest.raises(NotFound, match="not found"):
            mark_read(reader, arxiv_id)
    assert not Mark.objects.exists()


def test_read_and_dismissed_are_separate_and_per_reader(reader, other, catalog):
    mark_read(reader, catalog[0])
    dismiss(reader, catalog[1])
    mark_read(other, catalog[2])
    mine = exclusions(reader)
    assert (mine.read, mine.dismissed) == ({catalog[0]}, {catalog[1]})
    mark_unread(reader, catalog[0])
    assert exclusions(reader).read == frozenset()


def test_muted_words_are_stored_lower_case_and_authors_as_the_catalog_spells_them(reader, catalog):
    assert mute(reader, "word", "  Sparse   Attention ")[0].value == "sparse attention"
    assert mute(reader, "author", "yuhao xu")[0].value == "Yuhao Xu"
    assert mute(reader, "word", "SPARSE attention")[1] is False
    with pytest.raises(Invalid, match="no author named"):
        mute(reader, "author", "Nobody Known")
    with pytest.raises(Invalid, match="a muted word has letters and digits"):
        mute(reader, "word", "(?i).*")
    with pytest.raises(Invalid, match="a word or an author"):
        mute(reader, "venue", "NeurIPS")
    assert [m.value for m in mutes(reader)] == ["Yuhao Xu", "sparse attention"]


def test_unmute_takes_only_ones_own(reader, other, catalog):
    mine, _ = mute(reader, "word", "diffusion")
    theirs, _ = mute(other, "word", "diffusion")
    with pytest.raises(NotFound):
        unmute(reader, theirs.pk)
    unmute(reader, mine.pk)
    assert list(Mute.objects.all()) == [theirs]


@pytest.fixture
def feed(catalog) -> list[str]:
    """Papers that a muted word matches, or almost matches."""
    upsert_papers(
        [
            PaperRecord.build(arxiv_id=arxiv_id, title=title, abstract=abstract, authors=["X Y"])
            for arxiv_id, title, abstract in [
                ("2404.00001", "C++ templates for GPT-4 inference", "Fast."),
                ("2404.00002", "Retrieval", "We use GPT-4o, not the muted one."),
                ("2404.00003", "Large language\nmodels", "On LLMs."),
                ("2404.00004", "Diffusions everywhere", "Plural, so no match."),
                ("2404.00005", "A study", "Sparse-attention kernels."),
            ]
        ]
    )
    return list(Paper.objects.values_list("pk", flat=True))


def test_the_feed_leaves_out_the_same_papers_in_memory_and_in_the_database(reader, feed):
    for word in ("gpt-4", "c++", "large language models", "diffusion", "attention"):
        mute(reader, "word", word)
    mute(reader, "author", "Author 3")
    dismiss(reader, "2403.01780")
    mark_read(reader, "2403.01779")
    excluded = exclusions(reader)

    in_memory = {
        paper.arxiv_id
        for paper in Paper.objects.prefetch_related("authors")
        if not excluded.hides(
            paper.arxiv_id, paper.title, paper.abstract, [a.name for a in paper.authors.all()]
        )
    }
    in_database = set(excluded.apply(Paper.objects.all()).values_list("pk", flat=True))

    # Left out: 2404.00001 (gpt-4, c++), 2404.00003 (the phrase across a line break),
    # 2404.00005 and 2403.01781 and 1706.03762 (attention; 1706.03762 is by Author 3
    # too), 2403.01780 (dismissed), 2403.01779 (read; diffusion).
    assert in_memory == in_database == {"2404.00002", "2404.00004", "hep-th/9901001"}
    unread_too = set(
        excluded.apply(Paper.objects.all(), read_too=False).values_list("pk", flat=True)
    )
    assert unread_too == in_database  # 2403.01779 is muted anyway ("diffusion")
    assert not excluded.hides("2403.01779", "Nothing muted", "", [], read_too=False)
    assert excluded.hides("2403.01779", "Nothing muted", "", [])


def test_without_marks_or_mutes_nothing_is_left_out(reader, feed):
    excluded = exclusions(reader)
    assert excluded.apply(Paper.objects.all()).count() == len(feed)
    assert not excluded.hides("2404.00001", "C++ templates", "GPT-4", ["X Y"])
