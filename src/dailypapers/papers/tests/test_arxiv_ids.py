import pytest

from dailypapers.papers.arxiv_ids import InvalidArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2403.01779", ("2403.01779", None)),
        ("2403.01779v2", ("2403.01779", 2)),
        ("arXiv:2403.01779", ("2403.01779", None)),
        ("https://arxiv.org/abs/2403.01779v3", ("2403.01779", 3)),
        ("http://arxiv.org/pdf/2403.01779v1.pdf", ("2403.01779", 1)),
        ("oai:arXiv.org:2403.01779", ("2403.01779", None)),
        ("0704.0001", ("0704.0001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.gt/0309136", None)),
        ("  2403.01779 \n", ("2403.01779", None)),
    ],
)
def test_parse_arxiv_id_accepts_ids_urls_and_prefixes(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2403",
        "2413.01779",
        "2403.017",
        "24030.1779",
        "abc",
        "2403.01779; DROP TABLE",
        "https://example.com/abs/2403.01779",
        "../2403.01779",
    ],
)
def test_parse_arxiv_id_rejects_malformed_ids(text):
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)
