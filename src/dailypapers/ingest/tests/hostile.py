"""Hypothesis strategies for the importers' hostile-input tests: valid records of each
format, generated with odd text, and what the catalog must hold once one is imported."""

from dataclasses import dataclass
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from dailypapers.papers.models import DailyListing, Paper


def hypothesis_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# What a JSON string can carry to us: every code point but lone surrogates (not UTF-8)
# and NUL (refused: PostgreSQL cannot store it, records.py).
ODD = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TRICKY = [
    "\u202eevil\u202c",  # right-to-left override
    "zero\u200bwidth\u2060joined",
    "e\u0301\u0301\u0301 combining",
    "line\u2028separator\u2029paragraph",
    "\x1c\x1d\x1e\x1f separators",
    "\x85next line\x0bvertical\x0cfeed",
    "\U0001f600 \U0001d518\U0001d52b\U0001d526",
    "\ufeffbyte order mark \ufffe\uffff",
    "ﬃ ǅ ß İ",
    "<script>alert(1)</script>",
    "$\\frac{a}{b}$ \\emph{x}",
    "'; DROP TABLE papers_paper; --",
]


def has_words(text: str) -> bool:
    return bool(text.split())


TEXT = st.one_of(
    st.text(ODD, min_size=1, max_size=60),
    st.sampled_from(TRICKY),
    # Huge: up to ~200,000 characters in one field.
    st.builds(
        lambda piece, times: piece * times,
        st.text(ODD, min_size=1, max_size=4),
        st.integers(1000, 50_000),
    ),
).filter(has_words)
NAME = st.one_of(st.text(ODD, max_size=40), st.sampled_from(TRICKY)).filter(
    lambda name: len(" ".join(name.split())) <= 1000
)
DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
CATEGORIES = st.lists(
    st.sampled_from(["cs.LG", "cs.CL", "math.AP", "hep-th", "q-bio.NC", "stat.ML"]),
    unique=True,
    max_size=4,
)
# What PostgreSQL's columns hold: versions are smallint, upvote counts integer.
VERSION = st.integers(1, 32767)
UPVOTES = st.integers(0, 2**31 - 1)
WRONG_TYPES = [7, 1.5, True, [], ["a"], {}, {"a": 1}]


