"""Counter upkeep for deletions that bypass services.py (an account deleted with its comments)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Comment
from .services import discount_deleted_comment


@receiver(post_delete, sender=Comment)
def comment_deleted(sender, instance: Comment, **kwargs) -> None:
    discount_deleted_comment(instance)
