"""Importing BibTeX (Zotero's export, Google Scholar's, DBLP's) or a list of arXiv ids into
a collection: every entry is accounted for, what is no paper is reported with its line,
unknown papers arrive by themselves, and an export imports back to the same papers."""

import bibtexparser
import pytest

from dailypapers.conftest import arxiv_row
from dailypapers.ingest.arxiv_api import arxiv_client
from dailypapers.ingest.models import FetchRequest
from dailypapers.ingest.on_demand import fetch_requested
from dailypapers.library.arrivals import NOT_QUEUED, pending_papers
from dailypapers.library.collections import (
    add_paper,
    collection_bibtex,
    collection_items,
    create_collection,
)
from dailypapers.library.errors import NotFound, TooMany
from dailypapers.library.import_formats import read_bibtex, read_id_list, read_import
from dailypapers.library.importing import import_into, queue_pending
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.papers.signals import announce_catalog_change, catalog_changed
from dailypapers.search.indexing import after_catalog_change as search_after_catalog_change

from .conftest import CLIENT

pytestmark = pytest.mark.django_db

# One of each way reference managers name an arXiv paper, and entries that name none.
LIBRARY = """\
% Exported from Zotero
@misc{xu_ootdiffusion_2024,
	title = {{OOTDiffusion}: {Outfitting} {Fusion} for {Try}-on},
	url = {http://arxiv.org/abs/2403.01779},
	doi = {10.48550/arXiv.2403.01779},
	publisher = {arXiv},
	author = {Xu, Yuhao and Gu, Tao},
	month = mar,
	year = {2024},
	note = {arXiv:2403.01779 [cs]},
	annote = {Compare with VITON \\& friends},
}

@article{vaswani2017attention,
  title={Attention is all you need},
  author={Vaswani, Ashish and others},
  journal={arXiv preprint arXiv:1706.03762},
  year={2017}
}

@article{DBLP:journals/corr/abs-2403-01780,
  title     = {Graph networks for molecules},
  journal   = {CoRR},
  volume    = {abs/2403.01780},
  eprinttype = {arXiv},
  eprint    = {2403.01780},
}

@book{knuth1984texbook,
  title = {The {TeX}book},
  publisher = {Addison-Wesley},
}

@article{broken,
  title = {An entry that never closes
  author = Someone,

@misc{strings, title = {Strings}, url = {https://arxiv.org/pdf/hep-th/9901001v2}}
@misc{new_paper, title = {Not in the catalog yet}, eprint = {2405.00001}, archivePrefix = {arXiv}}
@misc{pubmed, title = {A PubMed record}, eprint = {12345678}, archivePrefix = {PubMed}}
@misc{again, title = {The same paper again}, eprint = {1706.03762v5}, archivePrefix = {arXiv}}
@misc{f title = {Missing comma after the key}}
"""


def test_bibtex_entries_give_their_arxiv_id_or_the_reason_with_their_line():
    entries = read_bibtex(LIBRARY)
    assert [(e.line, e.arxiv_id, e.note) for e in entries] == [
        (2, "2403.01779", "Compare with VITON & friends"),
        (14, "1706.03762", ""),
        (21, "2403.01780", ""),
        (29, None, ""),
        (34, None, ""),
        (38, "hep-th/9901001", ""),
        (39, "2405.00001", ""),
        (40, None, ""),
        (41, "1706.03762", ""),
        (42, None, ""),
    ]
    # A malformed entry's reason is bibtexparser's own sentence: its first words suffice.
    reasons = [
        "no arXiv id in entry 'knuth1984texbook' (The TeXbook)",
        "malformed entry: Unexpected block start: `@misc`",
        "no arXiv id in entry 'pubmed' (A PubMed record)",
        "malformed entry: Expected comma after entry key",
    ]
    problems = [e.problem for e in entries if e.arxiv_id is None]
    assert len(problems) == len(reasons)
    assert all(
        problem.startswith(reason) for problem, reason in zip(problems, reasons, strict=True)
    ), problems


def test_a_list_of_ids_and_urls_gives_one_entry_per_line():
    text = (
        "# my reading list\n2403.01779\n\n  https://arxiv.org/abs/2403.01780v3 \n"
        "arXiv:hep-th/9901001\nhttps://huggingface.co/papers/1706.03762\nnot an id\n"
    )
    assert [(e.line, e.arxiv_id, e.problem) for e in read_id_list(text)] == [
        (2, "2403.01779", ""),
        (4, "2403.01780", ""),
        (5, "hep-th/9901001", ""),
        (6, "1706.03762", ""),
        (7, None, "not an arXiv id or URL: 'not an id'"),
    ]


def test_the_format_is_told_from_the_text():
    assert [e.arxiv_id for e in read_import("\ufeff@misc{a, eprint={2403.01779}}")] == [
        "2403.01779"
    ]
    assert [e.arxiv_id for e in read_import("2403.01779\n2403.01780")] == [
        "2403.01779",
        "2403.01780",
    ]


