"""The catalog: papers, their authors and organizations, daily listings, upvotes."""

from django.conf import settings
from django.db import models

MAX_AUTHOR_NAME = 1000
MAX_URL = 500


class Organization(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    avatar_url = models.URLField(max_length=MAX_URL, blank=True)

    def __str__(self) -> str:
        return self.name


class Author(models.Model):
    # arXiv has no author identifiers, so an author is a name.
    name = models.CharField(max_length=MAX_AUTHOR_NAME, unique=True)

    def __str__(self) -> str:
        return self.name


def visible_paper(via: str = "") -> models.Q:
    """Moderation's rule for papers, as a condition on Paper or on the papers reached
    through the relation ``via`` (``"paper"``, ``"papers"``): where a queryset method
    cannot go, such as an annotation's filter."""
    return models.Q(**{f"{via}__is_hidden" if via else "is_hidden": False})


def authors_in_order() -> models.Prefetch:
    """Papers' authorships with their authors, in each paper's order (Authorship.Meta)."""
    return models.Prefetch("authorships", queryset=Authorship.objects.select_related("author"))


def load_authors(papers: "list[Paper]") -> None:
    """Fetch the authors of ``papers`` (model instances already loaded) in one query."""
    models.prefetch_related_objects(papers, authors_in_order())


class PaperQuerySet(models.QuerySet):
    def visible(self) -> "PaperQuerySet":
        """Papers moderators did not hide: every list, search result, feed and API answer."""
        return self.filter(visible_paper())

    def for_cards(self) -> "PaperQuerySet":
        """With what a list entry shows: organization, listing and submitter. A card names
        its authors by count, which the list reads for the whole page at once (web's
        ``rendering.cards``), not paper by paper."""
        return self.select_related("organization", "listing__submitted_by")

    def with_authors(self) -> "PaperQuerySet":
        """With every author, in order: a paper's page, its API record, BibTeX, feeds."""
        return self.prefetch_related(authors_in_order())


class Paper(models.Model):
    """One arXiv paper, keyed by its id without version (``2403.01779``).

    ``version`` 0 marks a paper known only from a daily listing (title and
    abstract from Hugging Face, or nothing but the id): any record from arXiv
    itself replaces it.
    """

    arxiv_id = models.CharField(max_length=40, primary_key=True)
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    # Space-separated as arXiv writes them, primary first when known.
    categories = models.CharField(max_length=500, blank=True)
    primary_category = models.CharField(max_length=40, blank=True, db_index=True)
    published = models.DateField(null=True, blank=True, db_index=True)
    updated = models.DateField(null=True, blank=True)
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=200, blank=True)
    github_repo = models.URLField(max_length=MAX_URL, blank=True)
    project_page = models.URLField(max_length=MAX_URL, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    # Upvotes imported from another site (Hugging Face) are the baseline;
    # ``upvotes`` is that baseline plus this site's Upvote rows.
    imported_upvotes = models.PositiveIntegerField(default=0)
    upvotes = models.PositiveIntegerField(default=0, db_index=True)
    # Kept by community.services with each comment posted or removed.
    comment_count = models.PositiveIntegerField(default=0)
    # Moderators hide a paper from every list, search, feed and the API.
    is_hidden = models.BooleanField(default=False)
    # Fingerprint of the imported metadata: a re-import of the same record is a no-op.
    content_hash = models.CharField(max_length=32, blank=True)
    added_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When anything a search index reads last changed: every write path sets it (imports,
    # listings, organization links, hiding and showing again), and the keyword indexes of
    # every node follow the catalog by it (search/keyword_tantivy.py).
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "arxiv_id"]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title}"

    @property
    def daily_listing(self) -> "DailyListing | None":
        try:
            return self.listing
        except DailyListing.DoesNotExist:
            return None

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()

    @property
    def is_complete(self) -> bool:
        """False while the paper awaits its metadata from arXiv."""
        return self.version > 0

    @property
    def metadata_pending(self) -> bool:
        """Known only from a listing that had no abstract: pages say so until arXiv's record."""
        return not self.is_complete and not self.abstract

    def get_absolute_url(self) -> str:
        return f"/papers/{self.arxiv_id}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


class RemovedPaper(models.Model):
    """A paper deleted from the catalog, kept by id so that every node's keyword index,
    which follows the catalog by ``changed_at``, also drops it (papers/signals.py)."""

    arxiv_id = models.CharField(max_length=40, primary_key=True)
    removed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.arxiv_id} (removed {self.removed_at:%Y-%m-%d %H:%M})"


class Authorship(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="unique_author_position")
        ]


class DailyListingQuerySet(models.QuerySet):
    def visible(self) -> "DailyListingQuerySet":
        """Listings on the daily list: neither the listing nor its paper hidden."""
        return self.filter(visible_paper(via="paper"), is_hidden=False)


class DailyListing(models.Model):
    """A paper featured on the daily list; a paper is featured once."""

    class Source(models.TextChoices):
        LOCAL = "local", "Submitted here"
        HF_API = "hf-api", "Hugging Face API"
        HF_ARCHIVE = "hf-archive", "Hugging Face archive"

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="listing")
    date = models.DateField(db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The submitter's name at the source (a Hugging Face username) when not a local user.
    submitter_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.LOCAL)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moderators hide a listing (the paper stays in the catalog and search).
    is_hidden = models.BooleanField(default=False)

    objects = DailyListingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-paper__upvotes"]

    def __str__(self) -> str:
        return f"{self.date}: {self.paper_id}"


class Upvote(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvote_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="one_upvote_per_user")
        ]
