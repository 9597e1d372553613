"""The catalog's signals: the one it sends to what derives from it, and those it
listens to.

``catalog_changed`` lets whatever follows the catalog (search's indexes) catch
up after an import without the importers knowing it: arrows run one way;
``papers_stored`` lets it start during the import.

A deleted paper leaves a ``RemovedPaper`` row (in the delete's own transaction), which
the keyword indexes of every node read to drop it; an organization or author edited or
deleted in the admin moves ``changed_at`` of their papers, which the indexes hold by slug
and name.

Paper.upvotes follows accounts that are deactivated, reactivated or deleted.
Accounts change in Django's admin and auth views, outside papers.services, so
the counter is kept here, on the account's own signals.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver
from django.utils import timezone

from .models import Author, Organization, Paper, RemovedPaper
from .services import count_votes_of

User = get_user_model()

# Sent by each import command at the end of every run, changes or not (a run killed
# before sending it leaves the catch-up to its re-run). Receivers bring what they
# derive from the catalog level with it and return a line for the operator, or "".
catalog_changed = Signal()


# Sent by ``dailypapers import`` after each batch it committed that changed papers, with
# ``ids``, those of the batch's papers: search indexes them for keywords on a thread of its
# own while the import stores the next batch, and commits them on ``catalog_changed``.
papers_stored = Signal()


def announce_catalog_change(sender: object) -> list[str]:
    """Send ``catalog_changed``; what its receivers have to tell the operator."""
    return [line for _, line in catalog_changed.send(sender) if line]


@receiver(pre_save, sender=User)
def remember_whether_active(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    instance._was_active = stored


@receiver(post_save, sender=User)
def recount_when_activity_changes(sender, instance, created, **kwargs) -> None:
    was_active = instance.__dict__.pop("_was_active", None)
    if not created and was_active is not None and was_active != instance.is_active:
        count_votes_of(instance, counted=instance.is_active)


@receiver(pre_delete, sender=User)
def discount_votes_of_deleted_account(sender, instance, **kwargs) -> None:
    if instance.is_active:
        count_votes_of(instance, counted=False)


@receiver(post_delete, sender=Paper)
def record_removed_paper(sender, instance, **kwargs) -> None:
    RemovedPaper.objects.update_or_create(
        arxiv_id=instance.arxiv_id, defaults={"removed_at": timezone.now()}
    )


@receiver(post_save, sender=Organization)
@receiver(pre_delete, sender=Organization)
def restamp_papers_of_organization(sender, instance, created=False, **kwargs) -> None:
    if not created:
        Paper.objects.filter(organization=instance).update(changed_at=timezone.now())


@receiver(post_save, sender=Author)
@receiver(pre_delete, sender=Author)
def restamp_papers_of_author(sender, instance, created=False, **kwargs) -> None:
    if not created:
        Paper.objects.filter(authorships__author=instance).update(changed_at=timezone.now())