def test_an_import_files_every_entry_and_reports_the_others_with_their_line(
    reader, hidden, settings
):
    settings.FETCH_RATE_PER_CLIENT = "5/hour"
    key = create_collection(reader, "Zotero").key
    add_paper(reader, key, "2403.01780", "my own note", client=CLIENT)

    report = import_into(reader, key, LIBRARY, client=CLIENT)

    assert report.added == ["2403.01779", "1706.03762", "hep-th/9901001"]
    assert report.already == ["2403.01780"]
    assert (report.queued, report.not_queued) == (["2405.00001"], [])
    assert report.repeated == [(41, "1706.03762 again (as on line 14)")]
    assert [line for line, _ in report.problems] == [29, 34, 40, 42]
    # Every entry of the file is in exactly one list: nothing is lost.
    assert report.entries == LIBRARY.count("\n@")
    collection = Collection.objects.get(key=key)
    notes = {item.paper_id: item.note for item in collection_items(collection)}
    assert notes == {
        "2403.01779": "Compare with VITON & friends",
        "1706.03762": "",
        "hep-th/9901001": "",
        "2403.01780": "my own note",  # an import leaves papers already there as they were
    }
    assert [p.arxiv_id for p in pending_papers(collection)] == ["2405.00001"]


def test_an_import_reports_a_hidden_paper_with_its_line(reader, hidden):
    key = create_collection(reader, "List").key
    report = import_into(reader, key, f"2403.01779\n{hidden}\n", client=CLIENT)
    assert report.added == ["2403.01779"]
    assert report.problems == [(2, f"paper {hidden} is not available")]


def test_what_the_fetch_limit_does_not_allow_yet_waits_and_is_asked_for_later(
    reader, catalog, settings
):
    settings.FETCH_RATE_PER_CLIENT = "2/hour"
    key = create_collection(reader, "List").key
    unknown = ["2405.00001", "2405.00002", "2405.00003"]

    report = import_into(reader, key, "\n".join(unknown), client=CLIENT)

    assert (report.queued, report.not_queued) == (unknown[:2], unknown[2:])
    statuses = {p.arxiv_id: p.status for p in pending_papers(Collection.objects.get(key=key))}
    assert statuses == {"2405.00001": "queued", "2405.00002": "queued", "2405.00003": NOT_QUEUED}
    assert queue_pending(reader, key, client="198.51.100.1/32").queued == ["2405.00003"]
    assert FetchRequest.objects.count() == 3


def test_an_import_that_would_overfill_the_collection_adds_nothing(reader, catalog, monkeypatch):
    monkeypatch.setattr("dailypapers.library.collections.MAX_ITEMS", 2)
    key = create_collection(reader, "Small").key
    with pytest.raises(TooMany, match="at most 2 papers"):
        import_into(reader, key, "\n".join(catalog[:3]), client=CLIENT)
    assert not CollectionItem.objects.exists()


def test_nobody_imports_into_another_readers_collection(reader, other, catalog):
    theirs = create_collection(other, "Theirs", public=True).key
    with pytest.raises(NotFound):
        import_into(reader, theirs, catalog[0], client=CLIENT)


@pytest.fixture
def library_receiver_only():
    """catalog_changed reaches the library alone: search's receiver would embed the papers."""
    catalog_changed.disconnect(dispatch_uid="search.after_catalog_change")
    yield
    catalog_changed.connect(search_after_catalog_change, dispatch_uid="search.after_catalog_change")


@pytest.mark.usefixtures("library_receiver_only")
def test_an_unknown_paper_joins_the_collection_when_its_fetch_brings_it(
    reader, catalog, arxiv_stand_in
):
    key = create_collection(reader, "Zotero").key
    import_into(reader, key, "@misc{n, eprint={2405.00001}, annote={read first}}", client=CLIENT)
    collection = Collection.objects.get(key=key)
    [waiting] = pending_papers(collection)
    arxiv_stand_in.papers["2405.00001"] = arxiv_row("2405.00001", published="2024-05-01")

    fetch_requested(arxiv_client())
    lines = announce_catalog_change("fetch_queued")

    assert lines == ["Library: 1 papers readers asked for added to their collections"]
    [item] = collection_items(collection)
    assert (item.paper_id, item.note, item.added_at) == (
        "2405.00001",
        "read first",
        waiting.added_at,
    )
    assert pending_papers(collection) == []


@pytest.mark.parametrize("rewrite", ["as exported", "as a reference manager keeps only its URL"])
def test_an_exported_collection_imports_back_to_the_same_papers_and_notes(reader, catalog, rewrite):
    source = create_collection(reader, "Source").key
    for n, arxiv_id in enumerate(catalog):
        add_paper(
            reader, source, arxiv_id, f"note {n}: 100% & #{n}" if n % 2 else "", client=CLIENT
        )
    exported = collection_bibtex(Collection.objects.get(key=source))
    parsed = bibtexparser.parse_string(exported)
    assert not parsed.failed_blocks and len(parsed.entries) == len(catalog)
    if rewrite != "as exported":
        for entry in parsed.entries:
            for name in ("eprint", "archivePrefix", "primaryClass"):
                entry.pop(name)
        exported = bibtexparser.write_string(parsed)
        assert "eprint" not in exported

    copy = create_collection(reader, "Copy").key
    report = import_into(reader, copy, exported, client=CLIENT)

    assert report.problems == [] and sorted(report.added) == sorted(catalog)

    def contents(key: str) -> dict[str, str]:
        return {i.paper_id: i.note for i in collection_items(Collection.objects.get(key=key))}

    assert contents(copy) == contents(source)
