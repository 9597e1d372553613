"""A reader's library in their data export (``/export/me.json``): everything kept about
them but the feed token, a secret that opens nothing once reset."""

from .models import Collection, Follow, Mark, Mute


def export_for_user(user) -> dict:
    collections = Collection.objects.filter(owner=user).prefetch_related("items", "pending")
    return {
        "follows": [
            {"kind": f.kind, "value": f.value, "since": f.created_at.isoformat()}
            for f in Follow.objects.filter(user=user)
        ],
        "collections": [
            {
                "id": collection.key,
                "name": collection.name,
                "public": collection.public,
                "created_at": collection.created_at.isoformat(),
                "papers": [
                    {
                        "paper": item.paper_id,
                        "note": item.note,
                        "added_at": item.added_at.isoformat(),
                    }
                    for item in collection.items.all()
                ],
                "waiting_for_arxiv": [
                    {
                        "paper": item.arxiv_id,
                        "note": item.note,
                        "added_at": item.added_at.isoformat(),
                    }
                    for item in collection.pending.all()
                ],
            }
            for collection in collections
        ],
        "marks": [
            {"paper": mark.paper_id, "mark": mark.kind, "at": mark.created_at.isoformat()}
            for mark in Mark.objects.filter(user=user).order_by("created_at", "id")
        ],
        "mutes": [{"kind": m.kind, "value": m.value} for m in Mute.objects.filter(user=user)],
    }
