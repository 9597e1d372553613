from django.contrib import admin

from .models import HarvestCheckpoint, HFSyncCheckpoint, SourceStatus


class WrittenByCommands(admin.ModelAdmin):
    """Read-only: the ingest commands alone write these."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HarvestCheckpoint)
class HarvestCheckpointAdmin(WrittenByCommands):
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


@admin.register(HFSyncCheckpoint)
class HFSyncCheckpointAdmin(WrittenByCommands):
    list_display = [
        "from_date",
        "until_date",
        "last_day",
        "settled_through",
        "finished",
        "updated_at",
    ]
    list_filter = ["finished"]


@admin.register(SourceStatus)
class SourceStatusAdmin(WrittenByCommands):
    list_display = ["source", "succeeded_at", "failed_at", "error"]