@dataclass
class Expected:
    """What the catalog must hold for a valid record; None: not the record's to say."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[str]
    version: int | None = None
    published: date | None = None
    categories: str | None = None
    comment: str | None = None
    listed: date | None = None
    imported_upvotes: int | None = None
    organization: str | None = None


def normal(text: str) -> str:
    return " ".join(text.split())


def names(authors: list[str]) -> list[str]:
    return [normal(name) for name in authors if normal(name)]


def arxiv_id_for(serial: int) -> str:
    return f"24{serial % 12 + 1:02d}.{serial:05d}"


def written_id(draw, arxiv_id: str) -> str:
    """The id as sources write it: plain, with a version, a prefix or a URL."""
    return draw(
        st.sampled_from(
            [arxiv_id, f"arXiv:{arxiv_id}", f"https://arxiv.org/abs/{arxiv_id}", f" {arxiv_id} "]
        )
    )


@st.composite
def arxiv_jsonl(draw, serial: int) -> tuple[dict, Expected]:
    arxiv_id = arxiv_id_for(serial)
    title, abstract, authors = draw(TEXT), draw(TEXT), draw(st.lists(NAME, max_size=5))
    categories, published = draw(CATEGORIES), draw(DAY)
    version, comment = draw(st.one_of(st.none(), VERSION)), draw(st.one_of(st.none(), TEXT))
    row = {
        "id": written_id(draw, arxiv_id),
        "title": title,
        "abstract": abstract,
        "authors": authors,
        "categories": draw(st.sampled_from([categories, " ".join(categories)])),
        "published": published.isoformat(),
        "version": draw(st.sampled_from([version, f"v{version}"])) if version else None,
        "comment": comment,
        "unknown field": draw(st.sampled_from([None, "ignored", [1, {"x": None}]])),
    }
    return row, Expected(
        arxiv_id,
        normal(title),
        abstract.strip(),
        names(authors),
        version=version or 1,
        published=published,
        categories=" ".join(categories),
        comment=(comment or "").strip(),
    )


KAGGLE_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def kaggle_name(parts: list[str]) -> str:
    last, first, suffix = (parts + ["", ""])[:3]
    return " ".join(part for part in (first, last, suffix) if part)


@st.composite
def kaggle(draw, serial: int) -> tuple[dict, Expected]:
    arxiv_id = arxiv_id_for(serial)
    title, abstract = draw(TEXT), draw(TEXT)
    # authors_parsed rows: [last, first, suffix], with words only (no commas or "and").
    parsed = draw(
        st.lists(
            st.lists(st.from_regex(r"[A-Za-zÀ-ÿ'-]{1,12}", fullmatch=True), min_size=1, max_size=3),
            max_size=4,
        )
    )
    created = draw(
        st.lists(
            st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)),
            min_size=1,
            max_size=3,
        )
    )
    row = {
        "id": arxiv_id,
        "title": title,
        "abstract": abstract,
        "authors": ", ".join(" ".join(parts) for parts in parsed),
        "authors_parsed": parsed,
        "versions": [
            {
                "version": f"v{n}",
                "created": f"Mon, {d.day} {KAGGLE_MONTHS[d.month - 1]} {d.year:04d} 10:00:00 GMT",
            }
            for n, d in enumerate(created, 1)
        ],
        "categories": " ".join(draw(CATEGORIES)),
        "update_date": created[-1].isoformat(),
    }
    return row, Expected(
        arxiv_id,
        normal(title),
        abstract.strip(),
        names([kaggle_name(p) for p in parsed]),
        version=len(created),
        published=created[0],
    )


@st.composite
def hf_daily_archive(draw, serial: int) -> tuple[dict, Expected]:
    arxiv_id = arxiv_id_for(serial)
    listed, upvotes = draw(DAY), draw(UPVOTES)
    title = draw(st.one_of(st.none(), TEXT))
    abstract = draw(st.one_of(st.none(), TEXT)) if title else None
    authors = draw(st.lists(NAME, max_size=4))
    row = {
        "date": listed.isoformat(),
        "id": written_id(draw, arxiv_id),
        "upvotes": upvotes,
        "title": title,
        "abstract": abstract,
        "authors": authors,
        "source": "generated",
    }
    described = bool(title and abstract)
    return row, Expected(
        arxiv_id,
        normal(title) if title else arxiv_id,
        abstract.strip() if described else "",
        names(authors) if described else [],
        version=0,
        listed=listed,
        imported_upvotes=upvotes,
    )


ORGANIZATION = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", fullmatch=True)


@st.composite
def hf_daily_api(draw, serial: int) -> tuple[dict, Expected]:
    arxiv_id = arxiv_id_for(serial)
    listed, upvotes = draw(DAY), draw(UPVOTES)
    title, summary = draw(TEXT), draw(st.one_of(st.none(), TEXT))
    authors = draw(st.lists(NAME, max_size=4))
    organization = draw(st.one_of(st.none(), ORGANIZATION))
    item = {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": summary,
            "authors": [{"_id": "x", "name": name, "hidden": False} for name in authors],
            "publishedAt": draw(st.one_of(st.none(), DAY.map(lambda d: f"{d}T00:00:00.000Z"))),
            "upvotes": upvotes,
        },
        "publishedAt": f"{listed.isoformat()}T12:00:00.000Z",
        "title": title,
        "numComments": draw(st.sampled_from([0, 3, None])),
        "submittedBy": draw(st.sampled_from([None, {"user": "akhaliq"}, {"fullname": "X"}])),
        "organization": {"name": organization, "fullname": draw(TEXT)} if organization else None,
        "githubRepo": draw(st.sampled_from([None, "", "https://github.com/acme/x"])),
    }
    return item, Expected(
        arxiv_id,
        normal(title),
        summary.strip() if summary else "",
        names(authors) if summary else [],
        version=0,
        listed=listed,
        imported_upvotes=upvotes,
        organization=organization,
    )


VALID = {
    "arxiv-jsonl": arxiv_jsonl,
    "kaggle": kaggle,
    "hf-daily-api": hf_daily_api,
    "hf-daily-archive": hf_daily_archive,
}


def stored_fields(arxiv_id: str) -> dict:
    paper = Paper.objects.select_related("organization").get(pk=arxiv_id)
    listing = DailyListing.objects.filter(paper=paper).first()
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(
            paper.authorships.order_by("position").values_list("author__name", flat=True)
        ),
        "version": paper.version,
        "published": paper.published,
        "categories": paper.categories,
        "comment": paper.comment,
        "listed": listing.date if listing else None,
        "imported_upvotes": paper.imported_upvotes,
        "organization": paper.organization.slug if paper.organization else None,
    }


def assert_stored_completely(expected: Expected) -> None:
    stored = stored_fields(expected.arxiv_id)
    for name, value in vars(expected).items():
        if value is not None:
            assert stored[name] == value, f"{expected.arxiv_id}: {name}"
