from django.contrib import admin

from .models import HarvestCheckpoint


@admin.register(HarvestCheckpoint)
class HarvestCheckpointAdmin(admin.ModelAdmin):
    """Read-only: checkpoints are written by ``dailypapers harvest`` alone."""

    list_display = [
        "set_spec",
        "metadata_prefix",
        "from_date",
        "until_date",
        "last_datestamp",
        "finished",
        "updated_at",
    ]
    list_filter = ["finished", "set_spec", "metadata_prefix"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
