"""The API's answers, typed: Hugging Face's papers API (../shared/docs/hf-papers-api.md) and ours.

These classes are the OpenAPI document's account of every answer, field by
field, in Hugging Face's camelCase spelling and nullability. ``shapes.py``
builds the answers as plain dicts (fast); the tests hold every real answer to
these schemas (``api/tests/test_schema.py``), and ``extra="forbid"`` makes the
schema list every key: a renamed field is both a missing and an unknown key.

Fields that Hugging Face's answers lack and ours add say so in their
description ("dailypapers:").
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# What shapes.iso() writes, the one form huggingface_hub parses.
IsoDateTime = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$",
        json_schema_extra={"format": "date-time"},
        examples=["2024-03-05T00:00:00.000Z"],
    ),
]


class Shape(BaseModel):
    # Every key an answer has is declared: an undeclared one fails the schema.
    model_config = ConfigDict(extra="forbid")


class Organization(Shape):
    name: str = Field(description="the organization's slug", examples=["qwen"])
    fullname: str
    avatarUrl: str


class User(Shape):
    """Who submitted a paper to the daily list."""

    user: str = Field(
        description="a local account's username, else the submitter's name at the source "
        "(a Hugging Face username for mirrored listings)"
    )
    fullname: str
    avatarUrl: str


class Author(Shape):
    """An author, in author order. Hugging Face's optional ``status``,
    ``statusLastChangedAt`` and ``user`` (claimed authorship) are not sent."""

    # A leading underscore is private in pydantic: the key is the alias.
    id: str = Field(alias="_id", description="dailypapers: '<arXiv id>-<position>'")
    name: str
    hidden: bool


class Links(Shape):
    """Where a paper lives beyond arXiv."""

    organization: Organization | None
    projectPage: str | None
    githubRepo: str | None
    githubStars: int | None = Field(description="dailypapers: always null (not tracked)")
    ai_summary: str | None = Field(description="dailypapers: always null (no AI summaries)")
    ai_keywords: list[str] | None = Field(description="dailypapers: always null")


class PaperFields(Shape):
    id: str = Field(description="the arXiv id without version", examples=["2403.01779"])
    authors: list[Author]
    publishedAt: IsoDateTime | None = Field(
        description="first published on arXiv; null when only a daily listing knows the paper"
    )
    title: str
    summary: str = Field(description="the abstract")
    upvotes: int = Field(ge=0)
    discussionId: str


class DailyPaper(PaperFields, Links):
    """The paper inside a daily item. ``organization`` here is a dailypapers
    addition: Hugging Face has it at the item's top level only."""


class DailyItem(Links):
    """One element of /api/daily_papers and of /api/papers/search.

    ``organization`` is Hugging Face's; ``projectPage``, ``githubRepo``,
    ``githubStars``, ``ai_summary`` and ``ai_keywords`` repeat the paper's at
    the top level, a dailypapers addition: huggingface_hub reads them only here.
    """

    paper: DailyPaper
    publishedAt: IsoDateTime | None = Field(
        description="the day the paper was listed; for a search result that was never "
        "listed, its arXiv date (null when unknown)"
    )
    title: str
    summary: str
    thumbnail: str | None = Field(description="dailypapers: always null (no thumbnails)")
    numComments: int = Field(ge=0)
    submittedBy: User | None
    submittedOnDailyAt: IsoDateTime | None = Field(
        description="dailypapers addition at this level (Hugging Face has it on paper objects): "
        "the listing day, null for a search result that was never listed"
    )
    isAuthorParticipating: bool


# Hugging Face's lists of models, datasets and spaces that cite a paper: not kept here.
AlwaysEmpty = Annotated[list[dict[str, Any]], Field(max_length=0, description="always empty")]


class PaperInfo(PaperFields, Links):
    """/api/papers/{id}: one flat paper object."""

    numComments: int = Field(ge=0)
    submittedOnDailyAt: IsoDateTime | None
    submittedOnDailyBy: User | None
    linkedModels: AlwaysEmpty
    numTotalModels: int = Field(ge=0, le=0, description="always 0")
    linkedDatasets: AlwaysEmpty
    numTotalDatasets: int = Field(ge=0, le=0, description="always 0")
    linkedSpaces: AlwaysEmpty


class Upvoted(Shape):
    """dailypapers: the answer to an upvote or its withdrawal."""

    id: str = Field(description="the arXiv id without version", examples=["2403.01779"])
    upvotes: int = Field(ge=0, description="the paper's count after this call")
    upvoted: bool = Field(description="whether the caller's upvote is now counted")


class FetchStatus(Shape):
    """dailypapers: a paper asked for from arXiv, fetched in the background, never while
    the call waits."""

    arxivId: str = Field(description="the arXiv id without version")  # noqa: N815
    status: Literal["queued", "fetching", "failed", "done"]
    reason: str = Field(description="why it failed, in words for people; empty otherwise")
    statusUrl: str = Field(  # noqa: N815
        description="where to follow it (GET, with the same token)"
    )


class Message(Shape):
    """Every error: a sentence for the caller."""

    error: str


# dailypapers: a signed-in reader's library (docs/library.md), through their API token.


class Collection(Shape):
    """dailypapers: one of the caller's collections of papers."""

    id: str = Field(
        description="the collection's key, in its URLs; renaming keeps it",
        examples=["k3x9q2m7a1b0"],
    )
    name: str
    public: bool = Field(description="anyone may read it (its page, its feed, its BibTeX)")
    numPapers: int = Field(ge=0)
    numPending: int = Field(
        ge=0, description="papers being fetched from arXiv: each joins when it arrives"
    )
    createdAt: IsoDateTime
    updatedAt: IsoDateTime


class CollectionPaper(Shape):
    """dailypapers: a paper in a collection, with the caller's note."""

    arxivId: str = Field(description="the arXiv id without version")
    note: str
    addedAt: IsoDateTime


class Follow(Shape):
    """dailypapers: something the caller follows."""

    id: int = Field(description="what DELETE /api/me/follows/{id} takes")
    kind: Literal["author", "organization", "category", "query"]
    value: str = Field(
        description="as the catalog spells it: an author's name, an organization's slug, "
        "an arXiv category (cs.LG) or archive (cs), a search query"
    )
    createdAt: IsoDateTime


class Dismissed(Shape):
    """dailypapers: a paper the caller is "not interested" in, or no longer."""

    id: str = Field(description="the arXiv id without version", examples=["2403.01779"])
    dismissed: bool = Field(description="whether the paper now stays out of the caller's feeds")


class Reason(Shape):
    """dailypapers: why a paper is in the caller's "For you" feed."""

    kind: Literal["similar", "follow", "words", "popular", "new"] = Field(
        description="similar: close to a paper you upvoted or saved; follow: matches "
        "something you follow; words: about words of the papers you like; popular: the "
        "community weight brought it; new: nothing personal yet"
    )
    text: str = Field(examples=["Similar to “Attention Is All You Need”"])


class ForYouItem(DailyItem):
    """dailypapers: a daily item of the caller's "For you" feed, best first."""

    reason: Reason
    score: float = Field(description="the ranker's score: higher is better, within one answer")
