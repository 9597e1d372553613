"""Names as the catalog spells them: what a reader follows or mutes is stored so, since
papers are matched on it as written."""

from dailypapers.papers.announcements import InvalidCategory, check_categories
from dailypapers.papers.models import Author, Organization, Paper

from .errors import Invalid


def author_name(typed: str) -> str:
    """The catalog's author of that name, in any case; Invalid if there is none."""
    found = Author.objects.filter(name=typed).values_list("name", flat=True).first()
    found = (
        found or Author.objects.filter(name__iexact=typed).values_list("name", flat=True).first()
    )
    if found is None:
        raise Invalid(f"There is no author named {typed[:60]!r} in the catalog.")
    return found


def organization_slug(typed: str) -> str:
    """The slug of the organization ``typed`` names (its slug, in any case)."""
    slugs = Organization.objects.values_list("slug", flat=True)
    found = slugs.filter(slug=typed).first() or slugs.filter(slug__iexact=typed).first()
    if found is None:
        raise Invalid(f"There is no organization {typed[:60]!r} (give its short name, its slug).")
    return found


def category(typed: str) -> str:
    """An archive (``cs``, ``hep-th``) or subject class (``cs.LG``) as arXiv writes it."""
    archive, dot, subject = typed.partition(".")
    archive = archive.lower()
    try:
        check_categories([f"{archive}{dot}{subject}"])
    except InvalidCategory:
        raise Invalid(
            f"{typed[:40]!r} is not an arXiv category: an archive such as cs or hep-th, "
            "or a subject class such as cs.LG."
        ) from None
    if not dot:
        return archive
    # Subject classes are written cs.LG, but q-bio.NC and physics.optics: the catalog's
    # spelling when it has the category, else as typed.
    known = (
        Paper.objects.filter(primary_category__iexact=f"{archive}.{subject}")
        .values_list("primary_category", flat=True)
        .first()
    )
    return known or f"{archive}.{subject}"
