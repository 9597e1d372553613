"""Paper.upvotes follows accounts that are deactivated, reactivated or deleted.

Accounts change in Django's admin and auth views, outside papers.services, so
the counter is kept here, on the account's own signals.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from .services import count_votes_of

User = get_user_model()


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
